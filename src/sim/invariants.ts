/**
 * The invariants checked from outside, from what the simulator saw (every checkout answer, every
 * order's final status) and what the admin stats say before and after. Pure: tests feed it broken
 * runs and expect it to say so.
 */
import type { OrderStatus } from './buyers.ts';
import type { Stats } from './sale.ts';

export interface CheckoutAnswer {
  buyer: number;
  key: string;
  orderId: string;
}

export interface OrderSeen {
  buyer: number;
  id: string;
  quantity: number;
  status: OrderStatus;
}

export interface InvariantInput {
  buyers: number;
  unfinished: number;
  perUserLimit: number;
  /** Stats before the first buyer arrived (zeros for a sale the simulator created). */
  initial: Stats | null;
  /** Stats once every order settled. */
  final: Stats | null;
  /** Every 202 from checkout, resends included. */
  answers: readonly CheckoutAnswer[];
  orders: readonly OrderSeen[];
  /** Resends (same key) that were refused instead of answered with the earlier order. */
  resendRefused: number;
  /** Orders read back with another quantity than their checkout asked for. */
  quantityMismatches: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

function duplicates(answers: readonly CheckoutAnswer[], resendRefused: number): Check {
  const ownerOf = new Map<string, string>();
  const idOf = new Map<string, string>();
  let sharedIds = 0;
  let splitKeys = 0;
  for (const a of answers) {
    const owner = `${a.buyer}\n${a.key}`;
    const seenOwner = ownerOf.get(a.orderId);
    if (seenOwner === undefined) ownerOf.set(a.orderId, owner);
    else if (seenOwner !== owner) sharedIds += 1;
    const seenId = idOf.get(owner);
    if (seenId === undefined) idOf.set(owner, a.orderId);
    else if (seenId !== a.orderId) splitKeys += 1;
  }
  return check(
    'no duplicate order',
    sharedIds === 0 && splitKeys === 0 && resendRefused === 0,
    `${ownerOf.size} order ids from ${answers.length} answers; ${sharedIds} ids given twice, ` +
      `${splitKeys} idempotency keys answered with a second order, ${resendRefused} resends refused`,
  );
}

function limits(orders: readonly OrderSeen[], limit: number): Check {
  const units = new Map<number, number>();
  for (const o of orders) {
    if (o.status === 'confirmed' || o.status === 'pending')
      units.set(o.buyer, (units.get(o.buyer) ?? 0) + o.quantity);
  }
  let over = 0;
  let most = 0;
  for (const n of units.values()) {
    if (n > limit) over += 1;
    most = Math.max(most, n);
  }
  return check(
    'no user over their limit',
    over === 0,
    `${over} buyers over ${limit}; most bought by one: ${most}`,
  );
}

export function checkInvariants(input: InvariantInput): Check[] {
  const { final, initial } = input;
  let confirmedUnits = 0;
  let confirmedOrders = 0;
  let pending = 0;
  for (const o of input.orders) {
    if (o.status === 'confirmed') {
      confirmedUnits += o.quantity;
      confirmedOrders += 1;
    } else if (o.status === 'pending') pending += 1;
  }
  const checks = [
    check(
      'every buyer reached an end',
      input.unfinished === 0,
      `${input.buyers - input.unfinished} of ${input.buyers}`,
    ),
    check('every order placed reached a final status', pending === 0, `${pending} still pending`),
    limits(input.orders, input.perUserLimit),
    duplicates(input.answers, input.resendRefused),
    check(
      'orders read back as placed',
      input.quantityMismatches === 0,
      `${input.quantityMismatches} with another quantity`,
    ),
  ];
  if (final === null || initial === null) {
    checks.push(check('server stats', false, 'the admin stats could not be read'));
    return checks;
  }
  const s = final.stock;
  const soldNow = s.sold - initial.stock.sold;
  const confirmedNow = final.orders.confirmed - initial.orders.confirmed;
  checks.push(
    check(
      'units sold ≤ stock',
      s.sold <= s.total && initial.stock.sold + confirmedUnits <= s.total,
      `server: ${s.sold} ≤ ${s.total}; orders placed: ${initial.stock.sold} + ${confirmedUnits} ≤ ${s.total}`,
    ),
    check(
      "sold = confirmed orders' units",
      soldNow === confirmedUnits,
      `server sold ${soldNow} during the run; confirmed orders placed hold ${confirmedUnits} units`,
    ),
    check(
      'server audit: confirmed orders = orders placed and confirmed',
      confirmedNow === confirmedOrders,
      `server ${confirmedNow}, simulator ${confirmedOrders}`,
    ),
    check(
      'server audit: total = available + held + sold',
      s.total === s.available + s.held + s.sold,
      `${s.total} = ${s.available} + ${s.held} + ${s.sold}`,
    ),
    check(
      'server audit: nothing held or pending once settled',
      s.held === 0 && final.orders.pending === 0,
      `${s.held} units held, ${final.orders.pending} orders pending`,
    ),
  );
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  return checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}  (${c.detail})`).join('\n');
}

/** Exit status of the run: 0 when every invariant holds, 1 otherwise. */
export function exitCodeOf(checks: readonly Check[]): number {
  return checks.every((c) => c.ok) ? 0 : 1;
}
