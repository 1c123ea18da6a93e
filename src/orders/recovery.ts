import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { SaleEngine } from '../engine/types.ts';
import { reloadCurrentSales } from '../sales/reload.ts';
import type { PaymentProvider } from './payments/port.ts';

/**
 * Recovery after the engine lost its state: an embedded process that was killed (its memory engine
 * and in-process jobs died with it), or a Redis that lost data. PostgreSQL is the record, so:
 *  - a sale the engine no longer knows is loaded from the catalog (src/sales/reload.ts);
 *  - a pending order whose hold the engine no longer knows can never be confirmed: its charge, if
 *    one was made, is refunded and the order ends as expired.
 */
export async function settleLostOrders(
  deps: { engine: SaleEngine; store: OrderStore; payments: PaymentProvider; log: Logger },
  batch = 500,
): Promise<number> {
  let settled = 0;
  // Settled orders leave the pending set; only the ones kept (their hold still exists) shift the page.
  let kept = 0;
  for (;;) {
    const page = await deps.store.pendingOrders(batch, kept);
    for (const order of page) {
      const hold = await deps.engine.getHold(order.saleId, order.holdId).catch((error: unknown) => {
        if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
        throw error;
      });
      if (hold !== null) {
        kept += 1; // its job is still queued and will finish it
        continue;
      }
      await deps.payments.refund(order.holdId);
      await deps.store.failOrder(order.holdId, 'expired', 'hold_lost');
      settled += 1;
    }
    if (page.length < batch) break;
  }
  if (settled > 0) deps.log.warn({ settled }, 'pending orders whose holds were lost: refunded and expired');
  return settled;
}

/** At a worker's start: load the sales the engine lost, then settle the orders whose holds it lost. */
export async function recoverEngineState(deps: {
  engine: SaleEngine;
  store: OrderStore;
  payments: PaymentProvider;
  log: Logger;
  now: number;
}): Promise<{ loaded: number; settled: number }> {
  const loaded = await reloadCurrentSales(deps, deps.now);
  const settled = await settleLostOrders(deps);
  return { loaded, settled };
}
