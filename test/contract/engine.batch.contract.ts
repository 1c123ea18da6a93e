/**
 * Concurrent calls on one sale, as a rush makes them: the Redis engine sends the joins and the
 * reservations made together as one script per sale (a group commit), the memory engine runs them one
 * by one. Either way each call is answered as if the calls had run one after another in call order:
 * its own ticket or hold, or its own refusal. Run by describeEngineContract on every adapter.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlashsaleError } from '../../src/domain/errors.ts';
import type { Hold } from '../../src/domain/hold.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import type { EngineFactory } from './engineFactory.ts';

/** A settled call as the test compares it: a value, or the code of a FlashsaleError. */
const settle = <T>(promise: Promise<T>): Promise<T | { refused: string }> =>
  promise.catch((error: unknown) => {
    if (isFlashsaleError(error)) return { refused: error.code };
    throw error;
  });

export function describeEngineBatchContract(name: string, factory: EngineFactory): void {
  describe(`sale engine contract, concurrent calls: ${name}`, () => {
    let clock: TestClock;
    let engine: SaleEngine;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      clock = new TestClock();
      ({ engine, cleanup } = await factory(clock));
    });
    afterEach(async () => {
      await engine.close();
      await cleanup();
    });

    const liveSale = async (totalStock: number) => {
      const s = await engine.createSale({
        id: `b-${randomUUID().slice(0, 8)}`,
        totalStock,
        perUserLimit: 2,
        prequeueAt: clock.now(),
        startsAt: clock.now(),
        endsAt: clock.now() + 3_600_000,
        holdSeconds: 120,
        admission: { perSecond: 1000, maxActive: 1000, sessionSeconds: 300 },
      });
      return s.id;
    };

    it('answers 200 joins made at once in call order, a repeated user keeping their ticket', async () => {
      const id = await liveSale(10);
      // 150 users; every fourth call repeats the user of two calls before, in the same burst.
      const users = Array.from({ length: 200 }, (_, i) => (i % 4 === 3 ? `u${i - 2}` : `u${i}`));
      const calls = [...users.map((u) => settle(engine.join(id, u))), settle(engine.join('nope', 'u1'))];
      const results = await Promise.all(calls);
      expect(results.pop()).toEqual({ refused: 'SALE_NOT_FOUND' });
      const expected = new Map<string, number>();
      for (const u of users) if (!expected.has(u)) expected.set(u, expected.size + 1);
      expect(results.map((r) => (r as { ticket: number }).ticket)).toEqual(users.map((u) => expected.get(u)));
      expect((await engine.stats(id)).waiting).toBe(expected.size);
    });

    it('answers 200 reservations made at once as if made one after another', async () => {
      const stock = 120;
      const id = await liveSale(stock);
      await Promise.all(Array.from({ length: 100 }, (_, i) => engine.join(id, `u${i}`)));
      expect((await engine.admit(id)).admitted).toBe(100);
      // 100 users, a few calls each, interleaved: retries with the same key (the same hold), a
      // second and third key (the limit of 2, in order), a changed quantity under the same key.
      const calls: { userId: string; key: string; quantity: number }[] = [];
      for (let i = 0; i < 200; i++) {
        const u = i % 100;
        const round = Math.floor(i / 100);
        const key = round === 0 || u % 3 === 0 ? 'k1' : u % 3 === 1 ? 'k2' : 'k1';
        const quantity = round === 1 && u % 5 === 4 && key === 'k1' ? 2 : 1;
        calls.push({ userId: `u${u}`, key, quantity });
        if (u % 10 === 0) calls.push({ userId: `u${u}`, key: `k${3 + round}`, quantity: 1 });
      }
      const results = await Promise.all(
        calls.map((c) => settle(engine.reserve({ saleId: id, ...c, idempotencyKey: c.key }))),
      );

      // The same calls, one after another, by hand.
      let available = stock;
      const units = new Map<string, number>();
      const holds = new Map<string, { index: number; quantity: number }>();
      type Outcome = { same: number } | { refused: string } | { held: number };
      const expected = calls.map((c, index): Outcome => {
        const earlier = holds.get(`${c.userId}\n${c.key}`);
        if (earlier !== undefined) {
          return earlier.quantity === c.quantity
            ? { same: earlier.index }
            : { refused: 'IDEMPOTENCY_CONFLICT' };
        }
        const held = units.get(c.userId) ?? 0;
        if (held + c.quantity > 2) return { refused: 'LIMIT_EXCEEDED' };
        if (available === 0) return { refused: 'SOLD_OUT' };
        if (available < c.quantity) return { refused: 'INSUFFICIENT_STOCK' };
        available -= c.quantity;
        units.set(c.userId, held + c.quantity);
        holds.set(`${c.userId}\n${c.key}`, { index, quantity: c.quantity });
        return { held: c.quantity };
      });
      const seen = results.map((r, i) => {
        if ('refused' in r) return r;
        const e = expected[i];
        if (e !== undefined && 'same' in e) {
          expect(r).toEqual(results[e.same]);
          return e;
        }
        expect(r).toMatchObject({ userId: calls[i]?.userId, status: 'held' });
        return { held: (r as Hold).quantity };
      });
      expect(seen).toEqual(expected);
      // Every kind of answer occurred, so the comparison covered each rule.
      const kinds = new Set(expected.map((e) => ('refused' in e ? e.refused : Object.keys(e)[0])));
      expect([...kinds].sort()).toEqual([
        'IDEMPOTENCY_CONFLICT',
        'LIMIT_EXCEEDED',
        'SOLD_OUT',
        'held',
        'same',
      ]);
      const holdIds = results.filter((r): r is Hold => !('refused' in r)).map((h) => h.id);
      expect(new Set(holdIds).size).toBe(holds.size);
      expect(await engine.stats(id)).toMatchObject({ available, held: stock - available, sold: 0 });
    });
  });
}
