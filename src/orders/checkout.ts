import { FlashsaleError } from '../domain/errors.ts';
import type { SaleEngine } from '../engine/types.ts';
import type { Catalog } from './catalog.ts';
import type { JobQueue } from './jobs/types.ts';
import type { OrderJob } from './orderJobs.ts';

export interface CheckoutRequest {
  saleId: string;
  userId: string;
  quantity: number;
  idempotencyKey: string;
  paymentMethod: string;
}

export interface CheckoutAccepted {
  /** The hold id: the order job and the order row are keyed by it. */
  orderId: string;
  status: 'pending';
  holdExpiresAt: number;
}

const PAYMENT_METHOD_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

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
  };
  try {
    await deps.orders.add('place-order', job, { jobId: hold.id, attempts: deps.orderAttempts });
  } catch {
    // Without a job nobody would end this hold before its deadline: give the units back now.
    await deps.engine.release(hold.saleId, hold.id, 'cancelled').catch(() => undefined);
    throw new FlashsaleError('UNAVAILABLE', 'The order queue is unavailable; nothing was reserved.');
  }
  return { orderId: hold.id, status: 'pending', holdExpiresAt: hold.expiresAt };
}
