/**
 * Proof of work at the door of the waiting room (docs/architecture.md, Protection): the rules only,
 * no I/O. The service hands a buyer a challenge bound to the sale and the user (src/http/pow.ts signs
 * it); the buyer finds a counter such that SHA-256 of `<challenge>.<counter>` begins with `difficulty`
 * zero bits, and joins with that string. Verifying costs one HMAC and one hash; finding costs about
 * 2^difficulty hashes, which a person's browser pays once and a farm of scripted identities pays per
 * identity.
 */

/** Bounds of a sale's difficulty: 0 lets buyers join without a proof; 32 is ~4 billion hashes. */
export const POW_DIFFICULTY = { min: 0, max: 32 } as const;

/**
 * How far the difficulty rises above the sale's own with the join rate (see `effectiveDifficulty`):
 * 4 bits is 16 times the work, seconds instead of a fraction of one on a phone.
 */
export const POW_MAX_RISE_BITS = 4;

/** A counter is 1-32 characters of letters, digits, `_` or `-` (a solver counts in decimal). */
export const POW_COUNTER_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The difficulty a challenge carries: the sale's own, plus one bit (twice the work) for each doubling
 * of the join rate past `riseAbovePerSecond`, at most POW_MAX_RISE_BITS more and never past the
 * maximum. A sale at 0 asks no proof, whatever the rate; `riseAbovePerSecond` 0 turns the rise off.
 * Joins per second are new tickets per second, measured across every API process.
 */
export function effectiveDifficulty(
  base: number,
  joinsPerSecond: number,
  riseAbovePerSecond: number,
): number {
  if (base <= 0 || riseAbovePerSecond <= 0 || !(joinsPerSecond > riseAbovePerSecond)) return base;
  const rise = Math.min(POW_MAX_RISE_BITS, Math.ceil(Math.log2(joinsPerSecond / riseAbovePerSecond)));
  return Math.min(POW_DIFFICULTY.max, base + rise);
}

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** What a challenge binds; signed by the service, so none of it can be changed by the buyer. */
export interface PowClaims {
  saleId: string;
  userId: string;
  difficulty: number;
  /** Epoch ms. */
  issuedAt: number;
  /** Random: two challenges for the same user and sale differ, so no solution is reused across them. */
  nonce: string;
}

/** Why a proof was refused: said in the error's details so a client knows to fetch a new challenge. */
export type PowRefusal = 'malformed' | 'signature' | 'sale' | 'user' | 'expired' | 'bits';
