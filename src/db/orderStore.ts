import { randomUUID } from 'node:crypto';
import { coalesce } from '../domain/coalesce.ts';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order.ts';
import { SALE_DEFAULTS } from '../domain/sale.ts';
import { ChargeStore } from './chargeStore.ts';
import { type Database, selectByKeys } from './database.ts';
import * as durable from './durableSaleState.ts';
import { type ConfirmItem, type ConfirmResult, confirmOrdersIn } from './groupConfirm.ts';
import {
  iso,
  type NewOrder,
  type OrderRecord,
  type OrderRow,
  type PlacedOrder,
  type SaleCatalog,
  type SaleRecord,
  type SaleRow,
  toOrder,
  toSale,
} from './records.ts';
import { SaleHistoryStore } from './saleHistory.ts';

export type { ConfirmItem, ConfirmOutcome, ConfirmResult } from './groupConfirm.ts';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function one<T>(rows: T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`expected a row from ${what}`);
  return row;
}

/**
 * The durable record of a sale: catalog, orders, the stock guard, the simulated payment ledger and
 * analytics. Every write is safe to repeat: job retries, duplicate deliveries and concurrent workers
 * all end in the same rows as one clean run.
 */
/** Most pending orders in one call: bounds a batch's transaction and the locks it holds. */
const PLACE_BATCH = 128;
/** Most keys in one batched read (the order worker's per-job lookups). */
const LOOKUP_BATCH = 256;

export class OrderStore {
  /** The sale's sampled counters over time (saleHistory.ts), on the same database. */
  readonly history: SaleHistoryStore;
  /** The simulated payment provider's ledger and the audit of charges against orders (chargeStore.ts). */
  readonly charges: ChargeStore;
  /**
   * Checkout's durable step as a group commit: the pending orders of concurrent checkouts go to the
   * database in one call and one transaction while the previous batch is being written.
   */
  private readonly placeInBatch: (item: {
    order: PlacedOrder;
    perUserLimit: number;
  }) => Promise<durable.PlaceOutcome>;

  /**
   * The order worker's per-job order lookups, batched the same way: every job of a batch asks for its
   * own hold's order, and on this machine a round trip per query costs more than the query (see
   * bench/README.md, "Orders persisted"). Its charge lookups and writes are batched in ChargeStore.
   */
  private readonly orderOfHold: (holdId: string) => Promise<OrderRecord | null>;

  constructor(private readonly db: Database) {
    this.history = new SaleHistoryStore(db);
    this.placeInBatch = coalesce((batch) => durable.placeOrders(db, batch), PLACE_BATCH);
    this.orderOfHold = coalesce((holdIds) => {
      const sql = 'SELECT * FROM orders WHERE hold_id = ANY($1::text[])';
      return selectByKeys<OrderRow, OrderRecord>(db, sql, holdIds, (row) => row.hold_id, toOrder);
    }, LOOKUP_BATCH);
    this.charges = new ChargeStore(db);
  }

  /** Inserts the sale and its stock row; if the id exists, changes nothing and returns the stored sale. */
  async upsertSale(sale: SaleCatalog): Promise<{ sale: SaleRecord; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO sales (id, name, description, price_cents, currency, total_stock, per_user_limit,
           prequeue_at, starts_at, ends_at, queueing, shuffle_seed, admission_per_second,
           admission_max_active, session_seconds, hold_seconds, image_url, pow_difficulty, parts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          sale.id,
          sale.name,
          sale.description ?? SALE_DEFAULTS.description,
          sale.priceCents,
          sale.currency ?? SALE_DEFAULTS.currency,
          sale.totalStock,
          sale.perUserLimit,
          iso(sale.prequeueAt),
          iso(sale.startsAt),
          iso(sale.endsAt),
          sale.queueing,
          sale.shuffleSeed,
          sale.admission.perSecond,
          sale.admission.maxActive,
          sale.admission.sessionSeconds,
          sale.holdSeconds,
          sale.imageUrl ?? null,
          sale.powDifficulty ?? SALE_DEFAULTS.powDifficulty,
          sale.parts,
        ],
      );
      // Stock comes from the stored sale, never from this call's input, so a conflicting retry
      // cannot change the total.
      await tx.query(
        `INSERT INTO sale_stock (sale_id, total) SELECT id, total_stock FROM sales WHERE id = $1
         ON CONFLICT (sale_id) DO NOTHING`,
        [sale.id],
      );
      const stored = one(await tx.query<SaleRow>('SELECT * FROM sales WHERE id = $1', [sale.id]), 'sales');
      return { sale: toSale(stored), created: inserted.length > 0 };
    });
  }

  async getSale(id: string): Promise<SaleRecord | null> {
    const [row] = await this.db.query<SaleRow>('SELECT * FROM sales WHERE id = $1', [id]);
    return row === undefined ? null : toSale(row);
  }

  async listSales(): Promise<SaleRecord[]> {
    const rows = await this.db.query<SaleRow>('SELECT * FROM sales ORDER BY starts_at, id');
    return rows.map(toSale);
  }

  /** Pauses/resumes (`paused`) or ends (`ended`) a sale in the record; null for an unknown sale. */
  async setSaleSwitch(saleId: string, flag: 'paused' | 'ended', value: boolean): Promise<SaleRecord | null> {
    const row = await durable.setSaleSwitch(this.db, saleId, flag, value);
    return row === null ? null : toSale(row);
  }

  /** Opens a sale now in the record (see durableSaleState.startSaleNow); null for an unknown sale. */
  async startSaleNow(saleId: string, now: number): Promise<SaleRecord | null> {
    const row = await durable.startSaleNow(this.db, saleId, now);
    return row === null ? null : toSale(row);
  }

  /** Checkout's durable step: the pending order, under the per-buyer guard (see durableSaleState.ts). */
  placeOrder(order: PlacedOrder, perUserLimit: number): Promise<durable.PlaceOutcome> {
    return this.placeInBatch({ order, perUserLimit });
  }

  orderByIdempotencyKey(saleId: string, userId: string, key: string): Promise<OrderRecord | null> {
    return durable.orderByIdempotencyKey(this.db, saleId, userId, key);
  }

  pendingOrdersOfSale(saleId: string): Promise<OrderRecord[]> {
    return durable.pendingOrdersOfSale(this.db, saleId);
  }

  confirmedUnitsByBuyer(saleId: string): Promise<[string, number][]> {
    return durable.confirmedUnitsByBuyer(this.db, saleId);
  }

  recordedIncarnation(): Promise<durable.RecordedIncarnation | null> {
    return durable.recordedIncarnation(this.db);
  }

  recordIncarnation(expected: string | null, next: string, location: string): Promise<boolean> {
    return durable.recordIncarnation(this.db, expected, next, location);
  }

  /**
   * Marks a sale archived (hidden from the storefront) and returns it; archiving again keeps the
   * first instant. Null when no sale has this id.
   */
  async archiveSale(id: string, atMs: number): Promise<SaleRecord | null> {
    const [row] = await this.db.query<SaleRow>(
      'UPDATE sales SET archived_at = coalesce(archived_at, $2) WHERE id = $1 RETURNING *',
      [id, iso(atMs)],
    );
    return row === undefined ? null : toSale(row);
  }

  /** Pending orders, oldest first: recovery looks for ones whose hold the engine lost. */
  async pendingOrders(limit = 1000, offset = 0): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      "SELECT * FROM orders WHERE status = 'pending' ORDER BY created_at, id LIMIT $1 OFFSET $2",
      [limit, offset],
    );
    return rows.map(toOrder);
  }

  /**
   * Writes a pending order for a hold, or returns the one already written (by checkout, or by a
   * previous attempt). Read first: checkout has written it in the common case.
   */
  async createPendingOrder(order: NewOrder): Promise<OrderRecord> {
    const existing = await this.getOrderByHold(order.holdId);
    if (existing !== null) return existing;
    await this.db.query(
      `INSERT INTO orders (id, hold_id, sale_id, user_id, quantity, amount_cents, currency, payment_method)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hold_id) DO NOTHING`,
      [
        randomUUID(),
        order.holdId,
        order.saleId,
        order.userId,
        order.quantity,
        order.amountCents,
        order.currency,
        order.paymentMethod,
      ],
    );
    const rows = await this.db.query<OrderRow>('SELECT * FROM orders WHERE hold_id = $1', [order.holdId]);
    return toOrder(one(rows, 'orders'));
  }

  async getOrder(id: string): Promise<OrderRecord | null> {
    // The column is uuid: any other string would be a SQL error rather than "no such order".
    if (!UUID_PATTERN.test(id)) return null;
    const [row] = await this.db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return row === undefined ? null : toOrder(row);
  }

  /** The order of a hold; concurrent calls share one query. */
  getOrderByHold(holdId: string): Promise<OrderRecord | null> {
    return this.orderOfHold(holdId);
  }

  /**
   * Counts a paid order against the sale's stock, in one transaction: a batch of one (see
   * confirmOrders). The CHECK on sale_stock would refuse an oversell even if the guard were wrong.
   */
  async confirmOrder(holdId: string, chargeId: string): Promise<ConfirmResult> {
    const results = await this.confirmOrders([{ holdId, chargeId }]);
    return results.get(holdId) ?? { outcome: 'not_found', order: null };
  }

  /**
   * Group commit: confirms many paid orders in one transaction (groupConfirm.ts), with one
   * `sale_stock` update per sale under `sold + n <= total` and the analytics rows of the confirmed
   * orders in the same transaction. One result per hold id.
   */
  async confirmOrders(items: readonly ConfirmItem[]): Promise<Map<string, ConfirmResult>> {
    if (items.length === 0) return new Map();
    return confirmOrdersIn(this.db, items);
  }

  /**
   * Ends a pending order as failed or expired. Only a pending order moves: a confirmed order is never
   * un-confirmed, and a second call keeps the first reason. `changed` is true only for the call that
   * moved it, so side effects run once. Null when no order has this hold.
   */
  async failOrder(
    holdId: string,
    status: 'failed' | 'expired',
    reason: string,
  ): Promise<{ order: OrderRecord; changed: boolean } | null> {
    // A single guarded UPDATE: if confirmOrder holds the row lock, this waits, then re-checks the
    // status of the committed row and matches nothing.
    const [row] = await this.db.query<OrderRow>(
      `UPDATE orders SET status = $2, failure_reason = $3, updated_at = now()
       WHERE hold_id = $1 AND status = 'pending' RETURNING *`,
      [holdId, status, reason],
    );
    if (row !== undefined) return { order: toOrder(row), changed: true };
    const current = await this.getOrderByHold(holdId);
    return current === null ? null : { order: current, changed: false };
  }

  async orderCounts(saleId: string): Promise<Record<OrderStatus, number>> {
    const rows = await this.db.query<{ status: OrderStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders WHERE sale_id = $1 GROUP BY status',
      [saleId],
    );
    const counts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  /** Units counted against stock (sale_stock.sold); 0 for an unknown sale. */
  async soldUnits(saleId: string): Promise<number> {
    const [row] = await this.db.query<{ sold: number }>('SELECT sold FROM sale_stock WHERE sale_id = $1', [
      saleId,
    ]);
    return row === undefined ? 0 : Number(row.sold);
  }

  /** Units of confirmed orders; the audit expects this to equal soldUnits. */
  async confirmedUnits(saleId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT coalesce(sum(quantity), 0)::int AS n FROM orders WHERE sale_id = $1 AND status = 'confirmed'`,
      [saleId],
    );
    return Number(row?.n ?? 0);
  }

  /** Hold ids with more than one order. The unique key makes this empty; the audit checks anyway. */
  async duplicateHolds(saleId: string): Promise<string[]> {
    const rows = await this.db.query<{ hold_id: string }>(
      'SELECT hold_id FROM orders WHERE sale_id = $1 GROUP BY hold_id HAVING count(*) > 1 ORDER BY hold_id',
      [saleId],
    );
    return rows.map((r) => r.hold_id);
  }

  async oversellRefusals(saleId: string): Promise<number> {
    return this.count('SELECT count(*)::int AS n FROM oversell_refusals WHERE sale_id = $1', [saleId]);
  }

  async recordEvent(
    saleId: string,
    type: string,
    userId: string | null,
    payload: Record<string, unknown> = {},
  ): Promise<void> {
    await this.db.query(
      'INSERT INTO events (sale_id, type, user_id, payload) VALUES ($1, $2, $3, $4::jsonb)',
      [saleId, type, userId, JSON.stringify(payload)],
    );
  }

  async countEvents(saleId: string, type?: string): Promise<number> {
    return this.count(
      'SELECT count(*)::int AS n FROM events WHERE sale_id = $1 AND ($2::text IS NULL OR type = $2)',
      [saleId, type ?? null],
    );
  }

  /** Pending orders written more than `olderThanMs` ago (database clock), oldest first. */
  async stalePendingOrders(olderThanMs: number, limit = 500): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      `SELECT * FROM orders WHERE status = 'pending' AND created_at < now() - $1 * interval '1 millisecond'
       ORDER BY created_at, id LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toOrder);
  }

  /** Logs one reconciler action (the durable count behind its metric and alert). */
  async recordReconcilerAction(action: string, holdId: string, saleId: string | null): Promise<void> {
    await this.db.query('INSERT INTO reconciler_actions (action, sale_id, hold_id) VALUES ($1, $2, $3)', [
      action,
      saleId,
      holdId,
    ]);
  }

  /** Reconciler actions so far, by action. */
  async reconcilerActionCounts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ action: string; n: number }>(
      'SELECT action, count(*)::int AS n FROM reconciler_actions GROUP BY action',
    );
    return Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(sql, params);
    return Number(row?.n ?? 0);
  }
}
