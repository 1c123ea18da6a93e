/**
 * A buyer reading their order. Before the worker writes the order row, the hold tells the outcome;
 * afterwards the row does. Another user's order, or an unknown or malformed id, is ORDER_NOT_FOUND
 * alike, so order ids cannot be probed.
 */
import type { OrderStore } from '../db/orderStore.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { Hold } from '../domain/hold.ts';
import { orderNumberOf, type PublicOrderStatus, publicOrderStatus } from '../domain/order.ts';
import type { SaleEngine } from '../engine/types.ts';
import type { Catalog } from '../sales/catalog.ts';
import { parseOrderId } from './checkout.ts';

export interface BuyerOrder {
  orderId: string;
  /** Short, for people: derived from the hold id (domain/order.ts). */
  orderNumber: string;
  saleId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  status: PublicOrderStatus;
}

/** Before the worker writes the row, the hold tells; a confirmed hold's row is moments away. */
function statusOfHold(hold: Hold): PublicOrderStatus {
  if (hold.status === 'released') return hold.releaseReason === 'expired' ? 'expired' : 'failed';
  return 'pending';
}

export async function findBuyerOrder(
  deps: { engine: SaleEngine; store: OrderStore; catalog: Catalog },
  userId: string,
  orderId: string,
): Promise<BuyerOrder> {
  const notFound = () => new FlashsaleError('ORDER_NOT_FOUND');
  const id = parseOrderId(orderId);
  if (id === null) throw notFound();

  const record = await deps.store.getOrderByHold(id.holdId);
  if (record !== null) {
    if (record.saleId !== id.saleId || record.userId !== userId) throw notFound();
    const { saleId, quantity, amountCents, currency } = record;
    return {
      orderId,
      orderNumber: orderNumberOf(orderId),
      saleId,
      quantity,
      amountCents,
      currency,
      status: publicOrderStatus(record.status),
    };
  }

  const hold = await deps.engine.getHold(id.saleId, id.holdId).catch((error: unknown) => {
    if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
    throw error;
  });
  if (hold === null || hold.userId !== userId) throw notFound();
  // Checkout refuses sales missing from the catalog, so a hold without one is not an order.
  const sale = await deps.catalog.get(id.saleId);
  if (sale === null) throw notFound();
  return {
    orderId,
    orderNumber: orderNumberOf(orderId),
    saleId: id.saleId,
    quantity: hold.quantity,
    amountCents: sale.priceCents * hold.quantity,
    currency: sale.currency,
    status: statusOfHold(hold),
  };
}
