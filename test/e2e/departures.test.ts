/**
 * Leaving and heartbeats in Chromium: an open checkout keeps polling the waiting room (its
 * heartbeat, so the turn is kept), "Give my turn to the next in line" gives it back at once, and
 * "Leave the line" takes a waiter out (the server's waiting figure drops). The service runs with a
 * 6 s heartbeat, so the page is asked to poll every 2 s.
 */
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSale } from '../http/harness.ts';
import { hasChromium } from '../support/browser.ts';
import { type E2e, newPage, screenshot, startE2e } from './support.ts';

const isQueue = (method: string) => (request: Request) =>
  request.method() === method && new URL(request.url()).pathname.endsWith('/queue');

describe.skipIf(!hasChromium())('leaving the waiting room and keeping one’s turn, in Chromium', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ FLASHSALE_HEARTBEAT_SECONDS: '6' });
  });
  afterAll(async () => e2e?.close());

  it('an open checkout keeps polling (its heartbeat); giving the turn back frees the slot at once', async () => {
    const sale = await liveSale(e2e.harness.app, {
      id: 'e2e-heartbeat',
      admission: { perSecond: 5, maxActive: 1, sessionSeconds: 600 },
    });
    const { context, page } = await newPage(e2e);
    await page.goto(`/sales/${sale.id}`);
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.locator('#step-checkout').waitFor();
    // Two more polls while the checkout stays open: the page asks as often as the server says.
    for (let i = 0; i < 2; i++) {
      const poll = await page.waitForRequest(isQueue('GET'));
      expect((await poll.response())?.status()).toBe(200);
    }
    expect(await page.locator('#step-checkout').isVisible()).toBe(true);
    expect((await e2e.harness.app.engine.stats(sale.id)).active).toBe(1);
    await screenshot(page, 'checkout-with-give-up');

    const leaving = page.waitForRequest(isQueue('DELETE'));
    await page.getByRole('button', { name: 'Give my turn to the next in line' }).click();
    expect(await (await (await leaving).response())?.json()).toEqual({ left: true });
    await page.locator('#step-sale').waitFor();
    await expect.poll(async () => (await e2e.harness.app.engine.stats(sale.id)).active).toBe(0);
    expect((await e2e.harness.app.engine.status(sale.id, await visitorId(page))).state).toBe('expired');
    await context.close();
  });

  it('"Leave the line" takes a waiter out, and the waiting figure drops', async () => {
    const now = Date.now();
    const sale = await liveSale(e2e.harness.app, {
      id: 'e2e-leave-line',
      prequeueAt: now,
      startsAt: now + 3_600_000,
      endsAt: now + 7_200_000,
    });
    const { context, page } = await newPage(e2e);
    await page.goto(`/sales/${sale.id}`);
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.locator('#step-queue').waitFor();
    expect((await e2e.harness.app.engine.stats(sale.id)).waiting).toBe(1);
    await screenshot(page, 'queue-with-leave');

    const leaving = page.waitForRequest(isQueue('DELETE'));
    await page.getByRole('button', { name: 'Leave the line' }).click();
    expect(await (await (await leaving).response())?.json()).toEqual({ left: true });
    await page.locator('#step-sale').waitFor();
    expect((await e2e.harness.app.engine.stats(sale.id)).waiting).toBe(0);
    expect(await page.locator('#notice').textContent()).toContain('You left the line');
    // Joining again takes a new place at the back.
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.locator('#step-queue').waitFor();
    expect((await e2e.harness.app.engine.stats(sale.id)).waiting).toBe(1);
    await context.close();
  });
});

/** The anonymous visitor's user id, as the page stored it. */
function visitorId(page: Page): Promise<string> {
  return page.evaluate(
    () => JSON.parse(localStorage.getItem('flashsale.visitor') ?? 'null').userId as string,
  );
}
