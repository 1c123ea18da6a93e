import type { OrderStatus } from '../domain/order.ts';
import type { Queueing, SaleFlags, SaleSettings } from '../domain/sale.ts';

/**
 * The plain camelCase shapes the database layer returns, and the row mappers that build them.
 * Instants are epoch milliseconds, as everywhere in flashsale. Counts and bigints are passed through
 * Number(): node-postgres returns int8 as a string, PGlite as a number.
 */
export type ChargeStatus = 'succeeded' | 'refunded';

/** What an operator publishes: the engine's settings plus what the storefront shows. */
export interface SaleCatalog extends SaleSettings {
  name: string;
  description?: string;
  priceCents: number;
  /** ISO 4217; SALE_DEFAULTS.currency when left out. */
  currency?: string;
  /** The product's picture on the storefront: an absolute http(s) URL. */
  imageUrl?: string;
  /** Leading zero bits a join's proof of work needs; SALE_DEFAULTS.powDifficulty when left out. */
  powDifficulty?: number;
}

export interface SaleRecord extends SaleSettings {
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  /** Leading zero bits a join's proof of work needs (0: none); see src/domain/pow.ts. */
  powDifficulty: number;
  /** The operator's switches: PostgreSQL holds them first, the engine is loaded from them. */
  flags: SaleFlags;
  /** When an operator ended it; null if none did. */
  endedAt: number | null;
  createdAt: number;
  /** Present only when the sale has one. */
  imageUrl?: string;
  /** When an operator archived the sale (hidden from the storefront); absent while it is listed. */
  archivedAt?: number;
}

export interface NewOrder {
  holdId: string;
  saleId: string;
  userId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

/** An order as checkout writes it: with the buyer's idempotency key and the hold's deadline. */
export interface PlacedOrder extends NewOrder {
  idempotencyKey: string;
  holdExpiresAt: number;
}

export interface OrderRecord extends NewOrder {
  id: string;
  /** Null for orders written before checkout recorded keys. */
  idempotencyKey: string | null;
  holdExpiresAt: number | null;
  status: OrderStatus;
  failureReason: string | null;
  chargeId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ChargeRecord {
  idempotencyKey: string;
  saleId: string | null;
  amountCents: number;
  status: ChargeStatus;
  createdAt: number;
  refundedAt: number | null;
}

export interface SaleRow {
  id: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  total_stock: number;
  per_user_limit: number;
  prequeue_at: Date;
  starts_at: Date;
  ends_at: Date;
  queueing: Queueing;
  shuffle_seed: string;
  admission_per_second: number;
  admission_max_active: number;
  session_seconds: number;
  hold_seconds: number;
  paused: boolean;
  ended: boolean;
  ended_at: Date | null;
  created_at: Date;
  archived_at: Date | null;
  image_url: string | null;
  pow_difficulty: number;
  parts: number;
}

export interface OrderRow {
  id: string;
  hold_id: string;
  sale_id: string;
  user_id: string;
  quantity: number;
  amount_cents: number | string;
  currency: string;
  payment_method: string;
  status: OrderStatus;
  failure_reason: string | null;
  charge_id: string | null;
  idempotency_key: string | null;
  hold_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ChargeRow {
  idempotency_key: string;
  sale_id: string | null;
  amount_cents: number | string;
  status: ChargeStatus;
  created_at: Date;
  refunded_at: Date | null;
}

const ms = (value: Date | string): number => new Date(value).getTime();
export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export const toSale = (r: SaleRow): SaleRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  priceCents: r.price_cents,
  currency: r.currency,
  totalStock: r.total_stock,
  perUserLimit: r.per_user_limit,
  prequeueAt: ms(r.prequeue_at),
  startsAt: ms(r.starts_at),
  endsAt: ms(r.ends_at),
  queueing: r.queueing,
  shuffleSeed: r.shuffle_seed,
  admission: {
    perSecond: r.admission_per_second,
    maxActive: r.admission_max_active,
    sessionSeconds: r.session_seconds,
  },
  holdSeconds: r.hold_seconds,
  parts: r.parts,
  powDifficulty: Number(r.pow_difficulty),
  flags: { paused: r.paused, ended: r.ended },
  endedAt: r.ended_at === null ? null : ms(r.ended_at),
  createdAt: ms(r.created_at),
  // Optional fields stay absent rather than null, so a record equals the catalog input it came from.
  ...(r.image_url === null ? {} : { imageUrl: r.image_url }),
  ...(r.archived_at === null ? {} : { archivedAt: ms(r.archived_at) }),
});

export const toOrder = (r: OrderRow): OrderRecord => ({
  id: r.id,
  holdId: r.hold_id,
  saleId: r.sale_id,
  userId: r.user_id,
  quantity: r.quantity,
  amountCents: Number(r.amount_cents),
  currency: r.currency,
  paymentMethod: r.payment_method,
  status: r.status,
  failureReason: r.failure_reason,
  chargeId: r.charge_id,
  idempotencyKey: r.idempotency_key,
  holdExpiresAt: r.hold_expires_at === null ? null : ms(r.hold_expires_at),
  createdAt: ms(r.created_at),
  updatedAt: ms(r.updated_at),
});

export const toCharge = (r: ChargeRow): ChargeRecord => ({
  idempotencyKey: r.idempotency_key,
  saleId: r.sale_id,
  amountCents: Number(r.amount_cents),
  status: r.status,
  createdAt: ms(r.created_at),
  refundedAt: r.refunded_at === null ? null : ms(r.refunded_at),
});
