/**
 * "At most one charge per hold", from the evidence that can show a breach: the ledger's append-only
 * attempts (a second charge with the same key shows there even though payment_charges keeps one row)
 * and their keys (a charge under a key that is no order's hold id was made with a new key).
 */
import { expect } from 'vitest';
import type { OrderStore } from '../../src/db/orderStore.ts';

/** Asserts every charge attempt of the sale is its hold's only one, and returns how many holds were charged. */
export async function expectOneChargeAttemptPerHold(store: OrderStore, saleId: string): Promise<number> {
  const attempts = await store.charges.attempts(saleId);
  expect(
    attempts.filter((a) => a.attempts !== 1 || !a.hasOrder),
    'keys charged more than once, or charged under a key that is no order’s hold id',
  ).toEqual([]);
  expect(await store.charges.count({ saleId })).toBe(attempts.length);
  return attempts.length;
}
