/**
 * The reconciler: a periodic pass inside every `flashsale worker` (and the embedded process) that
 * repairs what crashes and outages leave behind, so no paid order is left behind. Each action is
 * idempotent and runs the same steps as the order job, so any number of workers may reconcile at once
 * (two workers acting on one order end in the same rows as one). Every action is logged, recorded in
 * `reconciler_actions` (→ flashsale_reconciler_actions{action} in /metrics, and an alert) and
 * returned. Only states older than the grace period are touched: younger ones belong to their job.
 *
 *   finished  a pending order whose hold the engine already ended (sold, released, lost) or whose job
 *             failed or completed: the order job's steps are run again here (confirm, or fail and
 *             refund);
 *   requeued  a pending order whose hold is still held and whose job is gone: enqueued again, job id
 *             = hold id;
 *   refunded  a captured charge whose order ended unsold (or never existed): refunded.
 * Holds with neither job nor order are released at their deadline by the hold sweeper
 * (src/sales/ticks.ts), which every worker runs.
 */
import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { SaleEngine } from '../engine/types.ts';
import type { JobQueue } from './jobs/types.ts';
import { type OrderJob, orderJobOf } from './orderJobs.ts';
import type { PaymentProvider } from './payments/port.ts';

export const RECONCILER_ACTIONS = ['finished', 'requeued', 'refunded'] as const;
export type ReconcilerAction = (typeof RECONCILER_ACTIONS)[number];

export interface ReconcilerDeps {
  engine: SaleEngine;
  store: OrderStore;
  payments: PaymentProvider;
  orders: JobQueue<OrderJob>;
  /** The order job's steps with outage riding (createOrderPipeline().finish). */
  finish: (job: OrderJob) => Promise<void>;
  orderAttempts: number;
  log: Logger;
  /** Age (by the database's clock) below which an order or charge is left to its job. */
  graceMs: number;
}

/** One pass; returns the number of actions taken, by action. */
export async function reconcileOnce(deps: ReconcilerDeps): Promise<Record<ReconcilerAction, number>> {
  const done: Record<ReconcilerAction, number> = { finished: 0, requeued: 0, refunded: 0 };
  const act = async (action: ReconcilerAction, holdId: string, saleId: string | null) => {
    done[action] += 1;
    deps.log.warn({ reconciler: action, holdId, saleId }, `reconciler ${action} an order left behind`);
    await deps.store.recordReconcilerAction(action, holdId, saleId);
  };

  for (const order of await deps.store.stalePendingOrders(deps.graceMs)) {
    const job = await deps.orders.state(order.holdId);
    if (job === 'waiting' || job === 'active' || job === 'delayed') continue; // its job will do it
    const hold = await deps.engine.getHold(order.saleId, order.holdId).catch((error: unknown) => {
      if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
      throw error;
    });
    if (hold?.status === 'held' && job === null) {
      await deps.orders.add('place-order', orderJobOf(order), {
        jobId: order.holdId,
        attempts: deps.orderAttempts,
      });
      await act('requeued', order.holdId, order.saleId);
      continue;
    }
    await deps.finish(orderJobOf(order));
    await act('finished', order.holdId, order.saleId);
  }

  for (const charge of await deps.store.charges.unsettled(deps.graceMs)) {
    await deps.payments.refund(charge.idempotencyKey);
    await act('refunded', charge.idempotencyKey, charge.saleId);
  }
  return done;
}

/**
 * Runs a pass every `intervalMs` (the first one after one interval) until stopped; a failed pass
 * (an outage) is logged and the next one tries again. Returns a stop function that waits for the
 * pass in flight.
 */
export function startReconciler(deps: ReconcilerDeps, intervalMs: number): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = reconcileOnce(deps).then(
      () => undefined,
      (error: unknown) => deps.log.warn({ err: error }, 'reconciler pass failed; next pass retries'),
    );
    void running.then(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  let timer = setTimeout(tick, intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
