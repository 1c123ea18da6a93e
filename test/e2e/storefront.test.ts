/**
 * The storefront in Chromium: a buyer who arrives before the start waits in the
 * waiting room, is admitted when the sale starts, buys and sees the order confirmed; a later buyer
 * sees "sold out". Screenshots of each page go to reports/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSale } from '../http/harness.ts';
import { hasChromium } from '../support/browser.ts';
import {
  DESKTOP,
  type E2e,
  eventually,
  joinAsVisitor,
  newPage,
  PHONE,
  screenshot,
  startE2e,
} from './support.ts';

const SALE_ID = 'e2e-sneakers';

describe.skipIf(!hasChromium())('storefront in Chromium', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
    const now = Date.now();
    // Opens in a minute unless the operator starts it earlier (the test does, once it has seen the wait).
    await liveSale(e2e.harness.app, {
      id: SALE_ID,
      name: 'Limited sneakers',
      description: 'Hand-stitched runners in a numbered edition: 2 pairs only.',
      totalStock: 2,
      perUserLimit: 2,
      prequeueAt: now,
      startsAt: now + 60_000,
      endsAt: now + 3_600_000,
      queueing: 'fifo',
      admission: { perSecond: 1, maxActive: 50, sessionSeconds: 300 },
    });
  });
  afterAll(async () => e2e?.close());

  it('a buyer arrives before the start, waits, is admitted when it starts, buys, sees the order confirmed', async () => {
    // Three buyers are already in line: the one in the browser comes fourth.
    for (let i = 0; i < 3; i++) await joinAsVisitor(e2e.baseUrl, SALE_ID);

    const home = await newPage(e2e);
    await home.page.goto('/');
    await home.page.getByRole('link', { name: 'Limited sneakers' }).waitFor();
    await screenshot(home.page, 'home');
    await home.context.close();

    const phone = await newPage(e2e, PHONE);
    await phone.page.goto(`/sales/${SALE_ID}`);
    await phone.page.getByText(/The sale opens in \d+:\d\d/).waitFor();
    await screenshot(phone.page, 'sale-page-phone');
    await phone.context.close();

    const { context, page } = await newPage(e2e);
    const response = await page.goto(`/sales/${SALE_ID}`);
    expect(response?.headers()['cache-control']).toBe('no-cache');
    await expect(page.title()).resolves.toBe('Limited sneakers · flashsale');
    await page.getByText('2 of 2').waitFor();
    await page.getByText(/The sale opens in \d+:\d\d/).waitFor();
    await screenshot(page, 'sale-page');

    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.locator('#step-queue').waitFor();
    // Focus follows the step, for keyboard and screen-reader users.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-queue');
    await page.locator('#position', { hasText: '4' }).waitFor();
    expect(await page.locator('#ahead').textContent()).toBe('3');
    // The bar moves while the buyer waits for the opening.
    const bar = page.getByRole('progressbar');
    const before = Number(await bar.getAttribute('aria-valuenow'));
    await eventually(
      async () => Number(await bar.getAttribute('aria-valuenow')),
      (now) => now > before,
    );
    await screenshot(page, 'waiting-room');

    // The operator opens the sale; the room admits one a second; the page moves on by itself.
    const started = await e2e.harness.server.inject({
      method: 'POST',
      url: `/api/v1/admin/sales/${SALE_ID}/start`,
      headers: e2e.harness.admin,
    });
    expect(started.statusCode).toBe(200);
    await page.locator('#step-checkout').waitFor({ timeout: 45_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-checkout');
    await page.getByText(/Your turn lasts \d+:\d\d more/).waitFor();

    await page.getByLabel('Quantity').selectOption('2');
    await page.getByLabel('Email for your confirmation').fill('ada@example.test');
    await page.getByLabel('Test card: approved').check();
    await page.locator('#total', { hasText: '258' }).waitFor();
    await screenshot(page, 'checkout');
    await page.getByRole('button', { name: 'Buy now' }).click();

    await page.locator('#step-order[data-status="confirmed"]').waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
    expect(await page.locator('#order-quantity').textContent()).toBe('2');
    // A short number to quote, the address the mail goes to, and the stock as it is now.
    const number = await page.locator('#order-id').textContent();
    expect(number).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.getByText('The confirmation is on its way to ada@example.test.').waitFor();
    await page.locator('#remaining', { hasText: '0 of 2' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'order-confirmed');

    // The order's own page: reloadable, bookmarkable.
    const orderUrl = await page.locator('#order-link').getAttribute('href');
    expect(orderUrl).toMatch(/^\/orders\/e2e-sneakers\.[0-9a-f-]{36}$/);
    await page.goto(orderUrl as string);
    await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
    expect(await page.locator('#order-number').textContent()).toBe(number);
    expect(await page.title()).toBe(`Order ${number} · flashsale`);
    await screenshot(page, 'order-page');
    await page.reload();
    await page.getByRole('heading', { name: 'Order confirmed' }).waitFor();
    const phoneOrder = await newPage(e2e, PHONE);
    await phoneOrder.page.goto(orderUrl as string);
    // Another browser did not place it: orders are private.
    await phoneOrder.page.getByRole('heading', { name: 'Order not found' }).waitFor();
    await screenshot(phoneOrder.page, 'order-page-other-browser-phone');
    await phoneOrder.context.close();
    await page.goto(`/sales/${SALE_ID}`);

    // Reloading shows the same order: nothing is bought twice.
    await page.reload();
    await page.locator('#step-order[data-status="confirmed"]').waitFor();
    const stats = await e2e.harness.server.inject({
      url: `/api/v1/admin/sales/${SALE_ID}/stats`,
      headers: e2e.harness.admin,
    });
    expect(stats.json().stock).toEqual({ total: 2, available: 0, held: 0, sold: 2 });
    expect(stats.json().orders.confirmed).toBe(1);
    await context.close();
  });

  it("the API docs carry flashsale's name, not the generator's, and no /docs/json box", async () => {
    for (const [size, options] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const { context, page } = await newPage(e2e, options);
      await page.goto('/docs');
      await page.locator('.swagger-ui .info .title', { hasText: 'flashsale API' }).waitFor();
      expect(await page.title()).toBe('flashsale API');
      expect(await page.locator('.topbar .download-url-wrapper').isVisible()).toBe(false);
      expect(await page.getByText('/docs/json').isVisible()).toBe(false);
      expect(await page.locator('.topbar img').getAttribute('src')).toMatch(/logo|svg|data:/);
      await screenshot(page, `api-docs-${size}`);
      await context.close();
    }
  });

  it('a later buyer sees sold out', async () => {
    // A sale of its own, sold out by two scripted buyers: the test does not lean on the one above.
    const { app } = e2e.harness;
    const soldOut = await liveSale(app, { id: 'e2e-sold-out', name: 'Sold-out sneakers', totalStock: 2 });
    for (const userId of ['early-1', 'early-2']) {
      const hold = await app.engine.reserve({ saleId: soldOut.id, userId, quantity: 1, idempotencyKey: 'k' });
      await app.engine.confirm(soldOut.id, hold.id);
    }
    const { context, page } = await newPage(e2e);
    await page.goto(`/sales/${soldOut.id}`);
    await page.locator('#step-closed[data-kind="sold_out"]').waitFor();
    await page.getByRole('heading', { name: 'Sold out' }).waitFor();
    expect(await page.locator('#remaining').textContent()).toBe('0 of 2');
    expect(await page.getByRole('button', { name: 'Join the waiting room' }).isVisible()).toBe(false);
    await screenshot(page, 'sold-out');
    await context.close();
  });
});

describe.skipIf(!hasChromium())('storefront without anonymous visitors', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ FLASHSALE_VISITORS: 'off' });
    await liveSale(e2e.harness.app, { id: 'e2e-members', name: 'Members only' });
  });
  afterAll(async () => e2e?.close());

  it('says so plainly when the buyer tries to join', async () => {
    const { context, page } = await newPage(e2e);
    await page.goto('/sales/e2e-members');
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not let anonymous visitors join' }).waitFor();
    expect(await page.getByRole('button', { name: 'Join the waiting room' }).isDisabled()).toBe(true);
    await context.close();
  });
});
