/** A reservation of units for one user, ended exactly once: confirmed (sold) or released. */
export type HoldStatus = 'held' | 'confirmed' | 'released';
export type ReleaseReason = 'expired' | 'cancelled' | 'payment_failed' | 'rejected';

export interface Hold {
  id: string;
  saleId: string;
  userId: string;
  quantity: number;
  /** Epoch ms after which the units go back on sale unless the hold was confirmed. */
  expiresAt: number;
  status: HoldStatus;
  releaseReason: ReleaseReason | null;
}

export interface ReserveRequest {
  saleId: string;
  userId: string;
  quantity: number;
  idempotencyKey: string;
  /** The id a new hold gets (default: a random UUID); a sale split into parts names the part in it. */
  holdId?: string;
}

/** Result of confirm/release: the hold after the call, and whether this call was the one that ended it. */
export interface HoldEnd {
  hold: Hold;
  changed: boolean;
}

/** Result of confirm: also the units of the sale still available or held, 0 once everything is sold. */
export interface ConfirmEnd extends HoldEnd {
  stockLeft: number;
}

/** Any characters but white space and control characters (NUL could never be written to PostgreSQL). */
export const USER_ID_PATTERN = /^[^\s\p{Cc}]{1,128}$/u;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;
