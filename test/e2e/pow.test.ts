/**
 * Proof of work in Chromium: the storefront asks for a challenge, solves it in a Web Worker while a
 * progress bar moves, and joins with the solution — at the default difficulty, and at a harder one
 * where the progress can be watched mid-way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALE_DEFAULTS } from '../../src/domain/sale.ts';
import { liveSale } from '../http/harness.ts';
import { hasChromium } from '../support/browser.ts';
import { type E2e, eventually, newPage, PHONE, screenshot, startE2e } from './support.ts';

describe.skipIf(!hasChromium())('proof of work in the storefront', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ FLASHSALE_POW: 'on' });
  });
  afterAll(async () => e2e?.close());

  /** The room is open, the sale an hour away: a joiner stays in line, where the test can see them. */
  const upcoming = (over: Parameters<typeof liveSale>[1]) => {
    const now = Date.now();
    return liveSale(e2e.harness.app, {
      prequeueAt: now,
      startsAt: now + 3_600_000,
      endsAt: now + 7_200_000,
      ...over,
    });
  };

  const joinThroughTheWorker = async (id: string, options?: object) => {
    const { context, page } = await newPage(e2e, options);
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    await page.goto(`/sales/${id}`);
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    return { context, page, workers };
  };

  it(`solves the default difficulty (${SALE_DEFAULTS.powDifficulty} bits) in a Web Worker and joins`, async () => {
    const { id } = await upcoming({ id: 'e2e-pow-default', name: 'Proof-of-work drop' });
    const { context, page, workers } = await joinThroughTheWorker(id);
    await page.locator('#step-queue').waitFor({ timeout: 120_000 });
    expect(
      workers.some((url) => /\/assets\/powWorker\.[0-9a-f]+\.js$/.test(url)),
      workers.join(),
    ).toBe(true);
    expect(await page.locator('#pow-label').textContent()).toMatch(
      /^Browser checked in \d+\.\d s \([\d,]+ tries\)\.$/,
    );
    expect(await page.locator('#pow-progress').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.locator('#position').textContent()).toBe('1');
    expect((await e2e.harness.app.engine.stats(id)).waiting).toBe(1);
    await context.close();
  });

  it('shows the work moving while the worker counts (a sale so hard it is never solved here)', async () => {
    const { id } = await upcoming({ id: 'e2e-pow-hard', name: 'Hard drop', powDifficulty: 32 });
    const { context, page } = await joinThroughTheWorker(id, PHONE);
    const read = () =>
      page.evaluate(() => ({
        visible: !(document.querySelector('#pow') as HTMLElement).hidden,
        value: Number(document.querySelector('#pow-progress')?.getAttribute('aria-valuenow')),
        label: document.querySelector('#pow-label')?.textContent ?? '',
      }));
    const triesOf = (label: string) =>
      Number(/\(([\d,]+) tries\)$/.exec(label)?.[1]?.replaceAll(',', '') ?? 0);
    const first = await eventually(read, (s) => s.visible && triesOf(s.label) > 0, 60_000);
    expect(first.label).toMatch(/^Checking your browser before you join… \d+% \([\d,]+ tries\)$/);
    expect(first.value).toBeGreaterThanOrEqual(0);
    expect(first.value).toBeLessThan(100);
    // It keeps counting: a later reading shows more tries.
    const later = await eventually(read, (s) => triesOf(s.label) > triesOf(first.label), 60_000);
    expect(later.visible).toBe(true);
    await screenshot(page, 'pow-progress-phone');
    // Still in the sale step: nobody joined without a solution.
    expect(await page.locator('#step-sale').isVisible()).toBe(true);
    expect((await e2e.harness.app.engine.stats(id)).waiting).toBe(0);
    await context.close();
  });
});
