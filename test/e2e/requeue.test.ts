/**
 * The waiting room after Redis lost its data, as a buyer sees it in Chromium: the service runs on the
 * Redis shape; a buyer waits behind a shopper holding the only slot; every engine key is deleted (what
 * a FLUSHALL or a restart without persistence does). The API process notices the new engine, the
 * buyer's ticket is gone, and the page puts them back in line at a new place and says so.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSale } from '../http/harness.ts';
import { redisShape } from '../pipeline/shapes.ts';
import { hasChromium } from '../support/browser.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasPostgres, hasRedis, REDIS_URL } from '../support/services.ts';
import { DESKTOP, type E2e, joinAsVisitor, newPage, screenshot, startE2e } from './support.ts';

const ready = hasChromium() && (await hasRedis()) && (await hasPostgres());

describe.skipIf(!ready)('the waiting room after Redis lost its data, in Chromium', () => {
  const shape = redisShape();
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e({ FLASHSALE_VISITORS: 'on' }, shape);
  });
  afterAll(async () => e2e?.close());

  it('puts the waiting buyer back in line and says so', async () => {
    const id = 'e2e-requeue';
    await liveSale(e2e.harness.app, {
      id,
      name: 'Restarted room',
      totalStock: 10,
      perUserLimit: 1,
      admission: { perSecond: 1, maxActive: 1, sessionSeconds: 600 },
    });
    // A shopper ahead takes the only slot; the buyer in the browser waits behind them.
    await joinAsVisitor(e2e.baseUrl, id);
    // While the worker loads the sale again, reading it answers 503 (and the page asks again).
    const { context, page } = await newPage(e2e, DESKTOP, /status of 503 \(Service Unavailable\)/);
    await page.goto(`/sales/${id}`);
    await page.getByRole('button', { name: 'Join the waiting room' }).click();
    await page.locator('#step-queue').waitFor();
    await expect.poll(() => page.locator('#position').textContent(), { timeout: 15_000 }).toMatch(/^\d/);
    const before = await page.evaluate(() => localStorage.length);
    expect(before).toBeGreaterThan(0);

    const redis = new Redis(REDIS_URL);
    try {
      await deleteKeys(redis, `${shape.env.FLASHSALE_REDIS_PREFIX}*`);
    } finally {
      await redis.quit();
    }

    const notice = page.locator('#notice');
    await expect
      .poll(() => notice.textContent(), { timeout: 60_000 })
      .toMatch(/lost its line\. You have been put back in line/);
    await expect.poll(() => page.locator('#position').textContent(), { timeout: 60_000 }).toMatch(/^\d/);
    expect(await page.locator('#step-queue').isVisible()).toBe(true);
    await screenshot(page, 'waiting-room-requeued');

    // The new place is real: the engine (reloaded from PostgreSQL) knows the buyer's new ticket.
    const token = await page.evaluate(() => {
      for (let i = 0; i < localStorage.length; i++) {
        const value = localStorage.getItem(localStorage.key(i) as string) ?? '';
        const match = /"token":"([^"]+)"/.exec(value);
        if (match) return match[1] as string;
      }
      return null;
    });
    expect(token).not.toBeNull();
    const status = await fetch(`${e2e.baseUrl}/api/v1/sales/${id}/queue`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
    // Waiting, or already admitted: the slot the shopper ahead held went with Redis's data too.
    expect(['waiting', 'admitted']).toContain((await status.json()).state);
    await context.close();
  }, 120_000);
});
