/**
 * The simulated payment provider's ledger (`payment_charges`, `payment_charge_attempts`), in
 * batches: the order worker charges many holds at once, and each batch is one statement.
 */
import { type Queryable, selectByKeys } from './database.ts';
import { type ChargeRecord, type ChargeRow, toCharge } from './records.ts';

export interface NewCharge {
  idempotencyKey: string;
  amountCents: number;
  saleId: string | null;
}

/** The charges made with these keys, one answer per key (null: none), in the keys' order. */
export function chargesByKey(db: Queryable, keys: readonly string[]): Promise<(ChargeRecord | null)[]> {
  const sql = 'SELECT * FROM payment_charges WHERE idempotency_key = ANY($1::text[])';
  return selectByKeys<ChargeRow, ChargeRecord>(db, sql, keys, (row) => row.idempotency_key, toCharge);
}

/**
 * Records each charge once per idempotency key and appends every call to the attempts, in one
 * statement. `created` is true for the first call of a key that made its row (in this batch, only
 * the first of repeated keys); every other call gets the stored charge, with its original amount.
 */
export async function recordCharges(
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
