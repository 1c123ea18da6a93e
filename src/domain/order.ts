/**
 * The order's rules: the statuses an order row goes through, the ones buyers and operators see, and
 * what a payment method may look like.
 */

/**
 * Every status of an order row. `rejected`: PostgreSQL's stock guard refused to confirm it (an
 * oversell the engine let through); the database keeps it apart so the audit can count it.
 */
export const ORDER_STATUSES = ['pending', 'confirmed', 'failed', 'expired', 'rejected'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What the API shows: to a buyer, and to an operator's counts, a rejected order has failed. */
export type PublicOrderStatus = Exclude<OrderStatus, 'rejected'>;
const isPublic = (status: OrderStatus): status is PublicOrderStatus => status !== 'rejected';
export const PUBLIC_ORDER_STATUSES: readonly PublicOrderStatus[] = ORDER_STATUSES.filter(isPublic);

export const publicOrderStatus = (status: OrderStatus): PublicOrderStatus =>
  isPublic(status) ? status : 'failed';

/** A payment method's name as the provider knows it (the simulated one knows pm_ok, pm_decline, pm_flaky). */
export const PAYMENT_METHOD_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

/** Crockford's base32: no I, L, O or U, so a number read aloud or typed from paper is not misread. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The short number a buyer quotes to support, e.g. `K7Q2-9XMB`: the first 40 bits of the hold id
 * (a random UUID) in Crockford base32. Derived, never stored, so every process and the mail agree;
 * 40 random bits make two orders of one sale sharing a number vanishingly unlikely, and the full
 * order id (the order page's address) stays the key.
 */
export function orderNumberOf(orderIdOrHoldId: string): string {
  const holdId = orderIdOrHoldId.slice(orderIdOrHoldId.lastIndexOf('.') + 1);
  const hex = holdId.replaceAll('-', '').slice(0, 10).padEnd(10, '0');
  let bits = BigInt(`0x${/^[0-9a-fA-F]{10}$/.test(hex) ? hex : '0'}`);
  let digits = '';
  for (let i = 0; i < 8; i += 1) {
    digits = CROCKFORD[Number(bits & 31n)] + digits;
    bits >>= 5n;
  }
  return `${digits.slice(0, 4)}-${digits.slice(4)}`;
}
