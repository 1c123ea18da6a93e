/**
 * The order job's money rules and its behaviour through an outage, on the embedded shape (memory
 * engine, in-process jobs, a real PGlite). The outages here are injected at the Database seam as the
 * adapters report them (UNAVAILABLE), to drive the job's retry logic step by step; the chaos suite
 * (test/chaos/) stops real servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import type { Database } from '../../src/db/database.ts';
import { unavailable } from '../../src/domain/errors.ts';
import type { PaymentProvider } from '../../src/orders/payments/port.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { buy, drain, newSale } from './helpers.ts';
import { embeddedShape } from './shapes.ts';

const shape = embeddedShape();
const open: Array<{ app: App; stop: () => Promise<void> }> = [];

afterEach(async () => {
  for (const { app, stop } of open.splice(0)) {
    await stop();
    await app.close();
  }
  await shape.cleanup();
});

async function start(env: Record<string, string>, payments?: PaymentProvider) {
  const app = await shape.make(payments ? { payments } : {}, {
    FLASHSALE_RETRY_MAX_DELAY_MS: '20',
    ...env,
  });
  return app;
}

function run(app: App) {
  const stop = startWorker(app, { concurrency: 4, ticks: false });
  open.push({ app, stop });
}

/** Makes every database call fail as UNAVAILABLE while `down` is true; counts the failures. */
function outage(db: Database) {
  const state = { down: false, failures: 0 };
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  const refuse = () => {
    state.failures += 1;
    return Promise.reject(unavailable(new Error('injected: connection refused')));
  };
  db.query = ((sql: string, params?: readonly unknown[]) =>
    state.down ? refuse() : query(sql, params)) as Database['query'];
  db.transaction = ((fn: Parameters<Database['transaction']>[0]) =>
    state.down ? refuse() : transaction(fn)) as Database['transaction'];
  return state;
}

const until = async (condition: () => boolean | Promise<boolean>) => {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('order job money rules', () => {
  it('never refunds a confirmed order, even when everything after the confirmation keeps failing', async () => {
    const app = await start({ FLASHSALE_ORDER_ATTEMPTS: '2' });
    const sale = await newSale(app, { totalStock: 3 });
    // Enqueueing the confirmation mail fails on every attempt (a Redis blip that lasts).
    app.queues.notifications.addBulk = () => Promise.reject(new Error('injected: mail queue down'));
    run(app);
    const accepted = await buy(app, sale.id, 'alice');
    await app.queues.orders.drained(30_000);

    const order = await app.store.getOrderByHold(accepted.holdId);
    expect(order?.status).toBe('confirmed');
    expect((await app.store.charges.get(accepted.holdId))?.status).toBe('succeeded');
    expect((await app.engine.stats(sale.id)).sold).toBe(1);
    expect(await app.store.soldUnits(sale.id)).toBe(1);
    // The job itself failed after its last attempt: that is what used to trigger the refund.
    const failed = await app.queues.orders.failed();
    expect(failed.map((job) => job.id)).toEqual([accepted.holdId]);
  });

  it('rides out a database outage longer than every job attempt and confirms the order', async () => {
    const app = await start({ FLASHSALE_ORDER_ATTEMPTS: '1' });
    const sale = await newSale(app, { totalStock: 5 });
    const accepted = await Promise.all(['a', 'b', 'c'].map((user) => buy(app, sale.id, user)));
    const db = outage(app.db);
    db.down = true;
    run(app);
    // Many retries with one attempt per job: without the outage retry, the first failure would end them.
    await until(() => db.failures >= 30);
    db.down = false;
    await drain(app);

    for (const { holdId } of accepted) {
      expect((await app.store.getOrderByHold(holdId))?.status).toBe('confirmed');
      expect((await app.store.charges.get(holdId))?.status).toBe('succeeded');
    }
    expect(await app.queues.orders.failed()).toEqual([]);
    expect(await app.store.soldUnits(sale.id)).toBe(3);
    expect((await app.engine.stats(sale.id)).sold).toBe(3);
  });

  it('leaves the order pending, charged and held, when an outage outlasts the retries on the last attempt', async () => {
    const app = await start({ FLASHSALE_ORDER_ATTEMPTS: '1', FLASHSALE_OUTAGE_RETRY_MS: '0' });
    const sale = await newSale(app, { totalStock: 5 });
    const db = outage(app.db);
    run(app);
    // Let the order row and the charge be written, then lose the database for the confirmation.
    const confirmOrders = app.store.confirmOrders.bind(app.store);
    app.store.confirmOrders = (items) => {
      db.down = true;
      return confirmOrders(items);
    };
    const accepted = await buy(app, sale.id, 'bob');
    await app.queues.orders.drained(30_000);
    db.down = false;

    expect((await app.queues.orders.failed()).map((job) => job.id)).toEqual([accepted.holdId]);
    // Not failed, not refunded, not released: the engine sold the hold, the reconciler will finish it.
    expect((await app.store.getOrderByHold(accepted.holdId))?.status).toBe('pending');
    expect((await app.store.charges.get(accepted.holdId))?.status).toBe('succeeded');
    expect((await app.engine.getHold(sale.id, accepted.holdId))?.status).toBe('confirmed');
  });

  it('times out a payment provider that never answers: the order fails unpaid and the hold is released', async () => {
    const never: PaymentProvider = {
      charge: () => new Promise(() => {}),
      refund: async () => {},
    };
    const app = await start({ FLASHSALE_ORDER_ATTEMPTS: '2', FLASHSALE_PAYMENT_TIMEOUT_MS: '50' }, never);
    const sale = await newSale(app, { totalStock: 2 });
    run(app);
    const accepted = await buy(app, sale.id, 'carol');
    await drain(app);

    const order = await app.store.getOrderByHold(accepted.holdId);
    expect(order?.status).toBe('failed');
    expect(order?.failureReason).toBe('payment_unavailable');
    expect((await app.engine.getHold(sale.id, accepted.holdId))?.status).toBe('released');
    expect((await app.engine.stats(sale.id)).available).toBe(2);
  });
});
