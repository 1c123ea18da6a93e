/** Builders shared by the database contract: a sale catalog entry and an order for a hold. */
import type { Database } from '../../src/db/database.ts';
import type { NewOrder, SaleCatalog } from '../../src/db/records.ts';

export interface DatabaseFixture {
  db: Database;
  /** Another handle on the same database, as a second process would open it. */
  another(): Promise<Database>;
  /** Closes every handle and drops whatever the fixture created. */
  cleanup(): Promise<void>;
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
