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
