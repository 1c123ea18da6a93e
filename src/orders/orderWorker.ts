import type { Logger } from 'pino';
import type { ConfirmItem, ConfirmResult, OrderStore } from '../db/orderStore.ts';
import { coalesce } from '../domain/coalesce.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { Hold, ReleaseReason } from '../domain/hold.ts';
import type { SaleEngine } from '../engine/types.ts';
import { orderIdOf } from './checkout.ts';
import type { JobQueue } from './jobs/types.ts';
import type { AnalyticsJob, MailJob, NotificationJob, OrderJob } from './orderJobs.ts';
import { type OutageRetryPolicy, retryThroughOutage } from './outageRetry.ts';
import { type PaymentProvider, TransientPaymentError } from './payments/port.ts';

export interface OrderWorkerDeps {
  engine: SaleEngine;
  store: OrderStore;
  payments: PaymentProvider;
  notifications: JobQueue<MailJob>;
  analytics: JobQueue<AnalyticsJob>;
  orderAttempts: number;
  /** How long a job rides out a PostgreSQL or Redis outage before its own attempt counts. */
  outageRetry: OutageRetryPolicy;
  log: Logger;
  /** Called when PostgreSQL refuses a confirmation that would oversell (metrics hook). */
  onOversellRefused?: (job: OrderJob) => void;
  /** Called each time a job waits out an outage (metrics hook). */
  onOutageRetry?: () => void;
  /** Largest group commit (default 500); 1 confirms order by order (the bench's baseline). */
  maxBatch?: number;
}

/** Largest group commit: one transaction, one multi-row statement per table. */
const MAX_BATCH = 500;

/**
 * Turns one hold into one order. Every step is safe to repeat, because a job may run again after a
 * crash at any point, and the reconciler runs the same steps for orders left behind:
 *   1. write the pending order (unique on hold id);
 *   2. charge, with the hold id as the provider's idempotency key (at most one charge per hold);
 *   3. confirm the hold in the engine (refused once its deadline has passed → refund);
 *   4. confirm the order in PostgreSQL, in a group commit with the other jobs' confirmations, counted
 *      against the sale's stock in the same transaction (refused beyond the total → refund, alarm).
 * Money rules: a refund only ever follows a failed order (never a confirmed one); an order whose
 * hold the engine already sold is never failed, it is confirmed when PostgreSQL answers again.
 */
export function createOrderPipeline(deps: OrderWorkerDeps) {
  const { engine, store, payments, log } = deps;
  const maxBatch = deps.maxBatch ?? MAX_BATCH;

  // Group commit: the confirmations of concurrent jobs share one transaction; their confirmation
  // mails share one job (MailJob).
  const confirm = coalesce<ConfirmItem, ConfirmResult>(async (items) => {
    const results = await store.confirmOrders(items);
    return items.map((item) => results.get(item.holdId) ?? { outcome: 'not_found', order: null });
  }, maxBatch);
  const mail = coalesce<NotificationJob, void>(async (mails) => {
    await deps.notifications.addBulk([{ name: 'mails', data: { mails } }]);
    return mails.map(() => undefined);
  }, maxBatch);

  const message = (job: OrderJob, kind: NotificationJob['kind'], reason: string | null): NotificationJob => ({
    ...job,
    orderId: orderIdOf(job.saleId, job.holdId),
    kind,
    reason,
  });

  const notifyFailed = async (job: OrderJob, reason: string) => {
    const data = message(job, 'order_failed', reason);
    await mail(data);
    await deps.analytics.add(
      'event',
      { saleId: job.saleId, type: data.kind, userId: job.userId, payload: { orderId: data.orderId, reason } },
      { jobId: `${data.kind}-${job.holdId}` },
    );
  };

  /**
   * Ends the order without a sale: releases the hold, then fails the order. Returns false when the
   * engine had already sold the hold (HOLD_CONFIRMED): then the order is left pending for its
   * confirmation, never failed. True when the order ended (or never existed) unconfirmed.
   */
  const endOrder = async (
    job: OrderJob,
    status: 'failed' | 'expired',
    reason: string,
    release: ReleaseReason,
  ): Promise<boolean> => {
    // Release before failing the order: a crash in between leaves a pending order whose retry sees
    // the released hold and finishes the job.
    try {
      await engine.release(job.saleId, job.holdId, release);
    } catch (error) {
      if (isFlashsaleError(error, 'HOLD_CONFIRMED')) return false;
      if (!isFlashsaleError(error, 'SALE_NOT_FOUND')) throw error;
    }
    const ended = await store.failOrder(job.holdId, status, reason);
    if (ended?.changed) await notifyFailed(job, reason);
    return ended === null || ended.order.status !== 'confirmed';
  };

  /** Ends the order unsold and, only if it did end unsold, refunds whatever was charged. */
  const endAndRefund = async (...args: Parameters<typeof endOrder>): Promise<void> => {
    if (await endOrder(...args)) await payments.refund(args[0].holdId);
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

  const getHold = (job: OrderJob) =>
    engine.getHold(job.saleId, job.holdId).catch((error: unknown) => {
      if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
      throw error;
    });

  const place = async (job: OrderJob): Promise<void> => {
    const order = await store.createPendingOrder(job);
    const hold = await getHold(job);
    if (order.status === 'confirmed') {
      // A retry after PostgreSQL committed: make sure the engine agrees, and that the mail went out.
      // If the first run's mail job had been added before it died, this is a second mail: messages
      // are at least once. (Job ids per message never prevented it for long: BullMQ keeps the last
      // 1,000 completed jobs, about half a second of a sale's orders.)
      if (hold !== null) await confirmInEngine(job, hold);
      await mail(message(job, 'order_confirmed', null));
      return;
    }
    if (order.status !== 'pending') {
      // Failed, expired or refused earlier: nothing may stay charged or held (both idempotent).
      if (hold?.status === 'held') await engine.release(job.saleId, job.holdId, 'rejected');
      await payments.refund(job.holdId);
      return;
    }
    if (hold === null) {
      // Checkout recorded this order while its hold existed, so the engine lost it (a Redis reset):
      // retry, as through any outage, until recovery has put it back (src/sales/reload.ts).
      if (order.idempotencyKey !== null) {
        throw new FlashsaleError('UNAVAILABLE', 'the hold of this order is not restored yet');
      }
      // An order no checkout recorded, whose hold is gone: it cannot be confirmed any more.
      await endAndRefund(job, 'failed', 'hold_not_found', 'cancelled');
      return;
    }
    if (hold.status === 'released') {
      const expired = hold.releaseReason === 'expired';
      await endAndRefund(job, expired ? 'expired' : 'failed', hold.releaseReason ?? 'released', 'cancelled');
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
      await endAndRefund(job, 'expired', 'hold_expired_before_payment', 'expired');
      return;
    }
    const orderId = orderIdOf(job.saleId, job.holdId);
    const confirmed = await confirm({
      holdId: job.holdId,
      chargeId: charge.chargeId,
      event: { type: 'order_confirmed', payload: { orderId, reason: null } },
    });
    switch (confirmed.outcome) {
      case 'confirmed':
      case 'already':
        await mail(message(job, 'order_confirmed', null));
        return;
      case 'oversell':
        // The order is rejected (never confirmed): the charge goes back.
        await payments.refund(job.holdId);
        deps.onOversellRefused?.(job);
        log.error(
          { alarm: 'oversell_refused', saleId: job.saleId, holdId: job.holdId, quantity: job.quantity },
          'PostgreSQL refused a confirmation beyond the total stock: the engine overstated stock',
        );
        return;
      case 'not_pending':
        // Another party ended the order while the engine sold the hold: not confirmed, so refunded.
        await payments.refund(job.holdId);
        log.error({ holdId: job.holdId }, 'an order ended unsold while its hold was sold in the engine');
        return;
      case 'not_found':
        throw new Error(`order of hold ${job.holdId} vanished before its confirmation`);
    }
  };

  /** `place`, riding out outages of PostgreSQL and Redis (see outageRetry.ts). */
  const finish = (job: OrderJob): Promise<void> =>
    retryThroughOutage(() => place(job), deps.outageRetry, {
      onRetry: (error, retry, delayMs) => {
        deps.onOutageRetry?.();
        if (retry === 1 || retry % 10 === 0) {
          log.warn({ holdId: job.holdId, retry, delayMs, err: error }, 'order job waits out an outage');
        }
      },
    });

  const handle = async (job: { data: OrderJob; attemptsMade: number }): Promise<void> => {
    try {
      await finish(job.data);
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= deps.orderAttempts;
      const context = { holdId: job.data.holdId, attempt: job.attemptsMade + 1, lastAttempt };
      // A flaky provider is routine (the job retries); anything else deserves a stack trace.
      if (error instanceof TransientPaymentError && !lastAttempt) {
        log.info({ ...context, reason: error.message }, 'payment failed transiently; will retry');
      } else {
        log.warn({ ...context, err: error }, 'order job failed');
      }
      if (lastAttempt && isFlashsaleError(error, 'UNAVAILABLE')) {
        // The outage outlasted the retries: the stores cannot settle anything now. The reconciler
        // finishes this order once they answer (the hold's deadline bounds the wait).
        log.error({ ...context }, 'order left pending through an outage; the reconciler will finish it');
      } else if (lastAttempt) {
        const reason = error instanceof TransientPaymentError ? 'payment_unavailable' : 'retries_exhausted';
        await endAndRefund(job.data, 'failed', reason, 'payment_failed').catch((cleanupError: unknown) =>
          log.error({ err: cleanupError, holdId: job.data.holdId }, 'could not end an exhausted order'),
        );
      }
      throw error;
    }
  };

  return { handle, finish };
}

/** The job handler alone (see createOrderPipeline). */
export function createOrderHandler(deps: OrderWorkerDeps) {
  return createOrderPipeline(deps).handle;
}
