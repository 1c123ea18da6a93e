/**
 * The waiting room's clock in Chromium, at desktop and phone size, over a whole run: before the
 * start (countdown), the draw of a shuffled line at the opening, and admission. Sampled every few
 * hundred milliseconds from the page itself; nothing here depends on how fast the machine is.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOf, shuffleKeys } from '../../src/domain/shuffle.ts';
import { liveSale } from '../http/harness.ts';
import { hasChromium } from '../support/browser.ts';
import { DESKTOP, type E2e, joinAsVisitor, newPage, PHONE, screenshot, startE2e } from './support.ts';

interface Sample {
  step: string;
  badge: string;
  label: string;
  value: number;
  position: string;
  ahead: string;
  eta: string;
}

const read = (page: Page): Promise<Sample> =>
  page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent?.trim() ?? '';
    const visible = [...document.querySelectorAll<HTMLElement>('[data-step]')].find((s) => !s.hidden);
    return {
      step: visible?.id ?? '',
      badge: text('#sale-state'),
      label: text('#progress-label'),
      value: Number(document.querySelector('#progress')?.getAttribute('aria-valuenow')),
      position: text('#position'),
      ahead: text('#ahead'),
      eta: text('#eta'),
    };
  });

/** Seconds shown by "The sale opens in m:ss", or null once the label says something else. */
const countdown = (label: string): number | null => {
  const m = /The sale opens in (\d+):(\d\d)/.exec(label);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
};

describe.skipIf(!hasChromium())('the waiting room clock in Chromium', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(async () => e2e?.close());

  for (const [size, options] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`${size}: never runs backwards, stays in range, and changes its states together`, async () => {
      const now = Date.now();
      const id = `e2e-clock-${size}`;
      // Opens by itself 12 s from now; the room admits 2 a second once it does.
      await liveSale(e2e.harness.app, {
        id,
        name: 'Numbered edition',
        totalStock: 50,
        perUserLimit: 1,
        prequeueAt: now,
        startsAt: now + 12_000,
        endsAt: now + 3_600_000,
        queueing: 'shuffle',
        // A recorded seed that draws the sixth ticket (the browser's, after five visitors) last: a
        // random one put it in the first admission batch one run in three, straight from the
        // countdown to checkout, and the page had no drawn place to show.
        shuffleSeed: 'clock-10',
        admission: { perSecond: 2, maxActive: 50, sessionSeconds: 300 },
      });
      for (let i = 0; i < 5; i++) await joinAsVisitor(e2e.baseUrl, id);
      expect(placeOf(6, 6, shuffleKeys('clock-10'))).toBe(6);

      const { context, page } = await newPage(e2e, options);
      await page.goto(`/sales/${id}`);
      await page.getByRole('button', { name: 'Join the waiting room' }).click();
      await page.locator('#step-queue').waitFor();

      const samples: Sample[] = [];
      let shotBefore = false;
      let shotAfter = false;
      for (let i = 0; i < 400; i++) {
        const s = await read(page);
        samples.push(s);
        if (!shotBefore && countdown(s.label) !== null) {
          await screenshot(page, `waiting-room-before-start-${size}`);
          shotBefore = true;
        }
        if (!shotAfter && s.step === 'step-queue' && /^\d/.test(s.position)) {
          await screenshot(page, `waiting-room-after-draw-${size}`);
          shotAfter = true;
        }
        if (s.step === 'step-checkout') break;
        await page.waitForTimeout(250);
      }
      expect(samples.at(-1)?.step, JSON.stringify(samples.slice(-3))).toBe('step-checkout');
      await screenshot(page, `admitted-${size}`);
      const queue = samples.filter((s) => s.step === 'step-queue');
      expect(queue.length).toBeGreaterThan(10);

      // The countdown only goes down.
      const counts = queue.map((s) => countdown(s.label)).filter((c): c is number => c !== null);
      expect(counts.length).toBeGreaterThan(3);
      for (let i = 1; i < counts.length; i++)
        expect(counts[i], String(counts)).toBeLessThanOrEqual(counts[i - 1] as number);

      // The bar's value is within its range and never moves back.
      for (const s of queue) expect(s.value >= 0 && s.value <= 100, String(s.value)).toBe(true);
      for (let i = 1; i < queue.length; i++)
        expect((queue[i] as Sample).value).toBeGreaterThanOrEqual((queue[i - 1] as Sample).value);

      // Before the start, the estimate counts the six in line (2 a second), not only the time left.
      const first = queue[0] as Sample;
      const left = countdown(first.label);
      expect(first.eta).toMatch(/^about \d+ seconds?$/);
      expect(Number(/\d+/.exec(first.eta)?.[0])).toBeGreaterThan(left as number);

      // Once the page shows the opening (a place drawn, or the badge live), nothing goes back.
      const opened = queue.findIndex((s) => /^\d/.test(s.position) || s.badge === 'Live now');
      expect(opened).toBeGreaterThan(0);
      for (const s of queue.slice(opened)) {
        expect(countdown(s.label), s.label).toBeNull();
        expect(s.badge).toBe('Live now');
      }
      for (const s of queue.slice(0, opened)) expect(s.badge).toBe('Waiting room open');
      // "N ahead" is said once, in the numbers, not again in the label.
      for (const s of queue) expect(s.label).not.toMatch(/ahead of you/);
      await context.close();
    }, 90_000);
  }
});
