/**
 * The synchronous JWT code of the hot paths (src/http/jwt.ts) against jose, the reference: what one
 * signs the other verifies, and every token jose would refuse for these checks is refused here too.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../../src/http/jwt.ts';

const secret = createSecretKey(Buffer.from('a-user-secret-of-thirty-two-chars!'));
const otherSecret = createSecretKey(Buffer.from('another-secret-of-thirty-two-chars'));
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const now = Date.now();
const inAnHour = Math.floor(now / 1000) + 3600;

const hs = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const refusal = (token: string, alg: 'HS256' | 'ES256' = 'HS256') => {
  try {
    verifyJwt(token, alg, () => (alg === 'HS256' ? secret : ec.publicKey), now);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('synchronous JWT', () => {
  it('verifies what jose signs, HS256 and ES256, and jose verifies what it signs', async () => {
    const token = await hs({ sub: 'u_1', exp: inAnHour, email: 'ada@example.com' });
    expect(verifyJwt(token, 'HS256', () => secret, now)).toMatchObject({ sub: 'u_1', exp: inAnHour });

    const joseEs = await new SignJWT({ sale: 's1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setExpirationTime(inAnHour)
      .sign(ec.privateKey);
    expect(verifyJwt(joseEs, 'ES256', () => ec.publicKey, now)).toMatchObject({ sale: 's1' });

    const ours = signJwt({ alg: 'ES256', kid: 'k1' }, { sub: 'u_1', exp: inAnHour }, ec.privateKey);
    const { payload, protectedHeader } = await jwtVerify(ours, ec.publicKey, { algorithms: ['ES256'] });
    expect(payload.sub).toBe('u_1');
    expect(protectedHeader.kid).toBe('k1');
    const oursHs = signJwt({ alg: 'HS256' }, { sub: 'u_2', exp: inAnHour }, secret);
    expect((await jwtVerify(oursHs, secret)).payload.sub).toBe('u_2');
  });

  it('refuses forged, altered, confused, expired and malformed tokens', async () => {
    const good = await hs({ sub: 'u_1', exp: inAnHour });
    const [h, p, s] = good.split('.') as [string, string, string];
    expect(refusal(good)).toBeNull();
    // Signed with another secret; payload changed after signing; signature truncated or re-spelled.
    expect(
      refusal(
        await new SignJWT({ sub: 'u_1', exp: inAnHour })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(otherSecret),
      ),
    ).toBe('bad signature');
    expect(refusal(`${h}.${part({ sub: 'admin', exp: inAnHour })}.${s}`)).toBe('bad signature');
    expect(refusal(`${h}.${p}.${s.slice(0, -2)}`)).toBe('bad signature');
    expect(refusal(`${h}.${p}.${s}=`)).toBe('bad signature');
    // The algorithm is the caller's, never the token's: none, or an HS256 token where ES256 is expected.
    expect(refusal(`${part({ alg: 'none' })}.${p}.`)).toBe('unexpected algorithm');
    expect(refusal(good, 'ES256')).toBe('unexpected algorithm');
    expect(refusal(await hs({ sub: 'u_1', exp: inAnHour }, { crit: ['b64'], b64: true }))).toMatch(
      /critical/,
    );
    // Time claims.
    expect(refusal(await hs({ sub: 'u_1' }))).toBe('no exp');
    expect(refusal(await hs({ sub: 'u_1', exp: String(inAnHour) }))).toBe('no exp');
    expect(refusal(await hs({ sub: 'u_1', exp: Math.floor(now / 1000) }))).toBe('expired');
    expect(refusal(await hs({ sub: 'u_1', exp: inAnHour, nbf: inAnHour - 60 }))).toBe('not yet valid');
    expect(refusal(await hs({ sub: 'u_1', exp: inAnHour, iat: 'yesterday' }))).toBe('bad iat');
    // Shapes.
    expect(refusal(`${h}.${p}`)).toBe('not a compact JWS');
    expect(refusal(`${h}.${p}.${s}.x`)).toBe('not a compact JWS');
    expect(refusal(`${h}.${Buffer.from('[1]').toString('base64url')}.${s}`)).toBe('bad signature');
    expect(refusal(`${Buffer.from('{').toString('base64url')}.${p}.${s}`)).toMatch(/JSON/);
  });

  it('refuses an ES256 token signed by another key or with a re-spelled signature', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = signJwt({ alg: 'ES256' }, { sub: 'u_1', exp: inAnHour }, other.privateKey);
    expect(refusal(foreign, 'ES256')).toBe('bad signature');
    const good = signJwt({ alg: 'ES256' }, { sub: 'u_1', exp: inAnHour }, ec.privateKey);
    expect(refusal(good, 'ES256')).toBeNull();
    expect(refusal(`${good}=`, 'ES256')).toBe('bad signature');
  });
});
