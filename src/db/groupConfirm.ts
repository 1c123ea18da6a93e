/**
 * Group commit of order confirmations: many paid orders counted against their sales' stock in one
 * transaction. The hot spot of the pipeline is the `sale_stock` row every confirmation updates; one
 * update per sale and batch (by the batch's sum) instead of one per order is what lets confirmations
 * run at thousands per second. See docs/architecture.md, "Orders".
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
 * Confirms the items in the caller's transaction and returns one result per hold id. The order rows
 * are locked first, in hold-id order (so two batches sharing holds cannot deadlock): a hold confirmed
 * by two workers at once is counted once, the second sees 'already'.
 */
export async function confirmOrdersIn(
  tx: Queryable,
  items: readonly ConfirmItem[],
): Promise<Map<string, ConfirmResult>> {
  const results = new Map<string, ConfirmResult>();
  const byHold = new Map(items.map((item) => [item.holdId, item]));
  const holdIds = [...byHold.keys()].sort();
  const rows = await tx.query<OrderRow>(
    'SELECT * FROM orders WHERE hold_id = ANY($1::text[]) ORDER BY hold_id FOR UPDATE',
    [holdIds],
  );
  const pendingBySale = new Map<string, OrderRow[]>();
  for (const row of rows) {
    if (row.status === 'pending') {
      const list = pendingBySale.get(row.sale_id) ?? [];
      list.push(row);
      pendingBySale.set(row.sale_id, list);
    } else {
      const outcome =
        row.status === 'confirmed' ? 'already' : row.status === 'rejected' ? 'oversell' : 'not_pending';
      results.set(row.hold_id, { outcome, order: toOrder(row) });
    }
  }
  const found = new Set(rows.map((r) => r.hold_id));
  for (const holdId of holdIds) {
    if (!found.has(holdId)) results.set(holdId, { outcome: 'not_found', order: null });
  }

  const toConfirm: OrderRow[] = [];
  const toReject: OrderRow[] = [];
  for (const [saleId, orders] of [...pendingBySale].sort(([a], [b]) => a.localeCompare(b))) {
    const sum = orders.reduce((n, o) => n + Number(o.quantity), 0);
    const counted = await tx.query(
      'UPDATE sale_stock SET sold = sold + $2 WHERE sale_id = $1 AND sold + $2 <= total RETURNING sold',
      [saleId, sum],
    );
    if (counted.length > 0) {
      toConfirm.push(...orders);
      continue;
    }
    // The batch would cross the total: order by order, so exactly the units beyond it are refused.
    for (const order of orders) {
      const one = await tx.query(
        'UPDATE sale_stock SET sold = sold + $2 WHERE sale_id = $1 AND sold + $2 <= total RETURNING sold',
        [saleId, order.quantity],
      );
      (one.length > 0 ? toConfirm : toReject).push(order);
    }
  }

  if (toConfirm.length > 0) {
    const confirmed = await tx.query<OrderRow>(
      `UPDATE orders o SET status = 'confirmed', charge_id = v.charge_id, updated_at = now()
       FROM unnest($1::text[], $2::text[]) AS v(hold_id, charge_id)
       WHERE o.hold_id = v.hold_id RETURNING o.*`,
      [toConfirm.map((o) => o.hold_id), toConfirm.map((o) => byHold.get(o.hold_id)?.chargeId ?? null)],
    );
    for (const row of confirmed) results.set(row.hold_id, { outcome: 'confirmed', order: toOrder(row) });
    const events = confirmed.flatMap((row) => {
      const event = byHold.get(row.hold_id)?.event;
      return event === undefined ? [] : [{ row, event }];
    });
    if (events.length > 0) {
      await tx.query(
        `INSERT INTO events (sale_id, type, user_id, payload)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])`,
        [
          events.map((e) => e.row.sale_id),
          events.map((e) => e.event.type),
          events.map((e) => e.row.user_id),
          events.map((e) => JSON.stringify(e.event.payload)),
        ],
      );
    }
  }
  if (toReject.length > 0) {
    const rejected = await tx.query<OrderRow>(
      `UPDATE orders SET status = 'rejected', failure_reason = 'oversell', updated_at = now()
       WHERE hold_id = ANY($1::text[]) RETURNING *`,
      [toReject.map((o) => o.hold_id)],
    );
    await tx.query(
      `INSERT INTO oversell_refusals (sale_id, hold_id, quantity)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`,
      [
        toReject.map((o) => o.sale_id),
        toReject.map((o) => o.hold_id),
        toReject.map((o) => Number(o.quantity)),
      ],
    );
    for (const row of rejected) results.set(row.hold_id, { outcome: 'oversell', order: toOrder(row) });
  }
  return results;
}
