import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { Hold, ReleaseReason } from '../domain/hold.ts';
import type { SaleEngine } from '../engine/types.ts';
import { orderIdOf } from './checkout.ts';
import type { JobQueue } from './jobs/types.ts';
import type { AnalyticsJob, NotificationJob, OrderJob } from './orderJobs.ts';
import { type PaymentProvider, TransientPaymentError } from './payments/port.ts';

export interface OrderWorkerDeps {
  engine: SaleEngine;
  store: OrderStore;
  payments: PaymentProvider;
  notifications: JobQueue<NotificationJob>;
  analytics: JobQueue<AnalyticsJob>;
  orderAttempts: number;
  log: Logger;
  /** Called when PostgreSQL refuses a confirmation that would oversell (metrics hook). */
  onOversellRefused?: (job: OrderJob) => void;
}

/**
 * Turns one hold into one order. Every step is safe to repeat, because a job may run again after a
 * crash at any point:
 *   1. write the pending order (unique on hold id);
 *   2. charge, with the hold id as the provider's idempotency key (at most one charge per hold);
 *   3. confirm the hold in the engine (refused once its deadline has passed → refund);
 *   4. confirm the order in PostgreSQL, counted against the sale's stock in the same transaction
 *      (refused beyond the total → refund, alarm).
 * A decline releases the hold at once. On the last attempt, a failure releases the hold and fails
 * the order before the job is kept as failed for inspection.
 */
export function createOrderHandler(deps: OrderWorkerDeps) {
  const { engine, store, payments, log } = deps;

  const endOrder = async (
    job: OrderJob,
    status: 'failed' | 'expired',
    reason: string,
    release: ReleaseReason,
  ) => {
    // Release before failing the order: a crash in between leaves a pending order whose retry sees
    // the released hold and finishes the job.
    await engine.release(job.saleId, job.holdId, release).catch((error: unknown) => {
      if (!isFlashsaleError(error, 'HOLD_CONFIRMED')) throw error;
    });
    const ended = await store.failOrder(job.holdId, status, reason);
    if (ended?.changed) await notify(job, 'order_failed', reason);
  };

  const notify = async (job: OrderJob, kind: NotificationJob['kind'], reason: string | null) => {
    const data = { ...job, orderId: orderIdOf(job.saleId, job.holdId), kind, reason };
    await deps.notifications.add(kind, data, { jobId: `${kind}-${job.holdId}` });
    await deps.analytics.add(
      'event',
      { saleId: job.saleId, type: kind, userId: job.userId, payload: { orderId: data.orderId, reason } },
      { jobId: `${kind}-${job.holdId}` },
    );
  };

  const confirmInEngine = async (job: OrderJob, hold: Hold): Promise<boolean> => {
    if (hold.status === 'confirmed') return true;
    try {
      await engine.confirm(job.saleId, job.holdId);
      return true;
    } catch (error) {
      if (isFlashsaleError(error, 'HOLD_EXPIRED', 'HOLD_RELEASED')) return false;
      throw error;
    }
  };

  const place = async (job: OrderJob): Promise<void> => {
    const order = await store.createPendingOrder(job);
    const hold = await engine.getHold(job.saleId, job.holdId);
    if (hold === null) {
      // Checkout recorded this order while its hold existed, so the engine lost it (a Redis reset):
      // retry until recovery has put it back (src/sales/reload.ts) rather than fail the order.
      if (order.status === 'pending' && order.idempotencyKey !== null) {
        throw new FlashsaleError('UNAVAILABLE', 'the hold of this order is not restored yet');
      }
      await store.failOrder(job.holdId, 'failed', 'hold_not_found');
      return;
    }
    if (order.status === 'confirmed') {
      // A retry after PostgreSQL committed: make sure the engine agrees.
      await confirmInEngine(job, hold);
      return;
    }
    if (order.status !== 'pending') {
      if (hold.status === 'held') await engine.release(job.saleId, job.holdId, 'rejected');
      return;
    }
    if (hold.status === 'released') {
      await payments.refund(job.holdId);
      const expired = hold.releaseReason === 'expired';
      await endOrder(job, expired ? 'expired' : 'failed', hold.releaseReason ?? 'released', 'cancelled');
      return;
    }

    const charge = await payments.charge({
      idempotencyKey: job.holdId,
      saleId: job.saleId,
      amountCents: job.amountCents,
      currency: job.currency,
      paymentMethod: job.paymentMethod,
    });
    if (charge.status === 'declined') {
      await endOrder(job, 'failed', `payment_declined:${charge.reason}`, 'payment_failed');
      return;
    }
    if (!(await confirmInEngine(job, hold))) {
      await payments.refund(job.holdId);
      await endOrder(job, 'expired', 'hold_expired_before_payment', 'expired');
      return;
    }
    const confirmed = await store.confirmOrder(job.holdId, charge.chargeId);
    if (confirmed.outcome === 'oversell') {
      await payments.refund(job.holdId);
      deps.onOversellRefused?.(job);
      log.error(
        { alarm: 'oversell_refused', saleId: job.saleId, holdId: job.holdId, quantity: job.quantity },
        'PostgreSQL refused a confirmation beyond the total stock: the engine overstated stock',
      );
      return;
    }
    if (confirmed.outcome === 'confirmed') await notify(job, 'order_confirmed', null);
  };

  return async (job: { data: OrderJob; attemptsMade: number }): Promise<void> => {
    try {
      await place(job.data);
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= deps.orderAttempts;
      const context = { holdId: job.data.holdId, attempt: job.attemptsMade + 1, lastAttempt };
      // A flaky provider is routine (the job retries); anything else deserves a stack trace.
      if (error instanceof TransientPaymentError && !lastAttempt) {
        log.info({ ...context, reason: error.message }, 'payment failed transiently; will retry');
      } else {
        log.warn({ ...context, err: error }, 'order job failed');
      }
      if (lastAttempt) {
        const reason = error instanceof TransientPaymentError ? 'payment_unavailable' : 'retries_exhausted';
        await payments.refund(job.data.holdId).catch(() => undefined);
        await endOrder(job.data, 'failed', reason, 'payment_failed').catch((cleanupError: unknown) =>
          log.error({ err: cleanupError, holdId: job.data.holdId }, 'could not end an exhausted order'),
        );
      }
      throw error;
    }
  };
}
