/** A buyer's walk as a state machine: each answer leads to the next step, an end, or a retry of the same request. */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leadingZeroBits } from '../../src/domain/pow.ts';
import { type Buyer, createBuyers, outcomeOfOrders } from '../../src/sim/buyers.ts';
import type { Reply } from '../../src/sim/http.ts';
import { seededRng } from '../../src/sim/rng.ts';
import { onAnswer, requestOf, type StepContext, signUserToken } from '../../src/sim/steps.ts';

function context(userSecret: string | null = null, powDifficulty = 0) {
  const events: string[] = [];
  const ctx: StepContext = {
    saleId: 'drop',
    runId: 'r1',
    userSecret,
    powDifficulty,
    now: () => 1000,
    joined: () => events.push('joined'),
    inLine: (_b, waiting) => events.push(waiting ? 'in line' : 'left line'),
    admitted: () => events.push('admitted'),
    accepted: (_b, id, kind) => events.push(`accepted ${kind} ${id}`),
    settled: (_b, o) => events.push(`settled ${o.status}`),
    count: (e) => events.push(`count ${e}`),
  };
  return { ctx, events };
}

const ok = (status: number, body: unknown): Reply => ({ status, body, retryAfterMs: null, error: null });
const refusal = (status: number, code: string) => ok(status, { error: { code, message: '' } });

function buyer(overrides: Partial<Buyer> = {}): Buyer {
  const population = { abandon: 0, decline: 0, flaky: 0, resend: 0, doubleSubmit: 0 };
  return { ...(createBuyers(1, 2, population, seededRng(1))[0] as Buyer), quantity: 2, ...overrides };
}

describe('buyer steps', () => {
  it('solves the challenge before joining a sale that asks for work, and again when a join is refused for it', () => {
    const { ctx, events } = context(null, 8);
    const b = buyer();
    onAnswer(b, ok(201, { token: 't', userId: 'u' }), ctx);
    expect(requestOf(b, ctx)).toMatchObject({
      route: 'challenge',
      method: 'POST',
      path: '/api/v1/sales/drop/challenge',
      headers: { authorization: 'Bearer t' },
    });
    const challenge = 'payload.mac';
    expect(onAnswer(b, ok(200, { challenge, difficulty: 8, expiresAt: 0 }), ctx)).toEqual({
      kind: 'at',
      time: 1000,
    });
    const join = requestOf(b, ctx);
    expect(join.route).toBe('join');
    const solution = join.headers['x-pow-solution'] as string;
    expect(solution.startsWith(`${challenge}.`)).toBe(true);
    expect(leadingZeroBits(createHash('sha256').update(solution).digest())).toBeGreaterThanOrEqual(8);
    expect(events).toContain('count challenges solved');
    // An expired solution: back for a new challenge, a few times at most.
    for (let i = 0; i < 2; i++) {
      expect(onAnswer(b, refusal(403, 'POW_INVALID'), ctx)).toEqual({ kind: 'at', time: 1000 });
      expect(requestOf(b, ctx).route).toBe('challenge');
      onAnswer(b, ok(200, { challenge, difficulty: 1, expiresAt: 0 }), ctx);
    }
    expect(onAnswer(b, refusal(428, 'POW_REQUIRED'), ctx)).toMatchObject({
      kind: 'finish',
      outcome: 'error',
    });
  });

  it('joins without a challenge when the sale asks for none, and fetches one if the join asks', () => {
    const { ctx } = context();
    const b = buyer();
    onAnswer(b, ok(201, { token: 't', userId: 'u' }), ctx);
    const join = requestOf(b, ctx);
    expect(join.route).toBe('join');
    expect(join.headers['x-pow-solution']).toBeUndefined();
    expect(onAnswer(b, refusal(428, 'POW_REQUIRED'), ctx)).toEqual({ kind: 'at', time: 1000 });
    expect(requestOf(b, ctx).route).toBe('challenge');
  });

  it('visitor → join → waiting (poll when told) → admitted → checkout → order → bought', () => {
    const { ctx, events } = context();
    const b = buyer();
    expect(requestOf(b, ctx)).toMatchObject({ route: 'visitor', method: 'POST', path: '/api/v1/visitors' });
    expect(onAnswer(b, ok(201, { token: 't', userId: 'u' }), ctx)).toEqual({ kind: 'at', time: 1000 });
    expect(requestOf(b, ctx)).toMatchObject({ route: 'join', headers: { authorization: 'Bearer t' } });
    expect(onAnswer(b, ok(200, { state: 'waiting', pollAfterMs: 2500 }), ctx)).toEqual({
      kind: 'at',
      time: 3500,
    });
    expect(requestOf(b, ctx)).toMatchObject({
      route: 'poll',
      method: 'GET',
      path: '/api/v1/sales/drop/queue',
    });
    onAnswer(b, ok(200, { state: 'admitted', pollAfterMs: null, admission: { token: 'adm' } }), ctx);
    const checkout = requestOf(b, ctx);
    expect(checkout).toMatchObject({
      route: 'checkout',
      path: '/api/v1/sales/drop/checkout',
      headers: { 'x-admission-token': 'adm', 'idempotency-key': 'sim-r1-0-1' },
    });
    expect(JSON.parse(checkout.body as string)).toEqual({ quantity: 2, paymentMethod: 'pm_ok' });
    expect(onAnswer(b, ok(202, { orderId: 'drop.h1', status: 'pending' }), ctx)).toEqual({
      kind: 'at',
      time: 1200,
    });
    expect(requestOf(b, ctx)).toMatchObject({ route: 'order', path: '/api/v1/orders/drop.h1' });
    expect(onAnswer(b, ok(200, { status: 'pending', quantity: 2 }), ctx)).toEqual({ kind: 'at', time: 1400 });
    expect(onAnswer(b, ok(200, { status: 'confirmed', quantity: 2 }), ctx)).toEqual({
      kind: 'finish',
      outcome: 'bought',
      note: null,
    });
    expect(events).toEqual([
      'joined',
      'in line',
      'left line',
      'admitted',
      'accepted first drop.h1',
      'settled confirmed',
    ]);
  });

  it('a resend reuses the Idempotency-Key; a double submit takes a new one and may be refused', () => {
    const { ctx, events } = context();
    const b = buyer({
      step: 'checkout',
      token: 't',
      admission: 'adm',
      key: 'k1',
      keys: 1,
      resend: true,
      doubleSubmit: true,
    });
    onAnswer(b, ok(202, { orderId: 'drop.h1' }), ctx);
    expect(b.step).toBe('resend');
    expect(requestOf(b, ctx).headers['idempotency-key']).toBe('k1');
    onAnswer(b, ok(202, { orderId: 'drop.h1' }), ctx);
    expect(b.step).toBe('second');
    expect(requestOf(b, ctx).headers['idempotency-key']).toBe('sim-r1-0-2');
    onAnswer(b, refusal(409, 'LIMIT_EXCEEDED'), ctx);
    expect(b.step).toBe('order');
    expect(b.orders.map((o) => o.id)).toEqual(['drop.h1']);
    expect(events).toEqual([
      'accepted first drop.h1',
      'accepted resend drop.h1',
      'count second LIMIT_EXCEEDED',
    ]);
  });

  it('takes what is left on INSUFFICIENT_STOCK (a new request, a new key); sold out ends the walk', () => {
    const { ctx } = context();
    const b = buyer({ step: 'checkout', token: 't', key: 'k1', keys: 1 });
    expect(onAnswer(b, refusal(409, 'INSUFFICIENT_STOCK'), ctx)).toEqual({ kind: 'at', time: 1000 });
    expect(b.quantity).toBe(1);
    expect(b.key).toBe('sim-r1-0-2');
    expect(onAnswer(b, refusal(409, 'SOLD_OUT'), ctx)).toMatchObject({ kind: 'finish', outcome: 'sold_out' });
  });

  it('abandons after its polls, or once admitted, saying so to the room; learns sold out and ended from it', () => {
    const { ctx, events } = context();
    const quitter = buyer({ step: 'poll', token: 't', abandonAfter: 1, polls: 1, inLine: true });
    expect(onAnswer(quitter, ok(200, { state: 'waiting', pollAfterMs: 1000 }), ctx)).toEqual({
      kind: 'at',
      time: 1000,
    });
    expect(events).toEqual(['left line']);
    expect(requestOf(quitter, ctx)).toEqual({
      route: 'leave',
      method: 'DELETE',
      path: '/api/v1/sales/drop/queue',
      headers: { authorization: 'Bearer t' },
    });
    expect(onAnswer(quitter, ok(200, { left: true }), ctx)).toMatchObject({ outcome: 'abandoned' });
    const late = buyer({ step: 'poll', token: 't', abandonAfter: 3 });
    expect(onAnswer(late, ok(200, { state: 'admitted', admission: { token: 'a' } }), ctx)).toEqual({
      kind: 'at',
      time: 1000,
    });
    expect(late.step).toBe('leave');
    // A refused leave still ends the walk: the buyer was going anyway.
    expect(onAnswer(late, refusal(404, 'SALE_NOT_FOUND'), ctx)).toMatchObject({ outcome: 'abandoned' });
    expect(events).toContain('count leave SALE_NOT_FOUND');
    for (const [state, outcome] of [
      ['sold_out', 'sold_out'],
      ['ended', 'ended'],
      ['expired', 'session_expired'],
    ]) {
      expect(onAnswer(buyer({ step: 'poll', token: 't' }), ok(200, { state }), ctx)).toMatchObject({
        outcome,
      });
    }
  });

  it('rejoins when the room forgot the buyer; comes back to poll when the admission was refused', () => {
    const { ctx } = context();
    const b = buyer({ step: 'poll', token: 't' });
    onAnswer(b, refusal(404, 'NOT_IN_QUEUE'), ctx);
    expect(b.step).toBe('join');
    const c = buyer({ step: 'checkout', token: 't', admission: 'old' });
    onAnswer(c, refusal(403, 'NOT_ADMITTED'), ctx);
    expect(c).toMatchObject({ step: 'poll', admission: null });
  });

  it('stops the run when visitors are off; signs its own tokens with --user-secret', () => {
    const { ctx } = context();
    expect(onAnswer(buyer(), refusal(404, 'VISITORS_DISABLED'), ctx)).toMatchObject({ kind: 'abort' });
    const signed = context('a-secret-of-sixteen-chars');
    const b = buyer();
    const spec = requestOf(b, signed.ctx);
    expect(spec.route).toBe('join');
    const token = spec.headers.authorization?.slice(7) ?? '';
    const [header, body, signature] = token.split('.');
    const expected = signUserToken('a-secret-of-sixteen-chars', 'sim_r1_0').split('.')[2];
    expect(
      createHmac('sha256', 'a-secret-of-sixteen-chars').update(`${header}.${body}`).digest('base64url'),
    ).toBe(signature);
    expect(expected).toMatch(/^[\w-]{43}$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload.sub).toBe('sim_r1_0');
  });

  it('a buyer population follows the configured shares (seeded, reproducible)', () => {
    const shares = { abandon: 0.1, decline: 0.05, flaky: 0.02, resend: 0.02, doubleSubmit: 0.02 };
    const buyers = createBuyers(20_000, 3, shares, seededRng(42));
    const share = (f: (b: Buyer) => boolean) => buyers.filter(f).length / buyers.length;
    expect(share((b) => b.abandonAfter >= 0)).toBeCloseTo(0.1, 1);
    expect(share((b) => b.paymentMethod === 'pm_decline')).toBeCloseTo(0.05, 1);
    expect(share((b) => b.paymentMethod === 'pm_flaky')).toBeCloseTo(0.02, 1);
    expect(new Set(buyers.map((b) => b.quantity))).toEqual(new Set([1, 2, 3]));
    expect(createBuyers(50, 3, shares, seededRng(42))).toEqual(buyers.slice(0, 50));
    expect(outcomeOfOrders([{ id: 'a', key: 'k', quantity: 1, status: 'failed', polls: 0 }])).toBe(
      'declined',
    );
  });
});
