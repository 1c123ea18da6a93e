import { createHash } from 'node:crypto';
import type { OrderStore } from '../db/orderStore.ts';
import type { OrderRecord, SaleRecord } from '../db/records.ts';
import { type ErrorCode, FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { Hold } from '../domain/hold.ts';
import { PAYMENT_METHOD_PATTERN } from '../domain/order.ts';
import { SALE_ID_PATTERN } from '../domain/sale.ts';
import type { SaleEngine } from '../engine/types.ts';
import type { Catalog } from '../sales/catalog.ts';
import { orderJobOf, type Queues } from './orderJobs.ts';

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

/** Engine refusals a repeated idempotency key may meet after a loss, while PostgreSQL has its order. */
const ENGINE_REFUSALS: ErrorCode[] = ['LIMIT_EXCEEDED', 'SOLD_OUT', 'INSUFFICIENT_STOCK', 'NOT_LIVE'];

/** The failure reason of an order whose checkout answered 503 (nothing reserved, nobody told 202). */
const NEVER_ACCEPTED = 'queue_unavailable';

/** Most fresh attempts one key may start, each after a checkout of it answered 503. */
const MAX_FRESH_ATTEMPTS = 8;

/**
 * A key whose checkout answered 503 was never accepted: asked again, it must try again, not answer
 * with the order that died with the 503. The fresh attempt runs under a key derived from the key and
 * the dead attempt's hold, so concurrent retries of one key derive the same key and stay one order,
 * and a retry after the fresh attempt was accepted finds that order. Printable ASCII, 44 characters.
 */
export const freshAttemptKey = (idempotencyKey: string, deadHoldId: string) =>
  `~${createHash('sha256').update(`${idempotencyKey}\n${deadHoldId}`).digest('base64url')}`;

const neverAccepted = (order: OrderRecord) =>
  order.status === 'failed' && order.failureReason === NEVER_ACCEPTED;

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

type CheckoutDeps = {
  engine: SaleEngine;
  store: OrderStore;
  catalog: Catalog;
  queues: Pick<Queues, 'orders'>;
  orderAttempts: number;
};

/**
 * Checkout = reserve + record + enqueue. Answers at once; the order worker does the slow part.
 *  1. The engine reserves (limit, stock and idempotency checked in one atomic step). If it refuses,
 *     an order PostgreSQL already has for this idempotency key is still the answer: a Redis that
 *     lost its keys but was reloaded with the buyer's units says LIMIT_EXCEEDED to a plain retry.
 *  2. PostgreSQL records the pending order under the per-buyer guard (durableSaleState.placeOrder):
 *     the buyer's limit and the idempotency key hold there even when Redis forgot them. A refusal
 *     there, or an earlier order for the key, gives the new hold back.
 *  3. The order job is enqueued (its id is the hold id, so a retry re-adds the same job, ignored).
 *     If that fails the checkout answers 503 and ends its order (queue_unavailable) with the units
 *     given back; asked again with the same key, it tries afresh (freshAttemptKey) rather than
 *     answering 202 with the order that died with the 503.
 * If the process dies between steps, the hold's deadline returns the units and recovery finishes the
 * pending order (see recovery.ts).
 */
export async function checkout(deps: CheckoutDeps, request: CheckoutRequest): Promise<CheckoutAccepted> {
  if (typeof request.paymentMethod !== 'string' || !PAYMENT_METHOD_PATTERN.test(request.paymentMethod)) {
    throw new FlashsaleError('INVALID_REQUEST', 'paymentMethod must be 1-64 letters, digits or "_"');
  }
  const sale = await deps.catalog.get(request.saleId);
  if (sale === null) throw new FlashsaleError('SALE_NOT_FOUND');
  let attempt = request;
  for (let fresh = 0; fresh <= MAX_FRESH_ATTEMPTS; fresh++) {
    const answer = await attemptCheckout(deps, sale, attempt);
    if (!('deadHoldId' in answer)) return answer;
    attempt = { ...attempt, idempotencyKey: freshAttemptKey(attempt.idempotencyKey, answer.deadHoldId) };
  }
  throw new FlashsaleError('UNAVAILABLE', 'The order queue is unavailable; nothing was reserved.');
}

/** One attempt under one key: accepted, or the hold of an attempt of this key that answered 503. */
async function attemptCheckout(
  deps: CheckoutDeps,
  sale: SaleRecord,
  request: CheckoutRequest,
): Promise<CheckoutAccepted | { deadHoldId: string }> {
  let hold: Hold;
  try {
    hold = await deps.engine.reserve(request);
  } catch (error) {
    if (!isFlashsaleError(error, ...ENGINE_REFUSALS)) throw error;
    const earlier = await deps.store.orderByIdempotencyKey(
      request.saleId,
      request.userId,
      request.idempotencyKey,
    );
    if (earlier === null) throw error;
    return answerWith(deps, earlier, request.quantity);
  }
  const giveBack = (reason: 'cancelled' | 'rejected') =>
    deps.engine.release(hold.saleId, hold.id, reason).catch(() => undefined);
  const placed = await deps.store
    .placeOrder(
      {
        holdId: hold.id,
        saleId: hold.saleId,
        userId: hold.userId,
        quantity: hold.quantity,
        amountCents: sale.priceCents * hold.quantity,
        currency: sale.currency,
        paymentMethod: request.paymentMethod,
        idempotencyKey: request.idempotencyKey,
        holdExpiresAt: hold.expiresAt,
      },
      sale.perUserLimit,
    )
    .catch(async (error: unknown) => {
      await giveBack('cancelled');
      throw error;
    });
  if (placed.outcome === 'limit') {
    await giveBack('rejected');
    throw new FlashsaleError('LIMIT_EXCEEDED');
  }
  if (placed.order.holdId !== hold.id) {
    // The engine forgot this key (a Redis that lost data) and made a second hold: PostgreSQL's order stands.
    await giveBack('cancelled');
    return answerWith(deps, placed.order, request.quantity);
  }
  if (placed.outcome === 'existing') return answerWith(deps, placed.order, request.quantity);
  try {
    await enqueue(deps, placed.order, request.email ?? null);
  } catch {
    // Without a job nobody would end this hold before its deadline: give the units back now.
    await giveBack('cancelled');
    await deps.store.failOrder(hold.id, 'failed', NEVER_ACCEPTED).catch(() => undefined);
    throw new FlashsaleError('UNAVAILABLE', 'The order queue is unavailable; nothing was reserved.');
  }
  return accepted(placed.order, hold.expiresAt);
}

/** `email`: where the confirmation goes when the buyer's token has no email claim (null: nowhere). */
function enqueue(
  deps: Pick<CheckoutDeps, 'queues' | 'orderAttempts'>,
  order: OrderRecord,
  email: string | null = null,
) {
  return deps.queues.orders.add(
    'place-order',
    { ...orderJobOf(order), email },
    {
      jobId: order.holdId,
      attempts: deps.orderAttempts,
    },
  );
}

/**
 * A repeated idempotency key: the same order. A pending one has its job added again (ignored when it
 * is still queued; run again when the queue lost it).
 */
async function answerWith(
  deps: Pick<CheckoutDeps, 'engine' | 'queues' | 'orderAttempts'>,
  order: OrderRecord,
  quantity: number,
): Promise<CheckoutAccepted | { deadHoldId: string }> {
  if (order.quantity !== quantity) throw new FlashsaleError('IDEMPOTENCY_CONFLICT');
  const hold = await deps.engine.getHold(order.saleId, order.holdId).catch(() => null);
  if (neverAccepted(order)) {
    // Giving its units back may have failed with the 503 (Redis away too): give them back now, or
    // they would stay held until the hold's deadline.
    if (hold?.status === 'held') {
      await deps.engine.release(order.saleId, order.holdId, 'cancelled').catch((error: unknown) => {
        if (!isFlashsaleError(error, 'HOLD_RELEASED', 'HOLD_EXPIRED')) throw error;
      });
    }
    return { deadHoldId: order.holdId };
  }
  if (order.status === 'pending') {
    await enqueue(deps, order).catch(() => {
      throw new FlashsaleError('UNAVAILABLE', 'The order queue is unavailable.');
    });
  }
  return accepted(order, hold?.expiresAt ?? order.holdExpiresAt ?? order.createdAt);
}

function accepted(order: OrderRecord, holdExpiresAt: number): CheckoutAccepted {
  return {
    orderId: orderIdOf(order.saleId, order.holdId),
    holdId: order.holdId,
    status: 'pending',
    holdExpiresAt,
  };
}
