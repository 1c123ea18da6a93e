/**
 * Property test: random sequences of operations and clock moves against a deliberately simple model
 * of the inventory. After every step, the engine's counters equal the model's and
 * total = available + held + sold. Run by each adapter's test file.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import type { EngineFactory } from './engineFactory.ts';

const TOTAL = 6;
const LIMIT = 3;
const HOLD_MS = 10_000;
const USERS = 4;

type Op =
  | { kind: 'reserve'; user: number; quantity: number; key: number }
  | { kind: 'confirm' | 'release'; hold: number }
  | { kind: 'sweep'; limit: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'pause' | 'resume' | 'admit' }
  | { kind: 'join'; user: number };

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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const), user: fc.nat(USERS - 1) }) },
);

interface ModelHold {
  id: string;
  user: number;
  quantity: number;
  expiresAt: number;
  status: 'held' | 'confirmed' | 'released';
  expired: boolean;
}

class Model {
  available = TOTAL;
  held = 0;
  sold = 0;
  paused = false;
  holds: ModelHold[] = [];
  units = new Array<number>(USERS).fill(0);
  byKey = new Map<string, ModelHold>();

  end(h: ModelHold, expired: boolean): void {
    h.status = 'released';
    h.expired = expired;
    this.held -= h.quantity;
    this.available += h.quantity;
    this.units[h.user] = (this.units[h.user] as number) - h.quantity;
  }

  /** The expected refusal code of a reservation, or null when it should succeed. */
  refusal(op: { user: number; quantity: number; key: number }): string | null {
    if (op.quantity < 1) return 'INVALID_QUANTITY';
    const earlier = this.byKey.get(`${op.user}/${op.key}`);
    if (earlier) return earlier.quantity === op.quantity ? null : 'IDEMPOTENCY_CONFLICT';
    if (this.paused) return 'NOT_LIVE';
    if (this.available === 0 && this.held === 0) return 'SOLD_OUT';
    if ((this.units[op.user] as number) + op.quantity > LIMIT) return 'LIMIT_EXCEEDED';
    if (this.available === 0) return 'SOLD_OUT';
    if (this.available < op.quantity) return 'INSUFFICIENT_STOCK';
    return null;
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

async function step(engine: SaleEngine, clock: TestClock, saleId: string, m: Model, op: Op): Promise<void> {
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
      const earlier = m.byKey.get(key);
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
        expired: false,
      };
      m.holds.push(mh);
      m.byKey.set(key, mh);
      m.available -= op.quantity;
      m.held += op.quantity;
      m.units[op.user] = (m.units[op.user] as number) + op.quantity;
      return;
    }
    case 'confirm': {
      const h = m.holds[op.hold % Math.max(1, m.holds.length)];
      if (!h) return;
      let expected: string | null = null;
      if (h.status === 'released') expected = h.expired ? 'HOLD_EXPIRED' : 'HOLD_RELEASED';
      else if (h.status === 'held' && now() >= h.expiresAt) {
        m.end(h, true);
        expected = 'HOLD_EXPIRED';
      } else if (h.status === 'held') {
        h.status = 'confirmed';
        m.held -= h.quantity;
        m.sold += h.quantity;
      }
      expect(await codeOf(engine.confirm(saleId, h.id))).toBe(expected);
      return;
    }
    case 'release': {
      const h = m.holds[op.hold % Math.max(1, m.holds.length)];
      if (!h) return;
      const expected = h.status === 'confirmed' ? 'HOLD_CONFIRMED' : null;
      if (h.status === 'held') m.end(h, false);
      expect(await codeOf(engine.release(saleId, h.id, 'cancelled'))).toBe(expected);
      return;
    }
    case 'sweep': {
      const due = m.holds.filter((h) => h.status === 'held' && h.expiresAt <= now()).slice(0, op.limit);
      for (const h of due) m.end(h, true);
      expect(await engine.sweepExpired(saleId, op.limit)).toBe(due.length);
      return;
    }
    case 'advance':
      clock.advance(op.ms);
      return;
    case 'pause':
    case 'resume':
      m.paused = op.kind === 'pause';
      await engine[op.kind](saleId);
      return;
    case 'admit':
      await engine.admit(saleId);
      return;
    case 'join':
      await engine.join(saleId, `u${op.user}`);
      return;
  }
}

export function describeEngineProperties(name: string, factory: EngineFactory, numRuns = 1000): void {
  describe(`sale engine properties: ${name}`, () => {
    const clock = new TestClock();
    let engine: SaleEngine;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ engine, cleanup } = await factory(clock));
    });
    afterAll(async () => {
      await engine.close();
      await cleanup();
    });

    it(`keeps total = available + held + sold and matches the model (${numRuns} sequences)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
          const saleId = `p-${randomUUID().slice(0, 12)}`;
          await engine.createSale({
            id: saleId,
            totalStock: TOTAL,
            perUserLimit: LIMIT,
            startsAt: clock.now(),
            endsAt: clock.now() + 1e9,
            holdSeconds: HOLD_MS / 1000,
            admission: { perSecond: 2, maxActive: 2, sessionSeconds: 5 },
          });
          const m = new Model();
          for (const op of ops) {
            await step(engine, clock, saleId, m, op);
            const s = await engine.stats(saleId);
            expect(s.available + s.held + s.sold).toBe(s.total);
            expect({ available: s.available, held: s.held, sold: s.sold }).toEqual({
              available: m.available,
              held: m.held,
              sold: m.sold,
            });
          }
        }),
        { numRuns },
      );
    });
  });
}
