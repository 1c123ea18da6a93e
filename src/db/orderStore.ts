import { randomUUID } from 'node:crypto';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order.ts';
import { SALE_DEFAULTS } from '../domain/sale.ts';
import type { Database } from './database.ts';
import {
  type ChargeRecord,
  type ChargeRow,
  type ChargeStatus,
  iso,
  type NewOrder,
  type OrderRecord,
  type OrderRow,
  type SaleCatalog,
  type SaleRecord,
  type SaleRow,
  toCharge,
  toOrder,
  toSale,
} from './records.ts';

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
export class OrderStore {
  constructor(private readonly db: Database) {}

  /** Inserts the sale and its stock row; if the id exists, changes nothing and returns the stored sale. */
  async upsertSale(sale: SaleCatalog): Promise<{ sale: SaleRecord; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO sales (id, name, description, price_cents, currency, total_stock, per_user_limit,
           prequeue_at, starts_at, ends_at, queueing, shuffle_seed, admission_per_second,
           admission_max_active, session_seconds, hold_seconds, image_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
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

  /** Writes a pending order for a hold, or returns the one a previous attempt wrote (same id). */
  async createPendingOrder(order: NewOrder): Promise<OrderRecord> {
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

  async getOrderByHold(holdId: string): Promise<OrderRecord | null> {
    const [row] = await this.db.query<OrderRow>('SELECT * FROM orders WHERE hold_id = $1', [holdId]);
    return row === undefined ? null : toOrder(row);
  }

  /**
   * Counts a paid order against the sale's stock, in one transaction. The order row is locked first,
   * so two workers confirming the same hold run one after the other and the second sees 'already'.
   * The stock update only matches while `sold + quantity <= total`; concurrent confirmations of
   * different holds queue on the sale_stock row and each re-checks the condition against the latest
   * `sold`. The CHECK on sale_stock would refuse an oversell even if this condition were wrong.
   */
  async confirmOrder(holdId: string, chargeId: string): Promise<ConfirmResult> {
    return this.db.transaction(async (tx): Promise<ConfirmResult> => {
      const [row] = await tx.query<OrderRow>('SELECT * FROM orders WHERE hold_id = $1 FOR UPDATE', [holdId]);
      if (row === undefined) return { outcome: 'not_found', order: null };
      if (row.status === 'confirmed') return { outcome: 'already', order: toOrder(row) };
      if (row.status === 'rejected') return { outcome: 'oversell', order: toOrder(row) };
      if (row.status !== 'pending') return { outcome: 'not_pending', order: toOrder(row) };

      const counted = await tx.query(
        `UPDATE sale_stock SET sold = sold + $2 WHERE sale_id = $1 AND sold + $2 <= total RETURNING sold`,
        [row.sale_id, row.quantity],
      );
      if (counted.length === 0) {
        const rejected = await tx.query<OrderRow>(
          `UPDATE orders SET status = 'rejected', failure_reason = 'oversell', updated_at = now()
           WHERE id = $1 RETURNING *`,
          [row.id],
        );
        await tx.query('INSERT INTO oversell_refusals (sale_id, hold_id, quantity) VALUES ($1, $2, $3)', [
          row.sale_id,
          holdId,
          row.quantity,
        ]);
        return { outcome: 'oversell', order: toOrder(one(rejected, 'orders')) };
      }
      const confirmed = await tx.query<OrderRow>(
        `UPDATE orders SET status = 'confirmed', charge_id = $2, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [row.id, chargeId],
      );
      return { outcome: 'confirmed', order: toOrder(one(confirmed, 'orders')) };
    });
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

  /**
   * Records a charge once per idempotency key (the hold id). A repeat returns the first charge, with
   * its original amount, and `created: false`: the provider must not charge twice.
   */
  async recordCharge(
    idempotencyKey: string,
    amountCents: number,
    saleId: string | null = null,
  ): Promise<{ charge: ChargeRecord; created: boolean }> {
    const inserted = await this.db.query<ChargeRow>(
      `INSERT INTO payment_charges (idempotency_key, sale_id, amount_cents) VALUES ($1, $2, $3)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [idempotencyKey, saleId, amountCents],
    );
    const row = inserted[0];
    if (row !== undefined) return { charge: toCharge(row), created: true };
    const existing = await this.getCharge(idempotencyKey);
    if (existing === null) throw new Error(`charge ${idempotencyKey} vanished after a conflict`);
    return { charge: existing, created: false };
  }

  async getCharge(idempotencyKey: string): Promise<ChargeRecord | null> {
    const [row] = await this.db.query<ChargeRow>('SELECT * FROM payment_charges WHERE idempotency_key = $1', [
      idempotencyKey,
    ]);
    return row === undefined ? null : toCharge(row);
  }

  /** Refunds a succeeded charge once; null when there is no such charge. */
  async refundCharge(idempotencyKey: string): Promise<{ charge: ChargeRecord; changed: boolean } | null> {
    const [row] = await this.db.query<ChargeRow>(
      `UPDATE payment_charges SET status = 'refunded', refunded_at = now()
       WHERE idempotency_key = $1 AND status = 'succeeded' RETURNING *`,
      [idempotencyKey],
    );
    if (row !== undefined) return { charge: toCharge(row), changed: true };
    const current = await this.getCharge(idempotencyKey);
    return current === null ? null : { charge: current, changed: false };
  }

  /** Charges, optionally of one sale and/or in one status. */
  async chargeCount(filter: { saleId?: string; status?: ChargeStatus } = {}): Promise<number> {
    return this.count(
      `SELECT count(*)::int AS n FROM payment_charges
       WHERE ($1::text IS NULL OR sale_id = $1) AND ($2::text IS NULL OR status = $2)`,
      [filter.saleId ?? null, filter.status ?? null],
    );
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(sql, params);
    return Number(row?.n ?? 0);
  }
}
