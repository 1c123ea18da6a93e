/**
 * Chaos: real `flashsale worker` processes killed with SIGKILL in the middle of their batches, on the
 * shared Redis and PostgreSQL (a prefix and a schema of the test's own). Two workers start on 1,000
 * paid orders; one is killed after the first confirmations, the other halfway, and a fresh worker
 * takes over. BullMQ's stalled checker hands the dead workers' jobs to the live one, whose group
 * commits repeat nothing; the books must balance afterwards (see support.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buy, crowd, newSale } from '../pipeline/helpers.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { expectBooksBalanced, ORDERS, settled, sharedScenario, until } from './support.ts';

const ready = (await hasRedis()) && (await hasPostgres());

describe.skipIf(!ready)('chaos: workers killed with SIGKILL in the middle of batches', () => {
  const scenario = sharedScenario();
  afterAll(() => scenario.cleanUp());

  it('every order settles once a fresh worker takes over, money and stock agree', async () => {
    const { app, env } = await scenario.start();
    const store = app.store;
    const sale = await newSale(app, { totalStock: ORDERS, holdSeconds: 600 });
    const refusals = await crowd(ORDERS, 50, (i) => buy(app, sale.id, `buyer-${i}`));
    expect(refusals).toEqual([]);

    const start = async () => {
      const worker = scenario.run(['worker'], env);
      await worker.waitFor(/worker running/);
      return worker;
    };
    const [first, second] = await Promise.all([start(), start()]);
    const confirmed = async () => (await store.orderCounts(sale.id)).confirmed;
    await until('first confirmations', 60_000, async () => (await confirmed()) >= 50);
    first?.child.kill('SIGKILL');
    const killedFirstAt = await confirmed();
    await until('half the orders', 120_000, async () => (await confirmed()) >= ORDERS / 2);
    second?.child.kill('SIGKILL');
    const killedSecondAt = await confirmed();
    const fresh = await start();
    const killedAt = Date.now();

    const settleMs = await settled(app, sale.id);
    const counts = await expectBooksBalanced(app, sale.id, ORDERS, env);
    console.log(
      `[chaos/sigkill] ${ORDERS} paid orders; workers killed at ${killedFirstAt} and ${killedSecondAt} ` +
        `confirmed; settled ${(settleMs / 1000).toFixed(1)} s after the fresh worker started ` +
        `(${((Date.now() - killedAt) / 1000).toFixed(1)} s): ${JSON.stringify(counts)}`,
    );
    expect(counts.confirmed).toBe(ORDERS);
    expect(fresh.child.exitCode).toBeNull();
  }, 300_000);
});
