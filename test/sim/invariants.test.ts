/** Invariants checked from outside: a clean run passes; each kind of violation is reported and fails the run. */
import { describe, expect, it } from 'vitest';
import {
  type Check,
  checkInvariants,
  exitCodeOf,
  formatChecks,
  type InvariantInput,
} from '../../src/sim/invariants.ts';
import type { Stats } from '../../src/sim/sale.ts';

const stats = (sold: number, confirmed: number, extra: Partial<Stats['stock']> = {}): Stats => ({
  stock: { total: 10, available: 10 - sold, held: 0, sold, ...extra },
  queue: { waiting: 0, admitted: 0, active: 0 },
  orders: { pending: 0, confirmed, failed: 0, expired: 0 },
});

/** Three buyers: two bought (2 + 1 units), one declined; buyer 0 resent its checkout. */
const clean = (): InvariantInput => ({
  buyers: 5,
  unfinished: 0,
  perUserLimit: 2,
  initial: stats(0, 0),
  final: stats(3, 2),
  answers: [
    { buyer: 0, key: 'a', orderId: 's.1' },
    { buyer: 0, key: 'a', orderId: 's.1' },
    { buyer: 1, key: 'b', orderId: 's.2' },
    { buyer: 2, key: 'c', orderId: 's.3' },
  ],
  orders: [
    { buyer: 0, id: 's.1', quantity: 2, status: 'confirmed' },
    { buyer: 1, id: 's.2', quantity: 1, status: 'confirmed' },
    { buyer: 2, id: 's.3', quantity: 1, status: 'failed' },
  ],
  resendRefused: 0,
  quantityMismatches: 0,
});

const failing = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe('invariants', () => {
  it('all hold for a clean run: exit 0', () => {
    const checks = checkInvariants(clean());
    expect(failing(checks)).toEqual([]);
    expect(checks.length).toBe(10);
    expect(exitCodeOf(checks)).toBe(0);
    expect(formatChecks(checks)).not.toContain('FAIL');
  });

  it('an oversell is reported (server and orders placed) and exits non-zero', () => {
    const input = clean();
    input.final = stats(11, 3, { available: 0, sold: 11, total: 10 });
    input.orders = [...input.orders, { buyer: 3, id: 's.4', quantity: 2, status: 'confirmed' }];
    input.answers = [...input.answers, { buyer: 3, key: 'd', orderId: 's.4' }];
    const checks = checkInvariants(input);
    expect(failing(checks)).toContain('units sold ≤ stock');
    expect(failing(checks)).toContain("sold = confirmed orders' units");
    expect(failing(checks)).toContain('server audit: total = available + held + sold');
    expect(exitCodeOf(checks)).toBe(1);
    expect(formatChecks(checks)).toMatch(/FAIL {2}units sold ≤ stock/);
  });

  it('sold must equal the units of the confirmed orders, and the server count of confirmed orders ours', () => {
    const input = clean();
    input.final = stats(4, 3);
    expect(failing(checkInvariants(input))).toEqual([
      "sold = confirmed orders' units",
      'server audit: confirmed orders = orders placed and confirmed',
    ]);
  });

  it('a user over their limit is reported', () => {
    const input = clean();
    input.orders = [...input.orders, { buyer: 1, id: 's.5', quantity: 2, status: 'confirmed' }];
    input.answers = [...input.answers, { buyer: 1, key: 'e', orderId: 's.5' }];
    input.final = stats(5, 3);
    const checks = checkInvariants(input);
    expect(failing(checks)).toEqual(['no user over their limit']);
    expect(checks.find((c) => c.name === 'no user over their limit')?.detail).toContain('1 buyers over 2');
  });

  it('duplicates: one order id for two buyers, one key answered with two orders, a refused resend', () => {
    for (const broken of [
      (i: InvariantInput) => {
        i.answers = [...i.answers, { buyer: 4, key: 'x', orderId: 's.2' }];
      },
      (i: InvariantInput) => {
        i.answers = [...i.answers, { buyer: 0, key: 'a', orderId: 's.9' }];
      },
      (i: InvariantInput) => {
        i.resendRefused = 1;
      },
    ]) {
      const input = clean();
      broken(input);
      expect(failing(checkInvariants(input))).toEqual(['no duplicate order']);
    }
  });

  it('an unfinished run, an order left pending, a stuck hold or missing stats fail the run', () => {
    const unfinished = { ...clean(), unfinished: 2 };
    expect(failing(checkInvariants(unfinished))).toEqual(['every buyer reached an end']);
    const pending = clean();
    (pending.orders[2] as { status: string }).status = 'pending';
    expect(failing(checkInvariants(pending))).toEqual(['every order placed reached a final status']);
    const held = clean();
    held.final = stats(3, 2, { available: 6, held: 1 });
    expect(failing(checkInvariants(held))).toEqual(['server audit: nothing held or pending once settled']);
    const blind = { ...clean(), final: null };
    expect(failing(checkInvariants(blind))).toEqual(['server stats']);
    expect(exitCodeOf(checkInvariants(blind))).toBe(1);
  });

  it('counts what the sale had sold before the run (an existing sale)', () => {
    const input = clean();
    input.initial = stats(4, 2);
    input.final = stats(7, 4);
    expect(failing(checkInvariants(input))).toEqual([]);
    input.final = stats(10, 4);
    input.initial = stats(8, 2);
    expect(failing(checkInvariants(input))).toEqual(['units sold ≤ stock', "sold = confirmed orders' units"]);
  });
});
