/**
 * The admin console in Chromium: an operator signs in with the admin key, creates
 * a sale, starts it and sees the charts move while scripted buyers join through the API.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSale } from '../http/harness.ts';
import { buy } from '../pipeline/helpers.ts';
import { TEST_ENV } from '../pipeline/shapes.ts';
import { hasChromium } from '../support/browser.ts';
import { type E2e, eventually, joinAsVisitor, newPage, PHONE, screenshot, startE2e } from './support.ts';

const points = (page: Page, chart: string) =>
  page
    .getByRole('figure', { name: chart })
    .locator('svg[data-points]')
    .getAttribute('data-points')
    .then(Number);
const card = (page: Page, name: string) => page.locator(`[data-card="${name}"]`).textContent();

/** On a phone nothing runs off the side: no sideways scrolling, every sale's button fully on screen. */
async function expectOnScreen(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  const buttons = await page.locator('#sales button, #dash-actions button').all();
  expect(buttons.length).toBeGreaterThan(0);
  for (const button of buttons) {
    if (!(await button.isVisible())) continue;
    const box = await button.boundingBox();
    const label = (await button.getAttribute('aria-label')) ?? '';
    expect(box === null ? -1 : box.x, label).toBeGreaterThanOrEqual(0);
    expect(box === null ? Infinity : box.x + box.width, label).toBeLessThanOrEqual(PHONE.viewport.width);
  }
}

describe.skipIf(!hasChromium())('admin console in Chromium', () => {
  let e2e: E2e;
  beforeAll(async () => {
    // Samples every 200 ms, so a few seconds of a sale make a history worth drawing.
    e2e = await startE2e({ FLASHSALE_HISTORY_INTERVAL_MS: '200' });
  });
  afterAll(async () => e2e?.close());

  it('an operator signs in, creates a sale, starts it and sees the charts move as buyers join', async () => {
    const { context, page } = await newPage(e2e);
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Admin console' }).waitFor();
    await screenshot(page, 'admin-sign-in');

    // A wrong key is refused in words; the right one opens the console.
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the admin key.' }).waitFor();
    await page.getByLabel('Admin key').fill(TEST_ENV.FLASHSALE_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#console').waitFor();
    await page.getByText('No sales yet').waitFor();

    // Create a sale scheduled ten minutes ahead (the form's default start).
    await page.getByLabel('Id (used in URLs)').fill('e2e-ops');
    await page.getByLabel('Product name').fill('Console drop');
    await page.getByLabel('Description').fill('Created from the admin console.');
    await page.getByLabel('Units for sale').fill('40');
    await page.getByLabel('Order of early arrivals').selectOption('fifo');
    await page.getByText('Admission and holds').click();
    await page.getByLabel('Admitted per second').fill('3');
    await page.getByRole('button', { name: 'Create sale' }).click();
    await page.getByRole('heading', { name: 'Console drop' }).waitFor();
    await page.locator('#sales tr[data-sale="e2e-ops"]').getByText('Waiting room open').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-dash');
    // Creating confirms, in words.
    await page.getByText(/Sale “Console drop” created: it opens /).waitFor();

    // The console's numbers are the API's.
    const created = await e2e.harness.server.inject({
      url: '/api/v1/admin/sales/e2e-ops',
      headers: e2e.harness.admin,
    });
    expect(created.json()).toMatchObject({
      totalStock: 40,
      perUserLimit: 2,
      queueing: 'fifo',
      state: 'prequeue',
    });
    expect(created.json().admission.perSecond).toBe(3);

    await page
      .locator('#dash-actions')
      .getByRole('button', { name: /^Start now/ })
      .click();
    await page.locator('#dash-state', { hasText: 'Live' }).waitFor();
    await page
      .locator('#dash-actions')
      .getByRole('button', { name: /^Pause/ })
      .waitFor();

    const before = await points(page, 'Waiting room');
    expect(await card(page, 'admitted')).toBe('0');
    // A few buyers join over a few seconds, as a crowd trickles in.
    for (let i = 0; i < 6; i++) {
      await joinAsVisitor(e2e.baseUrl, 'e2e-ops');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await eventually(
      () => card(page, 'admitted'),
      (text) => text === '6',
    );
    const after = await eventually(
      () => points(page, 'Waiting room'),
      (n) => n >= before + 3,
    );
    expect(after).toBeGreaterThan(before);
    // The admissions series drew a line with points above the floor.
    const admissions = await page
      .getByRole('figure', { name: 'Joins and admissions per second' })
      .locator('polyline')
      .nth(1)
      .getAttribute('points');
    expect(admissions?.split(' ').some((p) => Number(p.split(',')[1]) < 100)).toBe(true);
    await screenshot(page, 'admin-dashboard');

    // Pausing from the console pauses the sale.
    await page
      .locator('#dash-actions')
      .getByRole('button', { name: /^Pause/ })
      .click();
    await page.locator('#dash-state', { hasText: 'Paused' }).waitFor();
    await page
      .locator('#dash-actions')
      .getByRole('button', { name: /^Resume/ })
      .click();
    await page.locator('#dash-state', { hasText: 'Live' }).waitFor();

    // Ending the sale: its waiting room is over, and the cards say so rather than keep the last line.
    page.on('dialog', (dialog) => void dialog.accept());
    await page.locator('#dash-actions').getByRole('button', { name: /^End/ }).click();
    await page.locator('#dash-state', { hasText: 'Ended' }).waitFor();
    await eventually(
      () => card(page, 'waiting'),
      (text) => text === '0 · closed',
    );
    expect(await card(page, 'active')).toBe('0 · closed');
    // Archiving takes it off the storefront and keeps it here.
    await page
      .locator('#dash-actions')
      .getByRole('button', { name: /^Archive/ })
      .click();
    await page.locator('#sales tr[data-sale="e2e-ops"]').getByText('Archived').waitFor();
    expect((await e2e.harness.server.inject({ url: '/sales/e2e-ops' })).statusCode).toBe(404);
    await screenshot(page, 'admin-dashboard-ended');

    const phone = await newPage(e2e, PHONE);
    await phone.page.goto('/admin');
    await phone.page.getByLabel('Admin key').fill(TEST_ENV.FLASHSALE_ADMIN_KEY);
    await phone.page.getByRole('button', { name: 'Sign in' }).click();
    await phone.page.locator('#sales tr[data-sale="e2e-ops"]').waitFor();
    await expectOnScreen(phone.page);
    await screenshot(phone.page, 'admin-phone');
    await phone.context.close();

    // Signing out forgets the key; a reload of a signed-in tab keeps the session and the sale watched.
    await page.reload();
    await page.getByRole('heading', { name: 'Console drop' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await context.close();
  });

  it('an operator splits a sale into parts from the form, and the console says so', async () => {
    const { context, page } = await newPage(e2e);
    await page.goto('/admin');
    await page.getByLabel('Admin key').fill(TEST_ENV.FLASHSALE_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#console').waitFor();
    await page.getByLabel('Id (used in URLs)').fill('e2e-parts');
    await page.getByLabel('Product name').fill('Split drop');
    await page.getByLabel('Units for sale').fill('30');
    await page.getByText('Crowd size and Redis Cluster').click();
    await page.getByLabel('Buyers expected at the start').fill('50000');
    await page.getByLabel('Parts the sale is split into').fill('3');
    await page.getByRole('button', { name: 'Create sale' }).click();
    await page.getByRole('heading', { name: 'Split drop' }).waitFor();
    await page.locator('#dash-parts', { hasText: 'split into 3 parts' }).waitFor();
    const created = await e2e.harness.server.inject({
      url: '/api/v1/admin/sales/e2e-parts',
      headers: e2e.harness.admin,
    });
    expect(created.json()).toMatchObject({ totalStock: 30, parts: 3 });

    // Parts the sale cannot have are refused in words, and nothing is created.
    await page.getByLabel('Id (used in URLs)').fill('e2e-too-many');
    await page.getByLabel('Product name').fill('Too many parts');
    await page.getByLabel('Units for sale').fill('2');
    await page.getByLabel('Parts the sale is split into').fill('3');
    await page.getByRole('button', { name: 'Create sale' }).click();
    await page.locator('#create-error').filter({ hasText: 'parts' }).waitFor();
    const refused = await e2e.harness.server.inject({
      url: '/api/v1/admin/sales/e2e-too-many',
      headers: e2e.harness.admin,
    });
    expect(refused.statusCode).toBe(404);
    await context.close();
  });

  it('an operator who starts watching a sale late sees its history since the opening at once', async () => {
    const app = e2e.harness.app;
    await liveSale(app, { id: 'e2e-history', name: 'Watched late', totalStock: 2, perUserLimit: 2 });
    const history = async () =>
      (
        await e2e.harness.server.inject({
          url: '/api/v1/admin/sales/e2e-history/history',
          headers: e2e.harness.admin,
        })
      ).json().points as Array<{ queue: { waiting: number; admitted: number } }>;
    // The worker has sampled the empty room before anyone joins.
    await eventually(history, (points) => points.length >= 2);
    for (let i = 0; i < 6; i++) {
      await joinAsVisitor(e2e.baseUrl, 'e2e-history');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const sampled = await eventually(history, (points) => {
      const last = points.at(-1)?.queue;
      return points.length >= 8 && last !== undefined && last.waiting + last.admitted === 6;
    });

    // Nobody joins from now on: joins the console draws can only come from the history.
    const { context, page } = await newPage(e2e);
    await page.goto('/admin');
    await page.getByLabel('Admin key').fill(TEST_ENV.FLASHSALE_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Watch Watched late' }).click();
    await page.getByRole('heading', { name: 'Watched late' }).waitFor();
    // The history is drawn in one go before the first live sample: the first points the chart has
    // are already every sample taken before Watch.
    const first = await eventually(
      () => points(page, 'Waiting room'),
      (n) => n > 0,
    );
    expect(first).toBeGreaterThanOrEqual(sampled.length);
    for (const chart of ['Stock', 'Orders', 'Joins and admissions per second'])
      expect(await points(page, chart), chart).toBeGreaterThanOrEqual(sampled.length - 1);
    const joins = await page
      .getByRole('figure', { name: 'Joins and admissions per second' })
      .locator('polyline')
      .first()
      .getAttribute('points');
    expect(joins?.split(' ').some((p) => Number(p.split(',')[1]) < 100)).toBe(true);
    // The live samples follow the history.
    await eventually(
      () => points(page, 'Waiting room'),
      (n) => n > first,
    );
    await screenshot(page, 'admin-history');

    // The same on a phone, with every action of a live sale in its row and on its dashboard.
    const phone = await newPage(e2e, PHONE);
    await phone.page.goto('/admin#sale=e2e-history');
    await phone.page.getByLabel('Admin key').fill(TEST_ENV.FLASHSALE_ADMIN_KEY);
    await phone.page.getByRole('button', { name: 'Sign in' }).click();
    await phone.page.locator('#dash-actions').getByRole('button', { name: /^End/ }).waitFor();
    expect(await phone.page.locator('#sales tr[data-sale="e2e-history"] button').count()).toBe(4);
    await expectOnScreen(phone.page);
    await screenshot(phone.page, 'admin-phone-live');
    await phone.context.close();

    // The last units sell: the cards say at once that the line is over, not the last line seen.
    await buy(app, 'e2e-history', 'sells-out', 'pm_ok', 2);
    await page.locator('#dash-state', { hasText: 'Sold out' }).waitFor();
    await eventually(
      () => card(page, 'waiting'),
      (text) => text === '0 · closed',
    );
    expect(await card(page, 'active')).toBe('0 · closed');
    expect(await card(page, 'sold')).toBe('2');
    await context.close();
  });
});
