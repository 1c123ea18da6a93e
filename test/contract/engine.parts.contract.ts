/**
 * Sales split into parts (src/domain/parts.ts, src/engine/parted): one suite, run by each adapter's
 * test file on a PartedEngine over that adapter. What must hold whatever part a buyer lands on: the
 * stock is exact (the last unit sells, nothing is sold twice), "sold out" is exact and every waiter
 * sees it, the per-user limit holds, an interrupted move between parts is finished once, and the
 * admission order follows the join order within the tolerance docs/parts.md states.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLUSTER_SLOTS,
  holdIdForPart,
  partOfUser,
  partSaleId,
  partTicket,
  slotOfSale,
} from '../../src/domain/parts.ts';
import { statusFromSnapshot } from '../../src/domain/queue.ts';
import type { SaleInput } from '../../src/domain/sale.ts';
import { placeOf, shuffleKeys } from '../../src/domain/shuffle.ts';
import { PartedEngine } from '../../src/engine/parted/partedEngine.ts';
import type { PartStore } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { expectCode } from './engine.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

const SEC = 1000;

/** `n` user ids that land on part `part` of a sale of `parts` parts. */
export function usersOfPart(part: number, parts: number, n: number, tag = 'u'): string[] {
  const users: string[] = [];
  for (let i = 0; users.length < n; i++)
    if (partOfUser(`${tag}${i}`, parts) === part) users.push(`${tag}${i}`);
  return users;
}

export function describeEnginePartsContract(name: string, factory: EngineFactory): void {
  describe(`sales split into parts: ${name}`, () => {
    let clock: TestClock;
    let inner: PartStore;
    let engine: PartedEngine;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      clock = new TestClock();
      ({ engine: inner, cleanup } = await factory(clock));
      engine = new PartedEngine(inner, clock);
    });
    afterEach(async () => {
      await engine.close();
      await cleanup();
    });

    /** A sale of three parts, live now. */
    const saleInput = (over: Partial<SaleInput> = {}): SaleInput => ({
      id: `p-${randomUUID().slice(0, 8)}`,
      totalStock: 10,
      perUserLimit: 2,
      startsAt: clock.now(),
      endsAt: clock.now() + 3600 * SEC,
      holdSeconds: 120,
      admission: { perSecond: 30, maxActive: 1000, sessionSeconds: 600 },
      parts: 3,
      ...over,
    });
    const liveSale = async (over: Partial<SaleInput> = {}) => (await engine.createSale(saleInput(over))).id;
    const reserve = (saleId: string, userId: string, quantity = 1, key = 'k') =>
      engine.reserve({ saleId, userId, quantity, idempotencyKey: key });
    /** Each part's own stock, read from the engine below. */
    const partStocks = async (saleId: string, parts: number) => {
      const ids = Array.from({ length: parts }, (_, i) => partSaleId(saleId, i, parts));
      return Promise.all(ids.map(async (id) => (await inner.getSale(id))?.stock));
    };

    it('splits the stock, the rate and the slots over the parts, each on its own hash tag, and reads as one sale', async () => {
      const id = await liveSale({
        totalStock: 10,
        admission: { perSecond: 7, maxActive: 9, sessionSeconds: 60 },
      });
      const view = await engine.getSale(id);
      expect(view).toMatchObject({
        id,
        parts: 3,
        totalStock: 10,
        admission: { perSecond: 7, maxActive: 9 },
        stock: { total: 10, available: 10, held: 0, sold: 0 },
        state: 'live',
        pool: null,
      });
      expect((await partStocks(id, 3)).map((stock) => stock?.total)).toEqual([4, 3, 3]);
      // The three parts' slots fall in three different thirds of the slot space: three masters of a
      // cluster whose masters serve equal ranges.
      const thirds = [0, 1, 2].map((i) => Math.floor(slotOfSale(partSaleId(id, i, 3)) / (CLUSTER_SLOTS / 3)));
      expect(new Set(thirds).size).toBe(3);
      await expectCode(liveSale({ totalStock: 2 }), 'INVALID_SALE');
      await expectCode(liveSale({ parts: 65 }), 'INVALID_SALE');
    });

    it('keeps a buyer in one part: the same ticket on every join, naming the part; status and snapshot agree', async () => {
      const id = await liveSale({ admission: { perSecond: 300, maxActive: 1000, sessionSeconds: 600 } });
      const users = Array.from({ length: 30 }, (_, i) => `buyer-${i}`);
      const tickets = new Map<string, number>();
      for (const user of users) tickets.set(user, (await engine.join(id, user)).ticket as number);
      expect(new Set(tickets.values()).size).toBe(30);
      await engine.admit(id);
      const snapshot = await engine.snapshot(id);
      expect(snapshot.issued).toBe(30);
      for (const user of users) {
        const ticket = tickets.get(user) as number;
        expect(partTicket(ticket, 3).part).toBe(partOfUser(user, 3));
        expect((await engine.join(id, user)).ticket).toBe(ticket);
        const status = await engine.status(id, user);
        expect(statusFromSnapshot(snapshot, ticket, clock.now())).toEqual(status);
      }
      // 300 a second over three parts: everyone who joined is admitted by the first step.
      expect((await engine.stats(id)).admitted).toBe(30);
    });

    it('sells the last unit from whichever part holds it, then every part is sold out and every waiter sees it', async () => {
      const id = await liveSale({ totalStock: 3, perUserLimit: 1 });
      const waiter = (usersOfPart(2, 3, 1, 'w') as [string])[0];
      expect((await engine.join(id, waiter)).state).toBe('waiting');
      const buyers = usersOfPart(0, 3, 3);
      // Part 0 starts with one unit; the other two move to it from parts 1 and 2.
      const holds = [];
      for (const buyer of buyers) holds.push(await reserve(id, buyer));
      expect(await partStocks(id, 3)).toEqual([
        { total: 3, available: 0, held: 3, sold: 0 },
        { total: 0, available: 0, held: 0, sold: 0 },
        { total: 0, available: 0, held: 0, sold: 0 },
      ]);
      await expectCode(reserve(id, waiter), 'SOLD_OUT');
      expect((await engine.getSale(id))?.state).toBe('live');
      for (const hold of holds) expect((await engine.confirm(id, hold.id)).hold.saleId).toBe(id);
      expect(await engine.getSale(id)).toMatchObject({ state: 'sold_out', stock: { available: 0, sold: 3 } });
      // Every part says so: the waiter who joined before, and newcomers in every part get no ticket.
      expect((await engine.status(id, waiter)).state).toBe('sold_out');
      expect((await engine.snapshot(id)).saleState).toBe('sold_out');
      for (const part of [0, 1, 2]) {
        const newcomer = (usersOfPart(part, 3, 1, 'late') as [string])[0];
        expect(await engine.join(id, newcomer)).toMatchObject({ state: 'sold_out', ticket: null });
      }
    });

    it('gathers a reservation from several parts, and refuses one beyond the sale as the whole sale would', async () => {
      const id = await liveSale({ totalStock: 6, perUserLimit: 5 });
      const [first, second] = usersOfPart(0, 3, 2) as [string, string];
      expect((await reserve(id, first, 5)).quantity).toBe(5);
      await expectCode(reserve(id, second, 2), 'INSUFFICIENT_STOCK');
      expect((await reserve(id, second, 1)).quantity).toBe(1);
      await expectCode(reserve(id, second, 1, 'again'), 'SOLD_OUT');
      // The per-user limit counts every unit of a buyer, whichever part gave them.
      await expectCode(reserve(id, first, 1, 'more'), 'LIMIT_EXCEEDED');
      const stats = await engine.stats(id);
      expect(stats).toMatchObject({ total: 6, available: 0, held: 6, sold: 0 });
    });

    it('never oversells when 300 buyers spread over the parts race for 40 units', async () => {
      const id = await liveSale({ totalStock: 40, perUserLimit: 1 });
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) => reserve(id, `racer-${i}`)),
      );
      const holds = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(holds).toHaveLength(40);
      for (const r of results) {
        if (r.status === 'rejected') expect(['SOLD_OUT', 'INSUFFICIENT_STOCK']).toContain(r.reason.code);
      }
      const parts = await partStocks(id, 3);
      for (const stock of parts)
        expect(stock && stock.available + stock.held + stock.sold).toBe(stock?.total);
      expect(parts.reduce((n, stock) => n + (stock?.total ?? 0), 0)).toBe(40);
      await Promise.all(holds.map((hold) => engine.confirm(id, hold.id)));
      expect(await engine.stats(id)).toMatchObject({ total: 40, available: 0, held: 0, sold: 40 });
      expect((await engine.getSale(id))?.state).toBe('sold_out');
      for (let i = 0; i < 3; i++)
        expect((await inner.getSale(partSaleId(id, i, 3)))?.pool?.drained).toBe(true);
    });

    it('a storm of 1,500 buyers over 8 parts reserving, releasing and confirming 200 units ends exact; late buyers get what is left', async () => {
      const id = await liveSale({ totalStock: 200, perUserLimit: 1, parts: 8 });
      let sold = 0;
      const buy = async (userId: string, key: string, release: boolean) => {
        // UNAVAILABLE: the units were moving between parts too long; asked again a little later, as a
        // client told to retry does. (Asked again at once, 21 asks in a row once met moves still under
        // way in CI, with the machine's other lane on the same two cores.)
        let hold = null;
        for (let asked = 0; hold === null; asked++) {
          try {
            hold = await reserve(id, userId, 1, key);
          } catch (error) {
            if ((error as { code?: string }).code !== 'UNAVAILABLE' || asked >= 40) throw error;
            await sleep(Math.min(50, 5 * (asked + 1)));
          }
        }
        if (release) await engine.release(id, hold.id, 'cancelled');
        else await engine.confirm(id, hold.id);
        if (!release) sold += 1;
      };
      const refusals = new Set<string>();
      await Promise.all(
        Array.from({ length: 1500 }, async (_, i) => {
          // Every third buyer lets their hold go, then tries once more: units keep coming back.
          for (const [key, release] of [
            ['a', i % 3 === 0],
            ['b', false],
          ] as const) {
            try {
              await buy(`storm-${i}`, key, release);
              if (!release) return;
            } catch (error) {
              refusals.add((error as { code: string }).code);
              return;
            }
          }
        }),
      );
      expect([...refusals].sort()).toEqual(expect.arrayContaining(['SOLD_OUT']));
      for (const code of refusals) expect(['SOLD_OUT', 'INSUFFICIENT_STOCK']).toContain(code);
      const afterStorm = await engine.stats(id);
      expect(afterStorm.sold).toBe(sold);
      expect(afterStorm.available + afterStorm.held + afterStorm.sold).toBe(200);
      expect(afterStorm.held).toBe(0);
      // A unit a buyer let go after the others were refused sells to the next buyer, from any part.
      for (let late = 0; afterStorm.available > 0 && late < 50; late++) {
        try {
          await buy(`late-${late}`, 'k', false);
        } catch (error) {
          expect((error as { code: string }).code).toBe('SOLD_OUT');
          break;
        }
      }
      expect(sold).toBe(200);
      expect(await engine.stats(id)).toMatchObject({ total: 200, available: 0, held: 0, sold: 200 });
      expect((await engine.getSale(id))?.state).toBe('sold_out');
    });

    it('finishes a move a crash left between its steps, once', async () => {
      const id = await liveSale({ totalStock: 9 });
      const [part0, part1] = [partSaleId(id, 0, 3), partSaleId(id, 1, 3)];
      // The giving part took 2 units and recorded the move; the process died before moveIn.
      expect(await inner.moveOut(part1, 'crashed-move', part0, 2)).toBe(2);
      expect(await inner.moveOut(part1, 'crashed-move', part0, 2)).toBe(2);
      expect(await inner.pendingMoves(part1)).toEqual([
        { moveId: 'crashed-move', toSaleId: part0, units: 2 },
      ]);
      expect((await engine.getSale(id))?.stock).toEqual({ total: 9, available: 9, held: 0, sold: 0 });
      expect(await engine.stats(id)).toMatchObject({ total: 9, available: 9 });
      expect(await inner.pendingMoves(part1)).toEqual([]);
      expect(await inner.moveIn(part0, 'crashed-move', 2)).toBe(false);
      await engine.admit(id);
      expect((await partStocks(id, 3)).map((stock) => stock?.available)).toEqual([5, 1, 3]);
      expect(await engine.stats(id)).toMatchObject({ total: 9, available: 9 });
    });

    it('is loaded again after a loss: sold units spread over the parts, holds back in their part, units against limits', async () => {
      const input = saleInput({ totalStock: 9 });
      await engine.createSale(input);
      await engine.purgeSale(input.id);
      // PostgreSQL counted 4 units sold when Redis lost the sale: they never go back on sale.
      const view = await engine.createSale(input, { sold: 4 });
      const id = input.id;
      expect(view.stock).toEqual({ total: 9, available: 5, held: 0, sold: 4 });
      await expectCode(engine.createSale({ ...input, id: `${input.id}-x` }, { sold: 10 }), 'INVALID_SALE');
      expect((await partStocks(id, 3)).map((stock) => stock?.available)).toEqual([0, 2, 3]);
      const [inPart0] = usersOfPart(0, 3, 1) as [string];
      const [inPart2] = usersOfPart(2, 3, 1) as [string];
      const restored = (user: string, part: number, quantity: number) =>
        engine.restoreHold(id, {
          id: holdIdForPart(randomUUID(), part),
          userId: user,
          quantity,
          expiresAt: clock.now() + 60 * SEC,
          idempotencyKey: `restored-${user}`,
        });
      expect(await restored(inPart2, 2, 2)).toBe('restored');
      // Part 0 sold all its units before the loss: the hold's units move to it from the others.
      expect(await restored(inPart0, 0, 1)).toBe('restored');
      expect(await engine.stats(id)).toMatchObject({ total: 9, available: 2, held: 3, sold: 4 });
      await engine.restoreUnits(id, [[inPart0, 1]]);
      await expectCode(reserve(id, inPart0), 'LIMIT_EXCEEDED');
      // The restored hold answers its idempotency key in its part.
      const again = await engine.reserve({
        saleId: id,
        userId: inPart2,
        quantity: 2,
        idempotencyKey: `restored-${inPart2}`,
      });
      expect(again).toMatchObject({ saleId: id, quantity: 2, status: 'held' });
      expect(await restored(inPart0, 0, 5)).toBe('no_stock');
    });

    it("admits a shuffled pre-queue in each part's shuffled order, drawn with the sale's seed", async () => {
      const id = await liveSale({
        startsAt: clock.now() + 60 * SEC,
        queueing: 'shuffle',
        shuffleSeed: 'audit-me',
        admission: { perSecond: 3, maxActive: 1000, sessionSeconds: 3600 },
      });
      const users = Array.from({ length: 60 }, (_, i) => `early-${i}`);
      const tickets = new Map<string, number>();
      for (const user of users) tickets.set(user, (await engine.join(id, user)).ticket as number);
      clock.advance(60 * SEC);
      const admittedAt = new Map<string, number>();
      for (let step = 0; admittedAt.size < users.length; step++) {
        expect(step).toBeLessThan(60);
        await engine.admit(id);
        for (const user of users) {
          if (!admittedAt.has(user) && (await engine.status(id, user)).state === 'admitted')
            admittedAt.set(user, step);
        }
        clock.advance(SEC);
      }
      const keys = shuffleKeys('audit-me');
      for (let part = 0; part < 3; part++) {
        const mine = users.filter((user) => partOfUser(user, 3) === part);
        // Each part drew its own pre-queue's order with the sale's seed: anyone can recompute it.
        const place = (user: string) =>
          placeOf(partTicket(tickets.get(user) as number, 3).ticket, mine.length, keys);
        const byPlace = [...mine].sort((a, b) => (place(a) as number) - (place(b) as number));
        const steps = byPlace.map((user) => admittedAt.get(user) as number);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
        expect(byPlace).not.toEqual(mine);
      }
    });

    it('admits in join order within the tolerance: 900 buyers over three parts', async () => {
      const id = await liveSale({ admission: { perSecond: 30, maxActive: 100_000, sessionSeconds: 3600 } });
      const users = Array.from({ length: 900 }, (_, i) => `fifo-${i}`);
      const tickets: number[] = [];
      for (const user of users) tickets.push((await engine.join(id, user)).ticket as number);
      const admittedAt = new Array<number>(users.length).fill(-1);
      for (let step = 0; admittedAt.includes(-1); step++) {
        expect(step).toBeLessThan(100);
        await engine.admit(id);
        const snapshot = await engine.snapshot(id);
        for (const [i, ticket] of tickets.entries()) {
          if (admittedAt[i] === -1 && statusFromSnapshot(snapshot, ticket, clock.now()).state === 'admitted')
            admittedAt[i] = step;
        }
        clock.advance(SEC);
      }
      // How far out of join order a buyer got in: buyers who joined before them and were admitted
      // after them. Strict FIFO: 0; docs/parts.md states the bound.
      let worst = 0;
      for (let i = 0; i < users.length; i++) {
        let overtaken = 0;
        for (let j = 0; j < i; j++) if ((admittedAt[j] as number) > (admittedAt[i] as number)) overtaken += 1;
        worst = Math.max(worst, overtaken);
      }
      console.log(`parts FIFO: 900 buyers, 3 parts, at most ${worst} earlier joiners admitted after a buyer`);
      expect(worst).toBeLessThanOrEqual(PARTS_FIFO_TOLERANCE(900, 3));
    });
  });
}

/**
 * The tolerance docs/parts.md states: with n buyers spread over K parts by a hash, a part's share of
 * any prefix of the line is within a few standard deviations of 1/K, so at most about 3·√n earlier
 * joiners are admitted after any buyer (strict FIFO: none).
 */
export const PARTS_FIFO_TOLERANCE = (n: number, parts: number): number =>
  parts === 1 ? 0 : Math.ceil(3 * Math.sqrt(n));
