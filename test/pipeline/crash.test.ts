/**
 * A worker process killed with SIGKILL in the middle of order jobs: after a new worker has run,
 * every hold has exactly one order and was charged once (one attempt in the ledger, under its own
 * key), and the audit passes. Jobs must be active at the kill, or the recovery path never ran.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { auditSale } from '../../src/orders/audit.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { expectOneChargeAttemptPerHold } from './charges.ts';
import { buy, crowd, drain, newSale } from './helpers.ts';
import { redisShape } from './shapes.ts';

const ORDERS = 400;
const ready = (await hasRedis()) && (await hasPostgres());

describe.skipIf(!ready)('worker killed mid-job (production shape)', () => {
  const shape = redisShape();
  let app: App;
  let child: ChildProcess | null = null;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await app?.close();
    await shape.cleanup();
  });

  it('leaves every hold with exactly one order and one charge attempt', async () => {
    app = await shape.make();
    const sale = await newSale(app, { totalStock: ORDERS });
    await crowd(ORDERS, 100, (i) => buy(app, sale.id, `buyer-${i}`, i % 5 === 0 ? 'pm_flaky' : 'pm_ok'));

    const worker = fork(fileURLToPath(new URL('./fixtures/workerProcess.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...shape.env, FLASHSALE_PAYMENT_LATENCY_MS: '20' },
      stdio: 'inherit',
    });
    child = worker;
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    // Let it get well into the work, then kill it without warning.
    while ((await app.store.orderCounts(sale.id)).confirmed < ORDERS / 4) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    child = null;
    const atKill = await app.queues.orders.counts();
    const confirmedAtKill = (await app.store.orderCounts(sale.id)).confirmed;
    expect(atKill.active).toBeGreaterThan(0);
    expect(confirmedAtKill).toBeLessThan(ORDERS);

    // A new worker recovers the jobs the dead one held (after their locks expire) and the rest.
    const stop = startWorker(app, { concurrency: 16, ticks: false });
    try {
      await drain(app);
    } finally {
      await stop();
    }
    const counts = await app.store.orderCounts(sale.id);
    expect(counts).toMatchObject({ confirmed: ORDERS, pending: 0, failed: 0, rejected: 0 });
    // One order per hold is the orders table's unique key; that every hold got one is `confirmed`.
    expect(await expectOneChargeAttemptPerHold(app.store, sale.id)).toBe(ORDERS);
    expect(await app.store.charges.count({ saleId: sale.id, status: 'refunded' })).toBe(0);
    expect(await app.engine.stats(sale.id)).toMatchObject({ available: 0, held: 0, sold: ORDERS });
    const report = await auditSale(app.engine, app.store, sale.id);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
