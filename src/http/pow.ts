/**
 * Stateless proof-of-work challenges (docs/architecture.md, Protection; the rules are in
 * src/domain/pow.ts). A challenge is `<payload>.<mac>`: the base64url JSON of {sale, user,
 * difficulty, issuedAt, nonce} and its HMAC-SHA256 under a key every API process shares (kept in
 * PostgreSQL, like the admission key). A solution is `<challenge>.<counter>` whose SHA-256 begins with
 * `difficulty` zero bits. Checking one is an HMAC, a JSON parse and a hash: microseconds, no store.
 *
 * Nothing is remembered: the same solved challenge may be sent again by the same user for as long as
 * it lives, which is harmless since joining is idempotent per user; another user or sale cannot use it.
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { FlashsaleError } from '../domain/errors.ts';
import {
  leadingZeroBits,
  POW_COUNTER_PATTERN,
  POW_DIFFICULTY,
  type PowClaims,
  type PowRefusal,
} from '../domain/pow.ts';

/** Longest solution accepted: a challenge is about 200 characters for the longest ids. */
export const MAX_SOLUTION_LENGTH = 1024;
/** A challenge issued by a process whose clock runs ahead is still taken within this margin. */
const CLOCK_SKEW_MS = 30_000;

export interface IssuedChallenge {
  challenge: string;
  difficulty: number;
  /** Epoch ms: a solution sent after this is refused. */
  expiresAt: number;
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class ProofOfWork {
  private readonly key: KeyObject;

  /** `secret`: base64url of at least 32 random bytes, the same in every API process. */
  constructor(
    secret: string,
    private readonly ttlMs: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'base64url'));
  }

  static generateSecret(): Promise<string> {
    return Promise.resolve(randomBytes(32).toString('base64url'));
  }

  issue(saleId: string, userId: string, difficulty: number, now: number): IssuedChallenge {
    const claims = { s: saleId, u: userId, d: difficulty, t: now, n: randomBytes(12).toString('base64url') };
    const payload = b64(JSON.stringify(claims));
    return { challenge: `${payload}.${this.mac(payload)}`, difficulty, expiresAt: now + this.ttlMs };
  }

  /**
   * The claims of a valid solution for this user and sale; POW_INVALID otherwise, with the reason in
   * `details.reason` (a client fetches a new challenge for any of them).
   */
  verify(solution: unknown, saleId: string, userId: string, now: number): PowClaims {
    const refuse = (reason: PowRefusal): never => {
      throw new FlashsaleError('POW_INVALID', undefined, { reason });
    };
    if (typeof solution !== 'string' || solution.length > MAX_SOLUTION_LENGTH) return refuse('malformed');
    const parts = solution.split('.');
    if (parts.length !== 3) return refuse('malformed');
    const [payload, mac, counter] = parts as [string, string, string];
    if (!POW_COUNTER_PATTERN.test(counter)) return refuse('malformed');
    const given = Buffer.from(mac, 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('signature');
    const claims = parseClaims(payload) ?? refuse('malformed');
    if (claims.saleId !== saleId) return refuse('sale');
    if (claims.userId !== userId) return refuse('user');
    if (now >= claims.issuedAt + this.ttlMs || claims.issuedAt > now + CLOCK_SKEW_MS)
      return refuse('expired');
    const digest = createHash('sha256').update(solution).digest();
    if (leadingZeroBits(digest) < claims.difficulty) return refuse('bits');
    return claims;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** The claims a payload this service signed carries; null for anything else. */
function parseClaims(payload: string): PowClaims | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const c = raw as { s?: unknown; u?: unknown; d?: unknown; t?: unknown; n?: unknown };
  if (typeof c?.s !== 'string' || typeof c.u !== 'string' || typeof c.n !== 'string') return null;
  const d = c.d;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < POW_DIFFICULTY.min || d > POW_DIFFICULTY.max)
    return null;
  if (typeof c.t !== 'number' || !Number.isSafeInteger(c.t)) return null;
  return { saleId: c.s, userId: c.u, difficulty: d, issuedAt: c.t, nonce: c.n };
}

/**
 * Finds a solution: the reference solver (tests, the simulator, benchmarks). Counts in decimal from
 * `start`; about 2^difficulty hashes on average.
 */
export function solveChallenge(challenge: string, difficulty: number, start = 0): string {
  for (let counter = start; ; counter++) {
    const solution = `${challenge}.${counter}`;
    if (leadingZeroBits(createHash('sha256').update(solution).digest()) >= difficulty) return solution;
  }
}
