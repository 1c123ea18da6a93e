/**
 * A sale's history: the store (one row per sale and bucket, thinned reads, retention) and the
 * sampler the worker's ticks run (which sales it samples, what it records, several workers at once).
 * Run by postgres.test.ts (two handles: two workers really race) and pglite.test.ts.
 */
import pino from 'pino';
import { expect, it } from 'vitest';
import { OrderStore } from '../../src/db/orderStore.ts';
import type { SaleSample } from '../../src/db/saleHistory.ts';
import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { HISTORY_TAIL_MS, purgeHistory, readSaleHistory, sampleSales } from '../../src/sales/history.ts';
import { TestClock } from '../support/clock.ts';
import {
  type ContractOptions,
  describeOnFreshDatabase,
  type OpenDatabase,
  order,
  sale,
  T0,
} from './fixtures.ts';

const log = pino({ level: 'silent' });

const sampleAt = (at: number, sold = 0): SaleSample => ({
  at,
  stock: { total: 100, available: 100 - sold, held: 0, sold },
  queue: { waiting: 5, admitted: 2, active: 1 },
  orders: { pending: 1, confirmed: sold, failed: 0, expired: 0 },
});

export function describeSaleHistoryContract(
  name: string,
  open: OpenDatabase,
  options: ContractOptions = {},
): void {
  describeOnFreshDatabase(`sale history: ${name}`, open, { ...options, seeded: true }, (t) => {
    // Each test starts with sale 's': waiting room open at T0 - 60 s, start at T0.

    it('keeps one row per sale and bucket: a second sample of the bucket changes nothing', async () => {
      expect(await t.store.history.record('s', sampleAt(T0, 3))).toBe(true);
      expect(await t.store.history.record('s', sampleAt(T0, 7))).toBe(false);
      expect(await t.store.history.record('s', sampleAt(T0 + 1000, 4))).toBe(true);
      // A sale the catalog does not know gets no row (and no error: the sampler skips it).
      expect(await t.store.history.record('nope', sampleAt(T0))).toBe(false);
      expect(await t.store.history.read('s', 300)).toEqual([sampleAt(T0, 3), sampleAt(T0 + 1000, 4)]);
      expect(await t.store.history.read('nope', 300)).toEqual([]);
    });

    it('thins a long history to at most the points asked for, every one a recorded sample, the last kept', async () => {
      const all = Array.from({ length: 1001 }, (_, i) => sampleAt(T0 + i * 5000, i % 100));
      for (const s of all) await t.store.history.record('s', s);
      const recorded = new Map(all.map((s) => [s.at, s]));
      for (const max of [2, 3, 300, 1000]) {
        const points = await t.store.history.read('s', max);
        expect(points.length, `max ${max}`).toBeLessThanOrEqual(max);
        // Every k-th sample: never fewer than half the points allowed.
        expect(points.length, `max ${max}`).toBeGreaterThan(max / 2);
        expect(points[0]).toEqual(all[0]);
        expect(points.at(-1)).toEqual(all.at(-1));
        for (const [i, p] of points.entries()) {
          expect(p).toEqual(recorded.get(p.at));
          if (i > 0) expect(p.at).toBeGreaterThan(points[i - 1]?.at ?? 0);
        }
      }
      // A history shorter than the limit comes back whole.
      expect(await t.store.history.read('s', 1001)).toEqual(all);
    });

    it('deletes the samples past the retention, and only those', async () => {
      for (const at of [T0 - 2000, T0 - 1000, T0, T0 + 1000]) await t.store.history.record('s', sampleAt(at));
      const clock = new TestClock(T0 + 1000);
      const deps = { engine: new MemoryEngine(clock), store: t.store, clock, log };
      expect(await purgeHistory(deps, 1000)).toBe(2);
      expect((await t.store.history.read('s', 300)).map((p) => p.at)).toEqual([T0, T0 + 1000]);
      expect(await purgeHistory(deps, 1000)).toBe(0);
    });

    it('the sampler records each open sale once per bucket, whichever workers sample it', async () => {
      const bucket = Math.floor((T0 - 30_000) / 1000) * 1000;
      const clock = new TestClock(bucket + 456);
      const engine = new MemoryEngine(clock);
      await engine.createSale(sale('s', 100));
      for (const user of ['u1', 'u2', 'u3']) await engine.join('s', user);
      await t.store.createPendingOrder(order('s', 'h1'));
      await t.store.createPendingOrder(order('s', 'h2'));
      await t.store.failOrder('h2', 'expired', 'hold expired');
      const record = await t.store.getSale('s');
      if (record === null) throw new Error('no sale');

      // Two workers on two handles sample the same instant at once: one row.
      const other = new OrderStore(await t.fx.another());
      const worker = (s: OrderStore) => ({ engine, store: s, clock, log });
      const written = await Promise.all([t.store, other].map((s) => sampleSales(worker(s), [record], 1000)));
      expect(written.reduce((a, b) => a + b, 0)).toBe(1);
      clock.advance(1000);
      expect(await sampleSales(worker(other), [record], 1000)).toBe(1);

      const points = await readSaleHistory({ store: t.store }, 's');
      // Each bucket starts at the sampling instant rounded down to the interval.
      expect(points.map((p) => p.at)).toEqual([bucket, bucket + 1000]);
      expect(points[0]).toEqual({
        at: bucket,
        stock: { total: 100, available: 100, held: 0, sold: 0 },
        queue: { waiting: 3, admitted: 0, active: 0 },
        orders: { pending: 1, confirmed: 0, failed: 0, expired: 1 },
      });
      await expect(readSaleHistory({ store: t.store }, 'nope')).rejects.toMatchObject({
        code: 'SALE_NOT_FOUND',
      });
    });

    it('the sampler samples from the opening of the waiting room to a few minutes after the end', async () => {
      const clock = new TestClock(T0 - 60_000 - 1);
      const engine = new MemoryEngine(clock);
      await engine.createSale(sale('s', 100));
      const deps = { engine, store: t.store, clock, log };
      const record = async () => {
        const r = await t.store.getSale('s');
        if (r === null) throw new Error('no sale');
        return r;
      };
      // Published, waiting room not open yet: nothing to draw.
      expect(await sampleSales(deps, [await record()], 1000)).toBe(0);
      clock.advance(1);
      expect(await sampleSales(deps, [await record()], 1000)).toBe(1);
      // After the end (scheduled, or earlier by the operator): sampled a little longer while orders
      // settle, then no more.
      const scheduled = await record();
      clock.t = scheduled.endsAt + HISTORY_TAIL_MS - 1;
      expect(await sampleSales(deps, [scheduled], 1000)).toBe(1);
      clock.t = scheduled.endsAt + HISTORY_TAIL_MS;
      expect(await sampleSales(deps, [scheduled], 1000)).toBe(0);
      const endedEarly = { ...scheduled, endedAt: T0 + 10_000 };
      clock.t = T0 + 10_000 + HISTORY_TAIL_MS - 1;
      expect(await sampleSales(deps, [endedEarly], 1000)).toBe(1);
      clock.t = T0 + 10_000 + HISTORY_TAIL_MS;
      expect(await sampleSales(deps, [endedEarly], 1000)).toBe(0);
      // A sale the engine does not hold (not loaded yet, or its keys expired) is skipped, not guessed.
      clock.t = T0;
      const fresh = { ...deps, engine: new MemoryEngine(clock) };
      expect(await sampleSales(fresh, [await record()], 1000)).toBe(0);
    });
  });
}
