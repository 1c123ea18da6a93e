import type { NewOrder } from '../db/records.ts';
import type { JobQueue } from './jobs/types.ts';

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
