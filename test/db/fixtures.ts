/**
 * What the database contracts share: the fixture each adapter's test file hands them, the describe
 * block that gives each test a fresh database, and builders for a sale catalog entry and an order.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import type { NewOrder, SaleCatalog } from '../../src/db/records.ts';

export interface DatabaseFixture {
  db: Database;
  /** Another handle on the same database, as a second process would open it. */
  another(): Promise<Database>;
  /** Closes every handle and drops whatever the fixture created. */
  cleanup(): Promise<void>;
}

/** An adapter's factory: a fresh, empty database (its own schema or instance) per call. */
export type OpenDatabase = () => Promise<DatabaseFixture>;

export interface ContractOptions {
  /**
   * The adapter's service is missing: the adapter's test file decides, with hasPostgres() from
   * test/support/services.ts (which throws under CI=true instead, so CI fails rather than skips).
   */
  skip?: boolean;
}

/** The database of the running test; its fields are replaced before each test. */
export interface FreshDatabase {
  fx: DatabaseFixture;
  db: Database;
  store: OrderStore;
}

/**
 * One contract's describe block against one adapter. Before each test: a fresh database from
 * `open` and an OrderStore on it; with `seeded`, the schema migrated and sale 's' (100 units, see
 * `sale`) in the catalog. After each: the fixture's cleanup. `body` declares the tests, reading `t`
 * inside them (not while declaring: nothing is open yet).
 */
export function describeOnFreshDatabase(
  title: string,
  open: OpenDatabase,
  options: ContractOptions & { seeded?: boolean },
  body: (t: FreshDatabase) => void,
): void {
  describe.skipIf(options.skip === true)(title, () => {
    let current: FreshDatabase | undefined;
    const opened = (): FreshDatabase => {
      if (current === undefined) throw new Error('no database open: read it inside a test');
      return current;
    };
    const t: FreshDatabase = {
      get fx() {
        return opened().fx;
      },
      get db() {
        return opened().db;
      },
      get store() {
        return opened().store;
      },
    };

    beforeEach(async () => {
      const fx = await open();
      current = { fx, db: fx.db, store: new OrderStore(fx.db) };
      if (options.seeded === true) {
        await migrate(fx.db);
        await current.store.upsertSale(sale('s', 100));
      }
    });
    afterEach(async () => {
      const fx = current?.fx;
      current = undefined;
      await fx?.cleanup();
    });
    body(t);
  });
}

export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0, 123);

export function sale(id: string, totalStock: number): SaleCatalog {
  return {
    id,
    name: `Sale ${id}`,
    priceCents: 4999,
    totalStock,
    perUserLimit: 2,
    prequeueAt: T0 - 60_000,
    startsAt: T0,
    endsAt: T0 + 3_600_000,
    queueing: 'shuffle',
    shuffleSeed: 'seed-1',
    admission: { perSecond: 50, maxActive: 500, sessionSeconds: 600 },
    holdSeconds: 120,
    parts: 1,
  };
}

export function order(saleId: string, holdId: string, quantity = 1): NewOrder {
  return {
    holdId,
    saleId,
    userId: `user-${holdId}`,
    quantity,
    amountCents: 4999 * quantity,
    currency: 'EUR',
    paymentMethod: 'card',
  };
}
