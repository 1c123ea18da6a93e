/**
 * Compact JWTs signed and verified synchronously with node:crypto, for the buyer routes' hot paths:
 * a join verifies a user token (HS256) it has never seen, a checkout verifies an admission token
 * (ES256), an admitted buyer's poll may sign one. jose does the same through WebCrypto, whose
 * every call is an asynchronous job: measured on the 2-core bench machine, an HS256 verification
 * took ~310 µs through jose and ~45 µs here (bench/README.md, "Where the time goes").
 *
 * Only what this service uses is accepted: one algorithm per call, given by the caller, never read
 * from the token; no `crit` header; `exp` required and in the future; `nbf` and `iat`, when present,
 * numbers (`nbf` not in the future). Key management (import, JWKS) stays with jose.
 */
import { createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'ES256';

export interface JwtHeader {
  alg: JwtAlgorithm;
  kid?: string;
  typ?: string;
}

export type JwtPayload = Record<string, unknown> & { exp: number };

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeJson(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/** The signature of `header.payload` (ES256 as the 64-byte r‖s JWS uses, not DER), base64url. */
function signature(alg: JwtAlgorithm, key: KeyObject, input: string): string {
  if (alg === 'HS256') return createHmac('sha256', key).update(input).digest('base64url');
  return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

function signatureMatches(alg: JwtAlgorithm, key: KeyObject, input: string, given: string): boolean {
  if (alg === 'HS256') {
    // Compared as the canonical encoding, so only one spelling of a signature is accepted.
    const expected = Buffer.from(signature(alg, key, input));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  const raw = Buffer.from(given, 'base64url');
  if (raw.length !== 64 || raw.toString('base64url') !== given) return false;
  return verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, raw);
}

export function signJwt(header: JwtHeader, payload: JwtPayload, key: KeyObject): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signature(header.alg, key, input)}`;
}

/**
 * The payload of a token signed with `alg` by the key `keyFor(header)` returns, or an Error. `nowMs`:
 * the instant `exp` and `nbf` are judged against.
 */
export function verifyJwt(
  token: string,
  alg: JwtAlgorithm,
  keyFor: (header: Record<string, unknown>) => KeyObject,
  nowMs: number,
): JwtPayload {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (header.alg !== alg) throw new Error('unexpected algorithm');
  if (header.crit !== undefined) throw new Error('critical header parameters are not supported');
  if (!signatureMatches(alg, keyFor(header), `${headerPart}.${payloadPart}`, signaturePart)) {
    throw new Error('bad signature');
  }
  const payload = decodeJson(payloadPart);
  // Whole seconds, as NumericDate claims are (a token whose `exp` is this second has expired).
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw new Error('no exp');
  if (payload.exp <= now) throw new Error('expired');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) {
    throw new Error('not yet valid');
  }
  if (payload.iat !== undefined && typeof payload.iat !== 'number') throw new Error('bad iat');
  return payload as JwtPayload;
}
