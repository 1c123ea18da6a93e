/**
 * The simulated payment provider's ledger (`payment_charges`, `payment_charge_attempts`), in
 * batches: the order worker charges many holds at once, and each batch is one statement. Also the
 * checks of charges against orders that the reconciler and the audit make.
 */
import { coalesce } from '../domain/coalesce.ts';
import { type Database, type Queryable, selectByKeys } from './database.ts';
import { type ChargeRecord, type ChargeRow, type ChargeStatus, toCharge } from './records.ts';

/** Most keys in one batched charge read or write (the order worker's per-job charges). */
const CHARGE_BATCH = 256;

export interface ChargeAttempts {
  idempotencyKey: string;
  attempts: number;
  hasOrder: boolean;
}

export interface NewCharge {
  idempotencyKey: string;
  amountCents: number;
  saleId: string | null;
}

/** The charges made with these keys, one answer per key (null: none), in the keys' order. */
function chargesByKey(db: Queryable, keys: readonly string[]): Promise<(ChargeRecord | null)[]> {
  const sql = 'SELECT * FROM payment_charges WHERE idempotency_key = ANY($1::text[])';
  return selectByKeys<ChargeRow, ChargeRecord>(db, sql, keys, (row) => row.idempotency_key, toCharge);
}

/**
 * Records each charge once per idempotency key and appends every call to the attempts, in one
 * statement. `created` is true for the first call of a key that made its row (in this batch, only
 * the first of repeated keys); every other call gets the stored charge, with its original amount.
 */
async function recordCharges(
  db: Queryable,
  charges: readonly NewCharge[],
): Promise<{ charge: ChargeRecord; created: boolean }[]> {
  const inserted = await db.query<ChargeRow>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY
         AS t(idempotency_key, sale_id, amount_cents, n)
     ), attempt AS (
       INSERT INTO payment_charge_attempts (idempotency_key, sale_id, amount_cents)
       SELECT idempotency_key, sale_id, amount_cents FROM input ORDER BY n
     )
     INSERT INTO payment_charges (idempotency_key, sale_id, amount_cents)
     SELECT DISTINCT ON (idempotency_key) idempotency_key, sale_id, amount_cents FROM input
     ORDER BY idempotency_key, n
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
    [charges.map((c) => c.idempotencyKey), charges.map((c) => c.saleId), charges.map((c) => c.amountCents)],
  );
  const created = new Map(inserted.map((row) => [row.idempotency_key, row]));
  const missing = [...new Set(charges.map((c) => c.idempotencyKey))].filter((key) => !created.has(key));
  const earlier = new Map<string, ChargeRecord>();
  if (missing.length > 0) {
    const found = await chargesByKey(db, missing);
    missing.forEach((key, i) => {
      const charge = found[i];
      if (charge === null || charge === undefined) throw new Error(`charge ${key} vanished after a conflict`);
      earlier.set(key, charge);
    });
  }
  const answered = new Set<string>();
  return charges.map(({ idempotencyKey: key }) => {
    const row = created.get(key);
    if (row !== undefined && !answered.has(key)) {
      answered.add(key);
      return { charge: toCharge(row), created: true };
    }
    return { charge: earlier.get(key) ?? toCharge(row as ChargeRow), created: false };
  });
}

/** The charges of the simulated provider (OrderStore.charges); the provider's ChargeLedger. */
export class ChargeStore {
  private readonly chargeOfKey: (idempotencyKey: string) => Promise<ChargeRecord | null>;
  private readonly chargeInBatch: (charge: NewCharge) => Promise<{ charge: ChargeRecord; created: boolean }>;

  constructor(private readonly db: Database) {
    this.chargeOfKey = coalesce((keys) => chargesByKey(db, keys), CHARGE_BATCH);
    this.chargeInBatch = coalesce((charges) => recordCharges(db, charges), CHARGE_BATCH);
  }

  /**
   * Records a charge once per idempotency key (the hold id). A repeat returns the first charge, with
   * its original amount, and `created: false`: the provider must not charge twice. Every call, repeat
   * or not, is also appended to payment_charge_attempts, so a repeat stays visible (`attempts`).
   * Concurrent calls share one statement (recordCharges).
   */
  record(
    idempotencyKey: string,
    amountCents: number,
    saleId: string | null = null,
  ): Promise<{ charge: ChargeRecord; created: boolean }> {
    return this.chargeInBatch({ idempotencyKey, amountCents, saleId });
  }

  /** The charge made with this key, if any; concurrent calls share one query. */
  get(idempotencyKey: string): Promise<ChargeRecord | null> {
    return this.chargeOfKey(idempotencyKey);
  }

  /** Refunds a succeeded charge once; null when there is no such charge. */
  async refund(idempotencyKey: string): Promise<{ charge: ChargeRecord; changed: boolean } | null> {
    const [row] = await this.db.query<ChargeRow>(
      `UPDATE payment_charges SET status = 'refunded', refunded_at = now()
       WHERE idempotency_key = $1 AND status = 'succeeded' RETURNING *`,
      [idempotencyKey],
    );
    if (row !== undefined) return { charge: toCharge(row), changed: true };
    const current = await this.get(idempotencyKey);
    return current === null ? null : { charge: current, changed: false };
  }

  /**
   * Per idempotency key charged for a sale: how many times `record` was called with it, and
   * whether an order has that key as its hold id. One attempt with an order is the only right answer.
   */
  async attempts(saleId: string): Promise<ChargeAttempts[]> {
    const rows = await this.db.query<{ idempotency_key: string; attempts: number; has_order: boolean }>(
      `SELECT a.idempotency_key, count(*)::int AS attempts,
              EXISTS (SELECT 1 FROM orders o WHERE o.hold_id = a.idempotency_key) AS has_order
       FROM payment_charge_attempts a WHERE a.sale_id = $1
       GROUP BY a.idempotency_key ORDER BY a.idempotency_key`,
      [saleId],
    );
    return rows.map((r) => ({
      idempotencyKey: r.idempotency_key,
      attempts: Number(r.attempts),
      hasOrder: r.has_order,
    }));
  }

  /** Charges, optionally of one sale and/or in one status. */
  async count(filter: { saleId?: string; status?: ChargeStatus } = {}): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payment_charges
       WHERE ($1::text IS NULL OR sale_id = $1) AND ($2::text IS NULL OR status = $2)`,
      [filter.saleId ?? null, filter.status ?? null],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Captured charges, older than `olderThanMs`, whose hold has no order or an order that ended unsold
   * (failed, expired, refused): each must be refunded. A pending order's charge is not among them:
   * its job (or the reconciler) still decides.
   */
  async unsettled(olderThanMs: number, limit = 500): Promise<ChargeRecord[]> {
    const rows = await this.db.query<ChargeRow>(
      `SELECT c.* FROM payment_charges c LEFT JOIN orders o ON o.hold_id = c.idempotency_key
       WHERE c.status = 'succeeded' AND c.created_at < now() - $1 * interval '1 millisecond'
         AND (o.id IS NULL OR o.status IN ('failed', 'expired', 'rejected'))
       ORDER BY c.created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toCharge);
  }

  /**
   * Charges against orders, for the audit: one captured charge per confirmed order and none for any
   * other. `confirmedUncharged`: confirmed orders without a captured charge; `chargedUnconfirmed`:
   * captured charges whose order is not confirmed (or missing).
   */
  async audit(saleId: string): Promise<{
    captured: number;
    confirmed: number;
    confirmedUncharged: number;
    chargedUnconfirmed: number;
  }> {
    const [row] = await this.db.query<Record<string, number>>(
      `SELECT
         (SELECT count(*) FROM payment_charges WHERE sale_id = $1 AND status = 'succeeded')::int AS captured,
         (SELECT count(*) FROM orders WHERE sale_id = $1 AND status = 'confirmed')::int AS confirmed,
         (SELECT count(*) FROM orders o LEFT JOIN payment_charges c
            ON c.idempotency_key = o.hold_id AND c.status = 'succeeded'
          WHERE o.sale_id = $1 AND o.status = 'confirmed' AND c.idempotency_key IS NULL)::int AS confirmed_uncharged,
         (SELECT count(*) FROM payment_charges c LEFT JOIN orders o ON o.hold_id = c.idempotency_key
          WHERE c.sale_id = $1 AND c.status = 'succeeded'
            AND (o.id IS NULL OR o.status <> 'confirmed'))::int AS charged_unconfirmed`,
      [saleId],
    );
    return {
      captured: Number(row?.captured ?? 0),
      confirmed: Number(row?.confirmed ?? 0),
      confirmedUncharged: Number(row?.confirmed_uncharged ?? 0),
      chargedUnconfirmed: Number(row?.charged_unconfirmed ?? 0),
    };
  }
}
