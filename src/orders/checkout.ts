import { FlashsaleError } from '../domain/errors.ts';
import { PAYMENT_METHOD_PATTERN } from '../domain/order.ts';
import { SALE_ID_PATTERN } from '../domain/sale.ts';
import type { SaleEngine } from '../engine/types.ts';
import type { Catalog } from '../sales/catalog.ts';
import type { JobQueue } from './jobs/types.ts';
import type { OrderJob } from './orderJobs.ts';

export interface CheckoutRequest {
  saleId: string;
  userId: string;
  quantity: number;
  idempotencyKey: string;
  paymentMethod: string;
  /** Where the confirmation goes; null: no message (see notificationHandler). */
  email?: string | null;
}

export interface CheckoutAccepted {
  /** The public order id, `<saleId>.<holdId>` (see orderIdOf). */
  orderId: string;
  /** The order job and the order row are keyed by the hold id. */
  holdId: string;
  status: 'pending';
  holdExpiresAt: number;
}

/** Hold ids are `crypto.randomUUID()`: lowercase. */
const HOLD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The public order id is `<saleId>.<holdId>`: the hold id alone keys the order job and the order
 * row, but reading the hold from the engine (before the row exists) needs its sale. Sale ids have
 * no dots, so the first dot splits it.
 */
export const orderIdOf = (saleId: string, holdId: string) => `${saleId}.${holdId}`;

export function parseOrderId(orderId: string): { saleId: string; holdId: string } | null {
  const dot = orderId.indexOf('.');
  if (dot < 0) return null;
  const saleId = orderId.slice(0, dot);
  const holdId = orderId.slice(dot + 1);
  return SALE_ID_PATTERN.test(saleId) && HOLD_ID_PATTERN.test(holdId) ? { saleId, holdId } : null;
}

/**
 * Checkout = reserve + enqueue. Answers at once; the order worker does the slow part. If the process
 * dies between the two steps, the hold's deadline returns the units. A retry with the same
 * idempotency key finds the same hold and re-adds the same job id, which BullMQ ignores.
 */
export async function checkout(
  deps: { engine: SaleEngine; catalog: Catalog; orders: JobQueue<OrderJob>; orderAttempts: number },
  request: CheckoutRequest,
): Promise<CheckoutAccepted> {
  if (typeof request.paymentMethod !== 'string' || !PAYMENT_METHOD_PATTERN.test(request.paymentMethod)) {
    throw new FlashsaleError('INVALID_REQUEST', 'paymentMethod must be 1-64 letters, digits or "_"');
  }
  const sale = await deps.catalog.get(request.saleId);
  if (sale === null) throw new FlashsaleError('SALE_NOT_FOUND');
  const hold = await deps.engine.reserve(request);
  const job: OrderJob = {
    holdId: hold.id,
    saleId: hold.saleId,
    userId: hold.userId,
    quantity: hold.quantity,
    amountCents: sale.priceCents * hold.quantity,
    currency: sale.currency,
    paymentMethod: request.paymentMethod,
    email: request.email ?? null,
  };
  try {
    await deps.orders.add('place-order', job, { jobId: hold.id, attempts: deps.orderAttempts });
  } catch {
    // Without a job nobody would end this hold before its deadline: give the units back now.
    await deps.engine.release(hold.saleId, hold.id, 'cancelled').catch(() => undefined);
    throw new FlashsaleError('UNAVAILABLE', 'The order queue is unavailable; nothing was reserved.');
  }
  return {
    orderId: orderIdOf(hold.saleId, hold.id),
    holdId: hold.id,
    status: 'pending',
    holdExpiresAt: hold.expiresAt,
  };
}
