/**
 * The reconciler on the embedded shape (memory engine, in-process jobs, a real PGlite): each state a
 * crash or an outage can leave behind is built for real, then one pass repairs it, and a second pass
 * (or a second reconciler racing the first) changes nothing more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { auditSale } from '../../src/orders/audit.ts';
import { createOrderPipeline } from '../../src/orders/orderWorker.ts';
import { reconcileOnce } from '../../src/orders/reconciler.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { newSale } from './helpers.ts';
import { embeddedShape } from './shapes.ts';

const shape = embeddedShape();
const apps: App[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await shape.cleanup();
});

async function setup() {
  const app = await shape.make();
  apps.push(app);
  const sale = await newSale(app, { totalStock: 10 });
  const pipeline = createOrderPipeline({
    engine: app.engine,
    store: app.store,
    payments: app.payments,
    notifications: app.queues.notifications,
    analytics: app.queues.analytics,
    orderAttempts: app.orderAttempts,
    outageRetry: app.config.outageRetry,
    log: app.log,
  });
  const reconcile = () =>
    reconcileOnce({
      engine: app.engine,
      store: app.store,
      payments: app.payments,
      orders: app.queues.orders,
      finish: pipeline.finish,
      orderAttempts: app.orderAttempts,
      log: app.log,
      graceMs: 0,
    });
  /** A hold and its pending order, as a job leaves them when it dies after step 1; no job kept. */
  const accepted = async (userId: string) => {
    const hold = await app.engine.reserve({ saleId: sale.id, userId, quantity: 1, idempotencyKey: userId });
    const job = {
      holdId: hold.id,
      saleId: sale.id,
      userId,
      quantity: 1,
      amountCents: 5000,
      currency: 'EUR',
      paymentMethod: 'pm_ok',
    };
    await app.store.createPendingOrder(job);
    return job;
  };
  return { app, sale, reconcile, accepted };
}

describe('reconciler', () => {
  it('finishes a pending order whose hold the engine sold (the outage outlasted its job)', async () => {
    const { app, sale, reconcile, accepted } = await setup();
    const job = await accepted('u1');
    await app.payments.charge({ ...job, idempotencyKey: job.holdId });
    await app.engine.confirm(sale.id, job.holdId);

    expect(await reconcile()).toEqual({ finished: 1, requeued: 0, refunded: 0 });
    expect((await app.store.getOrderByHold(job.holdId))?.status).toBe('confirmed');
    expect((await app.store.charges.get(job.holdId))?.status).toBe('succeeded');
    expect(await reconcile()).toEqual({ finished: 0, requeued: 0, refunded: 0 });
    expect(await app.store.reconcilerActionCounts()).toEqual({ finished: 1 });
    expect((await auditSale(app.engine, app.store, sale.id)).ok).toBe(true);
  });

  it('enqueues again the job of an accepted order whose job is gone; the job then confirms it', async () => {
    const { app, sale, reconcile, accepted } = await setup();
    const job = await accepted('u2');
    expect(await app.queues.orders.state(job.holdId)).toBeNull();

    expect(await reconcile()).toEqual({ finished: 0, requeued: 1, refunded: 0 });
    expect(await app.queues.orders.state(job.holdId)).toBe('waiting');
    // While the job waits, a second pass leaves it to the job.
    expect(await reconcile()).toEqual({ finished: 0, requeued: 0, refunded: 0 });
    const stop = startWorker(app, { concurrency: 2, ticks: false, reconcile: false });
    await app.queues.orders.drained(30_000);
    await stop();
    expect((await app.store.getOrderByHold(job.holdId))?.status).toBe('confirmed');
    expect((await auditSale(app.engine, app.store, sale.id)).ok).toBe(true);
  });

  it('fails and refunds a pending order whose hold was released, and refunds a charge whose order ended unsold', async () => {
    const { app, sale, reconcile, accepted } = await setup();
    const released = await accepted('u3');
    await app.payments.charge({ ...released, idempotencyKey: released.holdId });
    await app.engine.release(sale.id, released.holdId, 'expired');
    // A crash between failing an order and refunding its charge.
    const crashed = await accepted('u4');
    await app.payments.charge({ ...crashed, idempotencyKey: crashed.holdId });
    await app.engine.release(sale.id, crashed.holdId, 'payment_failed');
    await app.store.failOrder(crashed.holdId, 'failed', 'retries_exhausted');

    // Two reconcilers at once (two workers): the same end state as one.
    const [a, b] = await Promise.all([reconcile(), reconcile()]);
    expect(a.finished + b.finished).toBeGreaterThanOrEqual(1);
    expect(a.refunded + b.refunded).toBeGreaterThanOrEqual(1);
    expect((await app.store.getOrderByHold(released.holdId))?.status).toBe('expired');
    expect((await app.store.charges.get(released.holdId))?.status).toBe('refunded');
    expect((await app.store.charges.get(crashed.holdId))?.status).toBe('refunded');
    expect(await reconcile()).toEqual({ finished: 0, requeued: 0, refunded: 0 });
    expect(await app.store.charges.audit(sale.id)).toEqual({
      captured: 0,
      confirmed: 0,
      confirmedUncharged: 0,
      chargedUnconfirmed: 0,
    });
    expect((await auditSale(app.engine, app.store, sale.id)).ok).toBe(true);
  });
});
