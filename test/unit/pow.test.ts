/**
 * Proof-of-work challenges: issued bound to sale and user, verified without a store; every way a
 * solution can be wrong is refused with POW_INVALID and its reason. The difficulty's rise with the
 * join rate, and the sale setting's validation.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlashsaleError } from '../../src/domain/errors.ts';
import { effectiveDifficulty, leadingZeroBits, POW_MAX_RISE_BITS } from '../../src/domain/pow.ts';
import { normalizePowDifficulty, SALE_DEFAULTS } from '../../src/domain/sale.ts';
import { ProofOfWork, solveChallenge } from '../../src/http/pow.ts';

const TTL_MS = 60_000;
const NOW = 1_800_000_000_000;
const secret = 'c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzLSE';
const pow = new ProofOfWork(secret, TTL_MS);

const bits = (solution: string) => leadingZeroBits(createHash('sha256').update(solution).digest());

/** The reason POW_INVALID gives, or 'accepted'. */
function verdict(solution: unknown, saleId = 'sale-1', userId = 'alice', now = NOW): string {
  try {
    pow.verify(solution, saleId, userId, now);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(FlashsaleError);
    expect((error as FlashsaleError).code).toBe('POW_INVALID');
    return String((error as FlashsaleError).details?.reason);
  }
}

describe('proof-of-work challenges', () => {
  const { challenge, difficulty, expiresAt } = pow.issue('sale-1', 'alice', 10, NOW);
  const solution = solveChallenge(challenge, difficulty);

  it('issue a challenge with its difficulty and lifetime; a solution has the bits and is accepted', () => {
    expect(difficulty).toBe(10);
    expect(expiresAt).toBe(NOW + TTL_MS);
    expect(bits(solution)).toBeGreaterThanOrEqual(10);
    expect(verdict(solution)).toBe('accepted');
    expect(pow.verify(solution, 'sale-1', 'alice', NOW)).toMatchObject({
      saleId: 'sale-1',
      userId: 'alice',
      difficulty: 10,
      issuedAt: NOW,
    });
    // The same solution again (a retried join) is still accepted: joining is idempotent per user.
    expect(verdict(solution, 'sale-1', 'alice', NOW + 1000)).toBe('accepted');
  });

  it('are fresh each time: two challenges for the same user and sale differ', () => {
    expect(pow.issue('sale-1', 'alice', 10, NOW).challenge).not.toBe(challenge);
  });

  it('refuse a solution for another sale or another user', () => {
    expect(verdict(solution, 'sale-2')).toBe('sale');
    expect(verdict(solution, 'sale-1', 'bob')).toBe('user');
  });

  it('refuse a solution once the challenge expired, and one issued in the future', () => {
    expect(verdict(solution, 'sale-1', 'alice', NOW + TTL_MS - 1)).toBe('accepted');
    expect(verdict(solution, 'sale-1', 'alice', NOW + TTL_MS)).toBe('expired');
    expect(verdict(solution, 'sale-1', 'alice', NOW - 31_000)).toBe('expired');
  });

  it('refuse a counter whose hash has too few leading zero bits', () => {
    let counter = 0;
    while (bits(`${challenge}.${counter}`) >= 10) counter++;
    expect(verdict(`${challenge}.${counter}`)).toBe('bits');
  });

  it('refuse a tampered challenge: a changed payload, a lowered difficulty, a foreign key', () => {
    const [payload, mac, counter] = solution.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = (over: object) =>
      `${Buffer.from(JSON.stringify({ ...claims, ...over })).toString('base64url')}.${mac}.${counter}`;
    expect(verdict(forged({ d: 0 }))).toBe('signature');
    expect(verdict(forged({ u: 'bob' }), 'sale-1', 'bob')).toBe('signature');
    expect(verdict(forged({ t: NOW + 3_600_000 }))).toBe('signature');
    expect(verdict(`${payload}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}.${counter}`)).toBe('signature');
    // A challenge signed with another key (another deployment) solved properly is refused too.
    const stranger = new ProofOfWork('b3RoZXIta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtISE', TTL_MS);
    const theirs = stranger.issue('sale-1', 'alice', 4, NOW);
    expect(verdict(solveChallenge(theirs.challenge, 4))).toBe('signature');
  });

  it('refuse malformed solutions', () => {
    for (const bad of [undefined, 42, '', challenge, `${challenge}.`, `${challenge}.1 2`, `x.${solution}`])
      expect(verdict(bad), String(bad)).toBe('malformed');
    expect(verdict(`${solution}${'0'.repeat(1024)}`)).toBe('malformed');
  });

  it('cost about 2^difficulty hashes to solve: difficulty 0 takes any counter', () => {
    const easy = pow.issue('sale-1', 'alice', 0, NOW);
    expect(solveChallenge(easy.challenge, 0)).toBe(`${easy.challenge}.0`);
    expect(verdict(`${easy.challenge}.anything`)).toBe('accepted');
  });
});

describe('difficulty', () => {
  it('rises one bit per doubling of the join rate past the threshold, at most POW_MAX_RISE_BITS', () => {
    expect(effectiveDifficulty(18, 0, 200)).toBe(18);
    expect(effectiveDifficulty(18, 200, 200)).toBe(18);
    expect(effectiveDifficulty(18, 201, 200)).toBe(19);
    expect(effectiveDifficulty(18, 400, 200)).toBe(19);
    expect(effectiveDifficulty(18, 401, 200)).toBe(20);
    expect(effectiveDifficulty(18, 3200, 200)).toBe(22);
    expect(effectiveDifficulty(18, 1e9, 200)).toBe(18 + POW_MAX_RISE_BITS);
    expect(effectiveDifficulty(31, 1e9, 200)).toBe(32);
  });

  it('never rises for a sale that asks no proof, nor with the rise turned off', () => {
    expect(effectiveDifficulty(0, 1e6, 200)).toBe(0);
    expect(effectiveDifficulty(18, 1e6, 0)).toBe(18);
  });

  it('is a sale setting: the default when left out, 0-32 else INVALID_SALE naming the field', () => {
    expect(normalizePowDifficulty(undefined)).toBe(SALE_DEFAULTS.powDifficulty);
    expect(normalizePowDifficulty(0)).toBe(0);
    expect(normalizePowDifficulty(32)).toBe(32);
    for (const bad of [-1, 33, 1.5, '18', null]) {
      expect(() => normalizePowDifficulty(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_SALE', details: { field: 'powDifficulty' } }),
      );
    }
  });

  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x80]))).toBe(16);
    expect(leadingZeroBits(Uint8Array.from([0, 0x01]))).toBe(15);
    expect(leadingZeroBits(Uint8Array.from([0x40]))).toBe(1);
    expect(leadingZeroBits(Uint8Array.from([0, 0]))).toBe(16);
  });
});
