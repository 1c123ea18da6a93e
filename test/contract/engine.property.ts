/**
 * Property test: random sequences of operations and clock moves against a deliberately simple model
 * (engineModel.ts) of the inventory, the tickets and admission, with buyers leaving, heartbeats and
 * slots lapsing (the engine is built with the model's heartbeat interval). Every answer is compared with the
 * model's; after every step the stock and queue counters equal the model's and
 * total = available + held + sold; at the end every hold's status equals the model's. Run by each
 * adapter's test file.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartedEngine } from '../../src/engine/parted/partedEngine.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import type { EngineFactory } from './engineFactory.ts';
import { PartedModel, type SaleModel } from './engineModel.parts.ts';
import {
  ADMISSION,
  HEARTBEAT_MS,
  HOLD_MS,
  LIMIT,
  Model,
  type ModelHold,
  Stock,
  TOTAL,
  USERS,
} from './engineModel.ts';

type Op =
  | { kind: 'reserve'; user: number; quantity: number; key: number }
  | { kind: 'confirm' | 'release'; hold: number }
  | { kind: 'sweep'; limit: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'pause' | 'resume' | 'admit' }
  | { kind: 'join' | 'status' | 'leave'; user: number }
  | { kind: 'heartbeat'; users: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      user: fc.nat(USERS - 1),
      quantity: fc.integer({ min: 0, max: LIMIT + 1 }),
      key: fc.nat(2),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('confirm' as const), hold: fc.nat(15) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), hold: fc.nat(15) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('sweep' as const), limit: fc.integer({ min: 1, max: 2 }) }),
  },
  {
    weight: 2,
    // Mostly small steps, sometimes past every deadline at once, so sweeps find several expired holds.
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.nat(2000), fc.integer({ min: HOLD_MS, max: 2 * HOLD_MS })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'admit' as const) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('join' as const, 'status' as const, 'leave' as const),
      user: fc.nat(USERS - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('admit' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('heartbeat' as const),
      users: fc.uniqueArray(fc.nat(USERS - 1), { maxLength: USERS }),
    }),
  },
);

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

async function step(
  engine: SaleEngine,
  clock: TestClock,
  saleId: string,
  m: SaleModel,
  op: Op,
): Promise<void> {
  const now = () => clock.now();
  switch (op.kind) {
    case 'reserve': {
      const expected = m.refusal(op);
      const request = { saleId, userId: `u${op.user}`, quantity: op.quantity, idempotencyKey: `k${op.key}` };
      if (expected !== null) {
        expect(await codeOf(engine.reserve(request))).toBe(expected);
        return;
      }
      const hold = await engine.reserve(request);
      const key = `${op.user}/${op.key}`;
      const earlier = m.stock.byKey.get(key);
      if (earlier) {
        expect(hold.id).toBe(earlier.id);
        return;
      }
      expect(hold.expiresAt).toBe(now() + HOLD_MS);
      const mh: ModelHold = {
        id: hold.id,
        user: op.user,
        quantity: op.quantity,
        expiresAt: hold.expiresAt,
        status: 'held',
        releaseReason: null,
      };
      m.reserved(mh, key, now());
      return;
    }
    case 'confirm': {
      const h = m.stock.holds[op.hold % Math.max(1, m.stock.holds.length)];
      if (!h) return;
      let expected: string | null = null;
      if (h.status === 'released')
        expected = h.releaseReason === 'expired' ? 'HOLD_EXPIRED' : 'HOLD_RELEASED';
      else if (h.status === 'held' && now() >= h.expiresAt) {
        m.stock.end(h, 'expired');
        expected = 'HOLD_EXPIRED';
      } else if (h.status === 'held') {
        h.status = 'confirmed';
        m.stock.held -= h.quantity;
        m.stock.sold += h.quantity;
      }
      expect(await codeOf(engine.confirm(saleId, h.id))).toBe(expected);
      return;
    }
    case 'release': {
      const h = m.stock.holds[op.hold % Math.max(1, m.stock.holds.length)];
      if (!h) return;
      const expected = h.status === 'confirmed' ? 'HOLD_CONFIRMED' : null;
      if (h.status === 'held') m.stock.end(h, 'cancelled');
      expect(await codeOf(engine.release(saleId, h.id, 'cancelled'))).toBe(expected);
      return;
    }
    case 'sweep': {
      const due = m
        .sweepOrder(m.stock.holds.filter((h) => h.status === 'held' && h.expiresAt <= now()))
        .slice(0, op.limit);
      for (const h of due) m.stock.end(h, 'expired');
      expect(await engine.sweepExpired(saleId, op.limit)).toBe(due.length);
      return;
    }
    case 'advance':
      clock.advance(op.ms);
      return;
    case 'pause':
    case 'resume':
      m.stock.paused = op.kind === 'pause';
      await engine[op.kind](saleId);
      return;
    case 'admit':
      expect(await engine.admit(saleId)).toEqual(m.admit(now()));
      return;
    case 'join': {
      m.join(op.user, now());
      const status = await engine.join(saleId, `u${op.user}`);
      expect({ state: status.state, ticket: status.ticket }).toEqual(m.status(op.user, now()));
      return;
    }
    case 'leave': {
      expect(await engine.leave(saleId, `u${op.user}`)).toBe(m.leave(op.user, now()));
      return;
    }
    case 'heartbeat': {
      const ended = await engine.heartbeat(
        saleId,
        op.users.map((u) => `u${u}`),
      );
      expect(ended).toEqual(m.heartbeat(op.users, now()));
      return;
    }
    case 'status': {
      const status = await engine.status(saleId, `u${op.user}`);
      expect({ state: status.state, ticket: status.ticket }).toEqual(m.status(op.user, now()));
      return;
    }
  }
}

/**
 * `parts`: run on a PartedEngine over the adapter, every sale split into that many parts, against
 * PartedModel (each part admits the model's rate and slots; the stock is at least one unit a part).
 */
export function describeEngineProperties(
  name: string,
  factory: EngineFactory,
  numRuns = 1000,
  parts?: number,
): void {
  const k = parts ?? 1;
  const total = Math.max(TOTAL, k);
  const title = parts === undefined ? name : `${name}, sales of ${k} part${k === 1 ? '' : 's'}`;
  describe(`sale engine properties: ${title}`, () => {
    const clock = new TestClock();
    let engine: SaleEngine;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const made = await factory(clock, { heartbeatMs: HEARTBEAT_MS });
      engine = parts === undefined ? made.engine : new PartedEngine(made.engine, clock);
      cleanup = made.cleanup;
    });
    afterAll(async () => {
      await engine.close();
      await cleanup();
    });

    it(`matches the model of stock, holds, tickets, admission, departures and heartbeats (${numRuns} sequences)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }), async (ops) => {
          const saleId = `p-${randomUUID().slice(0, 12)}`;
          await engine.createSale({
            id: saleId,
            totalStock: total,
            perUserLimit: LIMIT,
            startsAt: clock.now(),
            endsAt: clock.now() + 1e9,
            holdSeconds: HOLD_MS / 1000,
            admission: {
              ...ADMISSION,
              perSecond: ADMISSION.perSecond * k,
              maxActive: ADMISSION.maxActive * k,
            },
            ...(parts === undefined ? {} : { parts }),
          });
          const stock = new Stock(total);
          const m: SaleModel = k === 1 ? new Model(stock) : new PartedModel(stock, ADMISSION, k);
          for (const op of ops) {
            await step(engine, clock, saleId, m, op);
            const s = await engine.stats(saleId);
            expect(s.available + s.held + s.sold).toBe(s.total);
            expect(s).toEqual({
              total,
              available: m.stock.available,
              held: m.stock.held,
              sold: m.stock.sold,
              waiting: m.waiting(),
              admitted: m.admitted(),
              active: m.active(clock.now()),
            });
          }
          // Every hold ended (or not) as the model says, with the reason it says.
          const holds = await Promise.all(m.stock.holds.map((h) => engine.getHold(saleId, h.id)));
          expect(
            holds.map((h) => h && { status: h.status, releaseReason: h.releaseReason, quantity: h.quantity }),
          ).toEqual(
            m.stock.holds.map((h) => ({
              status: h.status,
              releaseReason: h.releaseReason,
              quantity: h.quantity,
            })),
          );
        }),
        { numRuns },
      );
    });
  });
}
