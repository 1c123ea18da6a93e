/**
 * What Redis may forget and PostgreSQL keeps (see docs/architecture.md, Redis may lose everything):
 * the operator's switches and schedule, the per-buyer guard with each accepted idempotency key, and
 * the engine incarnation last seen. OrderStore exposes these; the SQL lives here to keep files small.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from './database.ts';
import { iso, type OrderRecord, type OrderRow, type PlacedOrder, type SaleRow, toOrder } from './records.ts';

/**
 * placed: this call wrote the order. existing: the buyer's idempotency key (or this hold) already has
 * an order, returned. limit: the buyer's pending and confirmed units plus this order would pass the
 * sale's per-user limit; nothing was written.
 */
export type PlaceOutcome =
  | { outcome: 'placed'; order: OrderRecord }
  | { outcome: 'existing'; order: OrderRecord }
  | { outcome: 'limit'; order: null };

export async function setSaleSwitch(
  db: Queryable,
  saleId: string,
  flag: 'paused' | 'ended',
  value: boolean,
): Promise<SaleRow | null> {
  // The column name comes from the type above, never from input.
  const endedAt = flag === 'ended' ? ', ended_at = coalesce(ended_at, now())' : '';
  const [row] = await db.query<SaleRow>(`UPDATE sales SET ${flag} = $2${endedAt} WHERE id = $1 RETURNING *`, [
    saleId,
    value,
  ]);
  return row ?? null;
}

/** Start-now: moves starts_at (and prequeue_at) back to `now` if they are later, as the engine does. */
export async function startSaleNow(db: Queryable, saleId: string, now: number): Promise<SaleRow | null> {
  const [row] = await db.query<SaleRow>(
    `UPDATE sales SET starts_at = least(starts_at, $2::timestamptz),
       prequeue_at = least(prequeue_at, $2::timestamptz)
     WHERE id = $1 AND ends_at > $2::timestamptz RETURNING *`,
    [saleId, iso(now)],
  );
  if (row !== undefined) return row;
  const [unchanged] = await db.query<SaleRow>('SELECT * FROM sales WHERE id = $1', [saleId]);
  return unchanged ?? null;
}

/**
 * Writes pending orders, each under its buyer's guard, in one call of `flashsale_place_orders`
 * (migration 011), one transaction. Each order is placed by `flashsale_place_order` (007): it locks the (sale, buyer) row, so a buyer's checkouts run one after the other across every
 * API process, then — with a snapshot taken after the lock — returns an order with the same
 * idempotency key (or hold) as it is, or inserts this one only if the buyer's pending and confirmed
 * units plus this one stay within `perUserLimit`. Redis checks the same limit first; this is what
 * still holds when Redis forgot. Orders are taken in (sale, buyer) order; each sees the ones placed
 * before it, this batch's included. The outcomes come back in the order given. A database failure
 * fails the whole batch (nothing of it is written).
 */
export async function placeOrders(
  db: Queryable,
  batch: ReadonlyArray<{ order: PlacedOrder; perUserLimit: number }>,
): Promise<PlaceOutcome[]> {
  const items = batch.map(({ order, perUserLimit }) => ({
    id: randomUUID(),
    hold_id: order.holdId,
    sale_id: order.saleId,
    user_id: order.userId,
    quantity: order.quantity,
    amount_cents: order.amountCents,
    currency: order.currency,
    payment_method: order.paymentMethod,
    idempotency_key: order.idempotencyKey,
    hold_expires_at: iso(order.holdExpiresAt),
    per_user_limit: perUserLimit,
  }));
  const rows = await db.query<OrderRow>('SELECT * FROM flashsale_place_orders($1::jsonb)', [
    JSON.stringify(items),
  ]);
  return items.map((item): PlaceOutcome => {
    // Its own row if it was placed; else the earlier order with its key or hold (maybe placed by an
    // earlier item of this batch); none when the limit refused it.
    const own = rows.find((row) => row.id === item.id);
    if (own !== undefined) return { outcome: 'placed', order: toOrder(own) };
    const earlier = rows.find(
      (row) =>
        row.hold_id === item.hold_id ||
        (row.sale_id === item.sale_id &&
          row.user_id === item.user_id &&
          row.idempotency_key === item.idempotency_key),
    );
    return earlier === undefined
      ? { outcome: 'limit', order: null }
      : { outcome: 'existing', order: toOrder(earlier) };
  });
}

export async function orderByIdempotencyKey(
  db: Queryable,
  saleId: string,
  userId: string,
  idempotencyKey: string,
): Promise<OrderRecord | null> {
  const [row] = await db.query<OrderRow>(
    'SELECT * FROM orders WHERE sale_id = $1 AND user_id = $2 AND idempotency_key = $3',
    [saleId, userId, idempotencyKey],
  );
  return row === undefined ? null : toOrder(row);
}

/** A sale's pending orders, oldest first: after a loss, their holds are put back. */
export async function pendingOrdersOfSale(db: Queryable, saleId: string): Promise<OrderRecord[]> {
  const rows = await db.query<OrderRow>(
    "SELECT * FROM orders WHERE sale_id = $1 AND status = 'pending' ORDER BY created_at, id",
    [saleId],
  );
  return rows.map(toOrder);
}

/** Units each buyer of a sale bought (confirmed orders): their per-user counts after a loss. */
export async function confirmedUnitsByBuyer(db: Queryable, saleId: string): Promise<[string, number][]> {
  const rows = await db.query<{ user_id: string; n: number }>(
    `SELECT user_id, sum(quantity)::int AS n FROM orders WHERE sale_id = $1 AND status = 'confirmed'
     GROUP BY user_id ORDER BY user_id`,
    [saleId],
  );
  return rows.map((r) => [r.user_id, Number(r.n)]);
}

/** The engine incarnation PostgreSQL last saw, and where its store was (null: not recorded). */
export interface RecordedIncarnation {
  id: string;
  location: string | null;
}

export async function recordedIncarnation(db: Queryable): Promise<RecordedIncarnation | null> {
  const [row] = await db.query<{ incarnation: string; store_location: string | null }>(
    'SELECT incarnation, store_location FROM engine_incarnation',
  );
  return row === undefined ? null : { id: row.incarnation, location: row.store_location };
}

/**
 * Records the engine incarnation and its store's location, moving only from `expected` (null: none
 * recorded yet). Returns false when another process recorded something else in between.
 */
export async function recordIncarnation(
  db: Queryable,
  expected: string | null,
  next: string,
  location: string,
): Promise<boolean> {
  if (expected === null) {
    const inserted = await db.query(
      `INSERT INTO engine_incarnation (incarnation, store_location) VALUES ($1, $2)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [next, location],
    );
    return inserted.length > 0;
  }
  const updated = await db.query(
    `UPDATE engine_incarnation SET incarnation = $2, store_location = $3, updated_at = now()
     WHERE incarnation = $1 RETURNING id`,
    [expected, next, location],
  );
  return updated.length > 0;
}

/** A secret shared by every process: the first caller stores `generate()`'s value, all read it back. */
export async function sharedSecret(
  db: Queryable,
  name: string,
  generate: () => Promise<string>,
): Promise<string> {
  const [existing] = await db.query<{ value: string }>('SELECT value FROM shared_secrets WHERE name = $1', [
    name,
  ]);
  if (existing !== undefined) return existing.value;
  await db.query('INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    await generate(),
  ]);
  const [stored] = await db.query<{ value: string }>('SELECT value FROM shared_secrets WHERE name = $1', [
    name,
  ]);
  if (stored === undefined) throw new Error(`shared secret ${name} vanished after it was written`);
  return stored.value;
}
