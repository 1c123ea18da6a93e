/**
 * The shop's user token: `sub` and `exp` required, `email` and `name` optional (see UserClaims).
 */
import type { FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UserTokens } from '../../src/http/auth.ts';

const SECRET = 'a-user-secret-of-thirty-two-chars!';
const users = () => new UserTokens(SECRET);
const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;

const sign = (claims: Record<string, unknown>, expires: string | null = '1h') => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (expires !== null) jwt.setExpirationTime(expires);
  return jwt.sign(new TextEncoder().encode(SECRET));
};

describe('user tokens', () => {
  it('carry sub, and optionally email and name', async () => {
    const token = await sign({ sub: 'u_1', email: 'ada@example.com', name: 'Ada' });
    expect(users().claimsOf(requestWith(token))).toEqual({
      userId: 'u_1',
      email: 'ada@example.com',
      name: 'Ada',
    });
    expect(users().claimsOf(requestWith(await sign({ sub: 'u_2' })))).toEqual({
      userId: 'u_2',
      email: null,
      name: null,
    });
  });

  it('refuse a token without exp, even when it is otherwise valid', async () => {
    const token = await sign({ sub: 'u_1', email: 'ada@example.com' }, null);
    expect(() => users().claimsOf(requestWith(token))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
    expect(() => users().claimsOf(requestWith(token))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });

  it('refuse an expired token', async () => {
    const token = await sign({ sub: 'u_1', exp: Math.floor(Date.now() / 1000) - 10 }, null);
    expect(() => users().claimsOf(requestWith(token))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });

  it('leave out an email that is not an address rather than mail it', async () => {
    for (const email of ['u_1', 'two@@example.com', 'a b@example.com', 42, `${'x'.repeat(250)}@ex.com`]) {
      const token = await sign({ sub: 'u_1', email });
      expect(users().claimsOf(requestWith(token)).email).toBeNull();
    }
  });

  it('give the same claims from the per-process cache', async () => {
    const tokens = users();
    const token = await sign({ sub: 'u_1', email: 'ada@example.com', name: 'Ada' });
    const first = tokens.claimsOf(requestWith(token));
    expect(tokens.claimsOf(requestWith(token))).toEqual(first);
  });

  it('issue visitor tokens that expire', async () => {
    const tokens = users();
    const { token, userId } = await tokens.visitor();
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(typeof payload.exp).toBe('number');
    expect(tokens.claimsOf(requestWith(token)).userId).toBe(userId);
  });
});
