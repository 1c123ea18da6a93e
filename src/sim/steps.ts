/**
 * One buyer's walk through the API, as a state machine: the request for its current step, and what
 * it does with the answer. Retries (429, 5xx, no answer) are handled before these see a reply.
 */
import { createHmac } from 'node:crypto';
import { solveChallenge } from '../http/pow.ts';
import { type Buyer, type Outcome, outcomeOfOrders, type PlacedOrder } from './buyers.ts';
import type { Reply, RequestSpec } from './http.ts';

export interface StepContext {
  readonly saleId: string;
  readonly runId: string;
  readonly userSecret: string | null;
  /** The sale's proof-of-work difficulty: above 0, buyers fetch and solve a challenge before joining. */
  readonly powDifficulty: number;
  now(): number;
  /** First answer to a join: the buyer's join rank. */
  joined(b: Buyer): void;
  inLine(b: Buyer, waiting: boolean): void;
  admitted(b: Buyer): void;
  /** A checkout answered 202 (first, resent or second submission). */
  accepted(b: Buyer, orderId: string, kind: 'first' | 'resend' | 'second'): void;
  /** An order reached its final status. */
  settled(b: Buyer, order: PlacedOrder): void;
  count(event: string): void;
}

/** What a buyer does after an answer: its next step at a time, an end, or stopping the whole run. */
export type Next =
  | { kind: 'at'; time: number }
  | { kind: 'finish'; outcome: Outcome; note: string | null }
  | { kind: 'abort'; reason: string };

const at = (time: number): Next => ({ kind: 'at', time });
const end = (outcome: Outcome, note: string | null = null): Next => ({ kind: 'finish', outcome, note });

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = b64({ alg: 'HS256', typ: 'JWT' });

/** An HS256 user token as the shop would sign it (`sub` = user id), valid for a day. */
export function signUserToken(secret: string, userId: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const body = `${HEADER}.${b64({ sub: userId, iat, exp: iat + 86_400 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const errorCode = (reply: Reply): string => reply.body?.error?.code ?? `HTTP ${reply.status || reply.error}`;
const pendingOrder = (b: Buyer) => b.orders.find((o) => o.status === 'pending');

function newKey(b: Buyer, ctx: StepContext): void {
  b.keys += 1;
  b.key = `sim-${ctx.runId}-${b.index}-${b.keys}`;
}

export function requestOf(b: Buyer, ctx: StepContext): RequestSpec {
  if (b.token === null && ctx.userSecret !== null) {
    b.token = signUserToken(ctx.userSecret, `sim_${ctx.runId}_${b.index}`);
    b.step = firstStep(ctx);
  }
  const auth = { authorization: `Bearer ${b.token}` };
  const queue = `/api/v1/sales/${ctx.saleId}/queue`;
  switch (b.step) {
    case 'visitor':
      return { route: 'visitor', method: 'POST', path: '/api/v1/visitors', headers: {} };
    case 'challenge':
      return {
        route: 'challenge',
        method: 'POST',
        path: `/api/v1/sales/${ctx.saleId}/challenge`,
        headers: auth,
      };
    case 'join':
      return {
        route: 'join',
        method: 'POST',
        path: queue,
        headers: b.solution === null ? auth : { ...auth, 'x-pow-solution': b.solution },
      };
    case 'poll':
      return { route: 'poll', method: 'GET', path: queue, headers: auth };
    case 'leave':
      return { route: 'leave', method: 'DELETE', path: queue, headers: auth };
    case 'checkout':
    case 'resend':
    case 'second':
      return {
        route: 'checkout',
        method: 'POST',
        path: `/api/v1/sales/${ctx.saleId}/checkout`,
        headers: {
          ...auth,
          'x-admission-token': b.admission ?? '',
          'idempotency-key': b.key,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ quantity: b.quantity, paymentMethod: b.paymentMethod }),
      };
    case 'order': {
      const order = pendingOrder(b);
      return { route: 'order', method: 'GET', path: `/api/v1/orders/${order?.id}`, headers: auth };
    }
    case 'done':
      throw new Error(`buyer ${b.index} has nothing left to do`);
  }
}

export function onAnswer(b: Buyer, reply: Reply, ctx: StepContext): Next {
  const now = ctx.now();
  switch (b.step) {
    case 'visitor':
      if (reply.status === 201 && typeof reply.body?.token === 'string') {
        b.token = reply.body.token;
        b.step = firstStep(ctx);
        return at(now);
      }
      if (reply.body?.error?.code === 'VISITORS_DISABLED') {
        return {
          kind: 'abort',
          reason: 'visitors are disabled on the service: pass --user-secret (FLASHSALE_USER_SECRET)',
        };
      }
      return end('error', `visitor: ${errorCode(reply)}`);
    case 'challenge':
      return onChallenge(b, reply, ctx);
    case 'join':
    case 'poll':
      return onQueue(b, reply, ctx, now);
    case 'leave':
      // Gone either way; a refusal is counted, not fatal (the buyer was leaving anyway).
      if (reply.status !== 200) ctx.count(`leave ${errorCode(reply)}`);
      return end('abandoned');
    case 'checkout':
    case 'resend':
    case 'second':
      return onCheckout(b, reply, ctx, now);
    case 'order':
      return onOrder(b, reply, ctx, now);
    case 'done':
      return end(b.outcome ?? 'error');
  }
}

/** A sale that asks for proof of work is joined with a solved challenge, fetched first. */
const firstStep = (ctx: StepContext) => (ctx.powDifficulty > 0 ? 'challenge' : 'join');

/**
 * Solves the challenge as a buyer's device would, with the reference solver (in the simulator's
 * thread: rehearsals ask little work, see --pow-difficulty), then joins with the solution.
 */
function onChallenge(b: Buyer, reply: Reply, ctx: StepContext): Next {
  if (reply.status !== 200 || typeof reply.body?.challenge !== 'string') {
    return end('error', `challenge: ${errorCode(reply)}`);
  }
  b.challenges += 1;
  b.solution = solveChallenge(reply.body.challenge, reply.body.difficulty);
  ctx.count('challenges solved');
  b.step = 'join';
  return at(ctx.now());
}

function onQueue(b: Buyer, reply: Reply, ctx: StepContext, now: number): Next {
  if (reply.status !== 200) {
    const code = errorCode(reply);
    // A sale asking for work the buyer did not know of, or a solution refused (expired): solve one.
    if ((code === 'POW_REQUIRED' || code === 'POW_INVALID') && b.step === 'join' && b.challenges < 3) {
      b.step = 'challenge';
      return at(now);
    }
    if (code === 'NOT_IN_QUEUE') {
      b.step = 'join';
      return at(now);
    }
    // The waiting room of an existing sale may not be open yet: come back in a second.
    if (code === 'NOT_LIVE' && b.step === 'join') return at(now + 1000);
    return end('error', `${b.step}: ${code}`);
  }
  if (b.step === 'join') ctx.joined(b);
  const status = reply.body as { state: string; pollAfterMs: number | null; admission?: { token: string } };
  switch (status.state) {
    case 'waiting':
      if (b.abandonAfter >= 0 && b.polls >= b.abandonAfter) return leave(b, ctx, now);
      ctx.inLine(b, true);
      b.polls += 1;
      b.step = 'poll';
      return at(now + (status.pollAfterMs ?? 1000));
    case 'admitted':
      ctx.inLine(b, false);
      ctx.admitted(b);
      if (b.abandonAfter >= 0) return leave(b, ctx, now);
      b.admission = status.admission?.token ?? null;
      b.step = 'checkout';
      newKey(b, ctx);
      return at(now);
    case 'sold_out':
      return end('sold_out');
    case 'ended':
      return end('ended');
    case 'expired':
      return end('session_expired');
    default:
      return end('error', `queue state ${status.state}`);
  }
}

/** Giving up: out of the line, or the turn given back, so the server stops counting the buyer. */
function leave(b: Buyer, ctx: StepContext, now: number): Next {
  ctx.inLine(b, false);
  b.step = 'leave';
  return at(now);
}

function toOrders(b: Buyer, now: number): Next {
  b.step = 'order';
  return at(now + 200);
}

function onCheckout(b: Buyer, reply: Reply, ctx: StepContext, now: number): Next {
  const step = b.step as 'checkout' | 'resend' | 'second';
  if (reply.status === 202 && typeof reply.body?.orderId === 'string') {
    const orderId: string = reply.body.orderId;
    ctx.accepted(b, orderId, step === 'checkout' ? 'first' : step);
    if (step !== 'resend') {
      b.orders.push({ id: orderId, key: b.key, quantity: b.quantity, status: 'pending', polls: 0 });
    }
    if (step === 'checkout' && b.resend) {
      b.step = 'resend';
      return at(now);
    }
    if (step !== 'second' && b.doubleSubmit) {
      b.step = 'second';
      newKey(b, ctx);
      return at(now);
    }
    return toOrders(b, now);
  }
  const code = errorCode(reply);
  ctx.count(`${step} ${code}`);
  if (step !== 'checkout') return b.orders.length > 0 ? toOrders(b, now) : end('error', code);
  switch (code) {
    case 'INSUFFICIENT_STOCK':
      if (b.quantity > 1) {
        // Fewer left than asked: a real buyer takes what is left, a new request with a new key.
        b.quantity = 1;
        newKey(b, ctx);
        return at(now);
      }
      return end('sold_out');
    case 'SOLD_OUT':
      return end('sold_out');
    case 'NOT_LIVE':
      return end('ended');
    case 'NOT_ADMITTED':
      // The session ran out before the click: back to the waiting room's answer (a few times at most).
      b.refusals += 1;
      if (b.refusals > 3) return end('error', 'checkout: NOT_ADMITTED with a fresh admission');
      b.admission = null;
      b.step = 'poll';
      return at(now);
    default:
      return end('error', `checkout: ${code}`);
  }
}

function onOrder(b: Buyer, reply: Reply, ctx: StepContext, now: number): Next {
  const order = pendingOrder(b);
  if (order === undefined) return end(outcomeOfOrders(b.orders));
  if (reply.status !== 200) return end('error', `order: ${errorCode(reply)}`);
  const status = reply.body?.status as PlacedOrder['status'];
  if (status === 'pending') {
    order.polls += 1;
    return at(now + Math.min(2000, 200 * 2 ** order.polls));
  }
  if (reply.body?.quantity !== order.quantity) ctx.count('order quantity differs from checkout');
  order.status = status;
  ctx.settled(b, order);
  if (pendingOrder(b) !== undefined) return at(now);
  return end(outcomeOfOrders(b.orders));
}
