/**
 * Chaos on the links: the production shape (Redis engine, BullMQ, PostgreSQL) runs in this process
 * behind a TCP fault proxy of the test's own per server. Slowed by 200 ms, orders still go through; a
 * refused or silent link makes calls fail as UNAVAILABLE within their configured timeouts instead of
 * hanging; once the link heals, a checkout retried with the same idempotency key gets its answer and
 * the books balance.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { isFlashsaleError } from '../../src/domain/errors.ts';
import { checkout } from '../../src/orders/checkout.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { newSale } from '../pipeline/helpers.ts';
import { redisShape, type Shape } from '../pipeline/shapes.ts';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.ts';
import { DATABASE_URL, hasPostgres, hasRedis, REDIS_URL } from '../support/services.ts';
import { expectBooksBalanced, until } from './support.ts';

const ready = (await hasRedis()) && (await hasPostgres());

/** The rejection of `promise`, or a failure if it resolves: a call must fail, not hang or succeed. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe.skipIf(!ready)('chaos: a TCP fault proxy between the service and each server', () => {
  const shape: Shape = redisShape();
  const proxies: FaultProxy[] = [];
  let app: App | null = null;
  let stopWorker: () => Promise<void> = async () => {};

  afterAll(async () => {
    for (const p of proxies) p.set('pass');
    await stopWorker();
    await app?.close();
    for (const p of proxies) await p.close();
    await shape.cleanup();
  });

  it('slow links still sell; refused and silent links answer UNAVAILABLE, never hang; healing settles all', async () => {
    const redisTarget = new URL(REDIS_URL);
    const pgTarget = new URL(DATABASE_URL);
    const redisProxy = await startFaultProxy({ host: redisTarget.hostname, port: Number(redisTarget.port) });
    const pgProxy = await startFaultProxy({ host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
    proxies.push(redisProxy, pgProxy);
    const viaRedis = new URL(REDIS_URL);
    viaRedis.port = String(redisProxy.port);
    const viaPg = new URL(DATABASE_URL);
    viaPg.port = String(pgProxy.port);
    const env = {
      ...shape.env,
      REDIS_URL: viaRedis.toString(),
      DATABASE_URL: viaPg.toString(),
      FLASHSALE_DB_TIMEOUT_MS: '5000',
      FLASHSALE_REDIS_TIMEOUT_MS: '3000',
      FLASHSALE_RETRY_MAX_DELAY_MS: '200',
    };
    app = await createApp(loadConfig(env), { ...shape.options, log: pino({ level: 'silent' }) });
    const running = app;
    stopWorker = startWorker(running, { concurrency: 8, ticks: false, reconcile: false });
    const sale = await newSale(running, { totalStock: 100, holdSeconds: 600 });
    const buy = (user: string) =>
      checkout(running, {
        saleId: sale.id,
        userId: user,
        quantity: 1,
        idempotencyKey: `k-${user}`,
        paymentMethod: 'pm_ok',
      });

    // 1. Both links slowed by 200 ms: orders still go through.
    redisProxy.set('slow', 200);
    pgProxy.set('slow', 200);
    await Promise.all(Array.from({ length: 20 }, (_, i) => buy(`slow-${i}`)));
    await running.queues.orders.drained(120_000);
    expect((await running.store.orderCounts(sale.id)).confirmed).toBe(20);
    redisProxy.set('pass');
    pgProxy.set('pass');

    // 2. Redis refuses: a checkout is UNAVAILABLE at once, and nothing is reserved.
    redisProxy.set('refuse');
    const refused = await rejectionOf(buy('refused'));
    expect(isFlashsaleError(refused, 'UNAVAILABLE'), String(refused)).toBe(true);
    redisProxy.set('pass');

    // 3. Redis silent (a partition): the checkout fails by the command timeout instead of hanging.
    redisProxy.set('blackhole');
    const silent = await rejectionOf(buy('partitioned'));
    expect(isFlashsaleError(silent, 'UNAVAILABLE'), String(silent)).toBe(true);
    // 4. PostgreSQL silent as well: a database call fails by its statement timeout.
    pgProxy.set('blackhole');
    const dbSilent = await rejectionOf(running.store.getOrderByHold(randomUUID()));
    expect(isFlashsaleError(dbSilent, 'UNAVAILABLE'), String(dbSilent)).toBe(true);
    // 5. PostgreSQL refuses: the same, at once.
    pgProxy.set('refuse');
    const dbRefused = await rejectionOf(running.store.getOrderByHold(randomUUID()));
    expect(isFlashsaleError(dbRefused, 'UNAVAILABLE'), String(dbRefused)).toBe(true);

    // Healed: the same checkouts retried with their idempotency keys get an answer, and every order
    // settles with the books balanced.
    redisProxy.set('pass');
    pgProxy.set('pass');
    for (const user of ['refused', 'partitioned']) {
      const again = await buy(user).catch((error: unknown) => error);
      if (again instanceof Error) expect(isFlashsaleError(again), String(again)).toBe(true);
    }
    // The producer's connection was cut by the refusal and reconnects on its own; wait for it.
    await until('orders drained after healing', 120_000, async () => {
      const jobs = await running.queues.orders.counts();
      return jobs.waiting + jobs.active + jobs.delayed === 0;
    });
    // Every order written ended (the refused and partitioned checkouts may or may not have held).
    const ended = await running.store.orderCounts(sale.id);
    const written = ended.pending + ended.confirmed + ended.failed + ended.expired + ended.rejected;
    const cliEnv = {
      ...shape.env,
      DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${shape.env.TEST_PG_SCHEMA}`,
    };
    const counts = await expectBooksBalanced(running, sale.id, written, cliEnv);
    expect(counts.confirmed).toBeGreaterThanOrEqual(20);
  }, 180_000);
});
