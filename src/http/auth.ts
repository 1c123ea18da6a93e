/**
 * Who is calling. Buyers carry the shop's user token (HS256 JWT: `sub` = user id, `exp` required,
 * optional `email` and `name`, see UserClaims); operators carry
 * the admin key; admitted buyers also carry an admission token that this service signed (ES256,
 * published in the JWKS) — checkout verifies it with no store round trip.
 */
import { createHash, createSecretKey, KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK, SignJWT } from 'jose';
import { FlashsaleError } from '../domain/errors.ts';
import { forgetOldestTenth } from '../domain/forgetOldest.ts';
import { USER_ID_PATTERN } from '../domain/hold.ts';
import { type Clock, systemClock } from '../engine/types.ts';
import { signJwt, verifyJwt } from './jwt.ts';

const ISSUER = 'flashsale';
const ADMISSION_AUDIENCE = 'flashsale-checkout';

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return null;
  const token = header.slice(7).trim();
  return token.length > 0 && token.length <= 4096 ? token : null;
}

/** Verified user tokens remembered per process, so a buyer's status polls skip the signature check. */
const VERIFIED_CACHE_SIZE = 100_000;

/** Lengths that fit an address (RFC 5321's 254) and a display name; anything longer is ignored. */
const EMAIL_MAX = 254;
const NAME_MAX = 128;
/** Deliberately loose: one `@`, no spaces or angle brackets (the mail server has the last word). */
const EMAIL_PATTERN = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export const isEmailAddress = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= EMAIL_MAX && EMAIL_PATTERN.test(value);

/**
 * What a user token says about its holder. The shop signs it (HS256, FLASHSALE_USER_SECRET):
 * `sub` (required) the user id; `exp` (required) its expiry, a token without one is refused;
 * `email` (optional) where the confirmation mail goes; `name` (optional) how to greet the buyer.
 * An `email` or `name` that is not a plausible value is left out rather than failing the token.
 */
export interface UserClaims {
  userId: string;
  email: string | null;
  name: string | null;
}

function claimsFrom(payload: Record<string, unknown>): UserClaims {
  if (typeof payload.sub !== 'string' || !USER_ID_PATTERN.test(payload.sub)) throw new Error('bad sub');
  if (typeof payload.exp !== 'number') throw new Error('no exp');
  const name = typeof payload.name === 'string' && payload.name.length <= NAME_MAX ? payload.name : null;
  return { userId: payload.sub, email: isEmailAddress(payload.email) ? payload.email : null, name };
}

export class UserTokens {
  // A KeyObject, not raw bytes: jose would import raw bytes again on every verify (a hot path).
  private readonly key: KeyObject;
  /** token → [claims, expiry in epoch ms]; only tokens that passed jwtVerify are stored. */
  private readonly verified = new Map<string, [UserClaims, number]>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /**
   * The claims of a valid token (see UserClaims), or UNAUTHENTICATED. Synchronous (node:crypto), so
   * the buyer routes' authentication hook needs no promise.
   */
  claimsOf(request: FastifyRequest): UserClaims {
    const token = bearer(request);
    if (token === null) throw new FlashsaleError('UNAUTHENTICATED');
    const known = this.verified.get(token);
    if (known !== undefined && known[1] > Date.now()) return known[0];
    try {
      const payload = verifyJwt(token, 'HS256', () => this.key, Date.now());
      const claims = claimsFrom(payload);
      this.remember(token, claims, payload.exp);
      return claims;
    } catch {
      this.verified.delete(token);
      throw new FlashsaleError('UNAUTHENTICATED');
    }
  }

  private remember(token: string, claims: UserClaims, exp: number): void {
    // Re-checked every minute even when the expiry is further away, so the map never pins a token long.
    const until = Math.min(exp * 1000, Date.now() + 60_000);
    // The oldest tenth at once: deleting the first entry one insert at a time left the map's holes at
    // its front, and each `keys().next()` walked them (19 µs a request with 200,000 buyers).
    forgetOldestTenth(this.verified, VERIFIED_CACHE_SIZE);
    this.verified.set(token, [claims, until]);
  }

  /** A token for an anonymous visitor (FLASHSALE_VISITORS=on), valid for a day. */
  async visitor(): Promise<{ token: string; userId: string }> {
    const userId = `v_${randomUUID()}`;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime('24h')
      .sign(this.key);
    return { token, userId };
  }
}

export function checkAdminKey(request: FastifyRequest, adminKey: string): void {
  const token = bearer(request);
  const given = createHash('sha256')
    .update(token ?? '')
    .digest();
  const expected = createHash('sha256').update(adminKey).digest();
  if (token === null || !timingSafeEqual(given, expected)) throw new FlashsaleError('UNAUTHENTICATED');
}

export interface AdmissionClaims {
  userId: string;
  saleId: string;
  expiresAt: number;
}

/**
 * One ES256 key: its `kid` is derived from the public key, so every process names it alike. jose
 * imports and exports it; tokens are signed and verified with node:crypto (src/http/jwt.ts).
 */
interface AdmissionKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

const keyObject = (key: KeyObject | CryptoKey): KeyObject =>
  key instanceof KeyObject ? key : KeyObject.from(key);

async function admissionKey(pem: string | null): Promise<AdmissionKey> {
  const privateKey = pem
    ? await importPKCS8(pem, 'ES256', { extractable: true })
    : (await generateKeyPair('ES256', { extractable: true })).privateKey;
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
  const jwk: JWK = { ...publicJwk, kid, alg: 'ES256', use: 'sig' };
  const publicKey = (await importJWK(jwk, 'ES256')) as KeyObject | CryptoKey;
  return { privateKey: keyObject(privateKey), publicKey: keyObject(publicKey), jwk };
}

/**
 * Signs admission tokens with the current ES256 key, shared by every API process, and verifies them
 * with the current or the previous key, chosen by the token's `kid`. Rotation: the new key becomes
 * FLASHSALE_ADMISSION_KEY and the old one FLASHSALE_ADMISSION_KEY_PREVIOUS until the old key's tokens
 * have expired (a session at most); the JWKS publishes both meanwhile.
 */
export class AdmissionTokens {
  private readonly byKid: Map<string, AdmissionKey>;

  private constructor(
    private readonly current: AdmissionKey,
    previous: AdmissionKey | null,
    /** The app's clock: a token's expiry is a session's end, reckoned in the engine's time. */
    private readonly clock: Clock,
  ) {
    this.byKid = new Map([[current.jwk.kid as string, current]]);
    if (previous !== null) this.byKid.set(previous.jwk.kid as string, previous);
  }

  /**
   * From a PKCS#8 PEM (FLASHSALE_ADMISSION_KEY, or the one kept in PostgreSQL), or a fresh key; and
   * the previous key still accepted during a rotation (FLASHSALE_ADMISSION_KEY_PREVIOUS).
   */
  static async create(
    pem: string | null,
    previousPem: string | null = null,
    clock: Clock = systemClock,
  ): Promise<AdmissionTokens> {
    const previous = previousPem === null ? null : await admissionKey(previousPem);
    return new AdmissionTokens(await admissionKey(pem), previous, clock);
  }

  /** The current key's public JWK. */
  get jwk(): JWK {
    return this.current.jwk;
  }

  /** The public keys tokens are verified with: the current one first, then the previous one. */
  get jwks(): JWK[] {
    return [...this.byKid.values()].map((key) => key.jwk);
  }

  static async generatePem(): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    return exportPKCS8(privateKey);
  }

  /** Synchronous (node:crypto): the poll that admits a buyer signs without a turn of the event loop. */
  sign(claims: AdmissionClaims): string {
    const payload = {
      sale: claims.saleId,
      sub: claims.userId,
      iss: ISSUER,
      aud: ADMISSION_AUDIENCE,
      iat: Math.floor(this.clock.now() / 1000),
      exp: Math.floor(claims.expiresAt / 1000),
    };
    const header = { alg: 'ES256', kid: this.current.jwk.kid as string } as const;
    return signJwt(header, payload, this.current.privateKey);
  }

  /** Refuses (NOT_ADMITTED) a token that is missing, forged, expired, or for another sale or user. */
  async verify(token: unknown, userId: string, saleId: string): Promise<void> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new FlashsaleError('NOT_ADMITTED');
    }
    try {
      // A token without a kid, or with one no key here has, is tried with the current key (and fails).
      const keyOf = (header: Record<string, unknown>) =>
        (this.byKid.get(typeof header.kid === 'string' ? header.kid : '') ?? this.current).publicKey;
      const payload = verifyJwt(token, 'ES256', keyOf, this.clock.now());
      if (payload.iss !== ISSUER || payload.aud !== ADMISSION_AUDIENCE) throw new Error('not ours');
      if (payload.sub !== userId || payload.sale !== saleId) throw new Error('not this user or sale');
    } catch {
      throw new FlashsaleError('NOT_ADMITTED');
    }
  }
}
