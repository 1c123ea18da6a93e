/**
 * The database schema against the domain's rules (src/domain/sale.ts, src/domain/order.ts): the
 * migrations spell some of them again in SQL (CHECK lists, defaults, column types), and this file
 * fails when the two disagree. PGlite in memory: the same SQL as PostgreSQL, no shared server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import { openPglite } from '../../src/db/pglite.ts';
import type { SaleCatalog } from '../../src/db/records.ts';
import { ORDER_STATUSES } from '../../src/domain/order.ts';
import { CURRENCY_PATTERN, QUEUEING_MODES, SALE_DEFAULTS, SALE_LIMITS } from '../../src/domain/sale.ts';

let db: Database;

beforeAll(async () => {
  db = await openPglite();
  await migrate(db);
});
afterAll(() => db?.close());

/** The definitions of a table's CHECK constraints that mention `column`. */
async function checksOn(table: string, column: string): Promise<string[]> {
  const rows = await db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = $1::regclass AND contype = 'c'`,
    [table],
  );
  return rows.map((r) => r.def).filter((def) => new RegExp(`\\b${column}\\b`).test(def));
}

/** The quoted text literals of a constraint: the values of an `IN (...)` list, or a pattern. */
const literals = (def: string) => [...def.matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1]);

async function columnDefault(table: string, column: string): Promise<string | null> {
  const [row] = await db.query<{ column_default: string | null }>(
    `SELECT column_default FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
    [table, column],
  );
  if (row === undefined) throw new Error(`no column ${table}.${column}`);
  return row.column_default;
}

describe('database schema vs the domain rules', () => {
  it('allows exactly the ORDER_STATUSES in orders.status', async () => {
    const [check, ...others] = await checksOn('orders', 'status');
    expect(others).toEqual([]);
    expect(literals(check ?? '').sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('allows exactly the QUEUEING_MODES in sales.queueing', async () => {
    const [check, ...others] = await checksOn('sales', 'queueing');
    expect(others).toEqual([]);
    expect(literals(check ?? '').sort()).toEqual([...QUEUEING_MODES].sort());
    expect(await columnDefault('sales', 'queueing')).toBe(`'${SALE_DEFAULTS.queueing}'::text`);
  });

  it('checks currencies with CURRENCY_PATTERN and defaults to SALE_DEFAULTS.currency', async () => {
    const [check, ...others] = await checksOn('sales', 'currency');
    expect(others).toEqual([]);
    expect(literals(check ?? '')).toEqual([CURRENCY_PATTERN.source]);
    expect(await columnDefault('sales', 'currency')).toBe(`'${SALE_DEFAULTS.currency}'::text`);
    expect(await columnDefault('sales', 'description')).toBe(`'${SALE_DEFAULTS.description}'::text`);
  });

  it.each([
    ['lowest', 'min'],
    ['highest', 'max'],
  ] as const)('stores a sale at the %s values SALE_LIMITS allow, unchanged', async (_label, end) => {
    const L = SALE_LIMITS;
    const text = (length: number) => 'x'.repeat(length);
    const startsAt = end === 'min' ? L.instant.min + 1 : L.instant.max - 1;
    const sale: SaleCatalog = {
      id: `limits-${end}`,
      name: text(end === 'min' ? L.name.minLength : L.name.maxLength),
      description: text(end === 'min' ? 0 : L.description.maxLength),
      priceCents: L.priceCents[end],
      currency: SALE_DEFAULTS.currency,
      totalStock: L.totalStock[end],
      perUserLimit: L.perUserLimit[end],
      prequeueAt: end === 'min' ? L.instant.min : startsAt,
      startsAt,
      endsAt: end === 'min' ? startsAt + 1 : L.instant.max,
      queueing: SALE_DEFAULTS.queueing,
      shuffleSeed: text(end === 'min' ? L.shuffleSeed.minLength : L.shuffleSeed.maxLength),
      admission: {
        perSecond: L.admission.perSecond[end],
        maxActive: L.admission.maxActive[end],
        sessionSeconds: L.admission.sessionSeconds[end],
      },
      holdSeconds: L.holdSeconds[end],
      powDifficulty: L.powDifficulty[end],
      parts: 1,
    };
    const store = new OrderStore(db);
    const { sale: stored, created } = await store.upsertSale(sale);
    expect(created).toBe(true);
    expect(stored).toEqual({
      ...sale,
      flags: { paused: false, ended: false },
      endedAt: null,
      createdAt: expect.any(Number),
    });
  });
});
