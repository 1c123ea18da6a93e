/**
 * Group commit of order confirmations: many paid orders counted against their sales' stock in one
 * statement, `flashsale_confirm_orders` (migrations/013_confirm_orders_function.sql). The hot spot of
 * the pipeline is the `sale_stock` row every confirmation updates; one update per sale and batch (by
 * the batch's sum) instead of one per order is what lets confirmations run at thousands per second.
 * See docs/architecture.md, "Orders".
 *
 * The guard is the single-order one, applied to a sum: `sold + n <= total`. When a batch's sum would
 * cross the total, that sale's orders fall back to one guarded update each, in hold-id order, so the
 * guard still refuses exactly the units beyond the total and no fewer.
 */
import type { Queryable } from './database.ts';
import { type OrderRecord, type OrderRow, toOrder } from './records.ts';

/** One paid order to confirm; `event` is the analytics row written in the same transaction. */
export interface ConfirmItem {
  holdId: string;
  chargeId: string;
  event?: { type: string; payload: Record<string, unknown> };
}

/**
 * confirmed: this call sold the units. already: an earlier call did (a retry). oversell: PostgreSQL
 * refused the units because the sale's stock is used up (now or by an earlier call for this hold).
 * not_pending: the order had already failed or expired; nothing changed. not_found: no order has
 * this hold id.
 */
export type ConfirmOutcome = 'confirmed' | 'already' | 'oversell' | 'not_pending' | 'not_found';

export interface ConfirmResult {
  outcome: ConfirmOutcome;
  /** The order after the call; null only for not_found. */
  order: OrderRecord | null;
}

/**
 * Confirms the items (one statement, so one transaction of its own) and returns one result per hold
 * id. The function locks the order rows first, in hold-id order (so two batches sharing holds cannot
 * deadlock): a hold confirmed by two workers at once is counted once, the second sees 'already'.
 */
export async function confirmOrdersIn(
  db: Queryable,
  items: readonly ConfirmItem[],
): Promise<Map<string, ConfirmResult>> {
  const byHold = new Map(items.map((item) => [item.holdId, item]));
  const json = JSON.stringify(
    [...byHold.values()].map((item) => ({
      hold_id: item.holdId,
      charge_id: item.chargeId,
      event_type: item.event?.type ?? null,
      event_payload: item.event?.payload ?? null,
    })),
  );
  const rows = await db.query<OrderRow & { outcome: ConfirmOutcome }>(
    'SELECT c.outcome, (c.o).* FROM flashsale_confirm_orders($1::jsonb) AS c',
    [json],
  );
  const results = new Map<string, ConfirmResult>();
  for (const row of rows) results.set(row.hold_id, { outcome: row.outcome, order: toOrder(row) });
  // A hold with no order gets no row.
  for (const holdId of byHold.keys()) {
    if (!results.has(holdId)) results.set(holdId, { outcome: 'not_found', order: null });
  }
  return results;
}
