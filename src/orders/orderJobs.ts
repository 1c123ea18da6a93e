import type { NewOrder } from '../db/records.ts';
import type { JobQueue, KeepCompleted } from './jobs/types.ts';

/**
 * Payloads of the pipeline's jobs. The order job carries the order it will write, plus where its
 * confirmation goes; its job id is the hold id: one job, one order per hold.
 */
export interface OrderJob extends NewOrder {
  /** The buyer's address: the user token's `email` claim, else the one given at checkout; none: no mail. */
  email?: string | null;
}

/** The order job of a recorded order (checkout, a retried key, recovery after a loss). */
export const orderJobOf = (order: NewOrder): OrderJob => ({
  holdId: order.holdId,
  saleId: order.saleId,
  userId: order.userId,
  quantity: order.quantity,
  amountCents: order.amountCents,
  currency: order.currency,
  paymentMethod: order.paymentMethod,
});

export interface NotificationJob {
  kind: 'order_confirmed' | 'order_failed';
  orderId: string;
  saleId: string;
  userId: string;
  /** Copied from the order job; without an address no message is sent. */
  email?: string | null;
  quantity: number;
  amountCents: number;
  currency: string;
  reason: string | null;
}

/**
 * A notifications job: the messages of one group commit, sent by one job (a job costs Redis and the
 * worker as much as an order job does). A message that fails is retried on its own, as a job of one
 * whose id is `<kind>-<holdId>` (sideEffects.ts), so the messages already sent do not go again.
 */
export interface MailJob {
  mails: NotificationJob[];
}

/**
 * Completed mail jobs kept, for inspection: 100, where other queues keep 1,000. A mail job carries a
 * whole group commit's messages, up to 500 of ~300 bytes (~150 KB), so 1,000 of them could hold
 * ~150 MB of Redis for a day; 100 hold at most ~15 MB. The cost: a message retried alone (a job of
 * one whose id is `<kind>-<holdId>`, sideEffects.ts) is deduplicated by id over a shorter window;
 * messages are at least once either way.
 */
export const MAIL_JOBS_KEPT: KeepCompleted = { count: 100, ageMs: 24 * 60 * 60 * 1000 };

export interface AnalyticsJob {
  saleId: string;
  type: string;
  userId: string | null;
  payload: Record<string, unknown>;
}

/** The pipeline's three job queues; a shape builds them on its job runner. */
export interface Queues {
  orders: JobQueue<OrderJob>;
  notifications: JobQueue<MailJob>;
  analytics: JobQueue<AnalyticsJob>;
}

export const QUEUE_NAMES = {
  orders: 'orders',
  notifications: 'notifications',
  analytics: 'analytics',
} as const;
