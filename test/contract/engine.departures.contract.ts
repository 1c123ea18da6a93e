/**
 * The sale-engine contract for buyers who leave and slots that come back: leaving the line, giving a
 * slot back, heartbeats and their lapse, rejoining at the back. Run by each adapter's test file
 * (memory.test.ts, redis.test.ts). Time moves through a TestClock; nothing here sleeps.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SaleInput } from '../../src/domain/sale.ts';
import { placeOf, shuffleKeys } from '../../src/domain/shuffle.ts';
import type { EngineOptions, SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { expectCode } from './engine.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

const SEC = 1000;

export function describeEngineDeparturesContract(name: string, factory: EngineFactory): void {
  describe(`sale engine contract, departures and heartbeats: ${name}`, () => {
    let clock: TestClock;
    let engine: SaleEngine;
    let cleanup: (() => Promise<void>) | null = null;

    const open = async (options: EngineOptions = {}) => {
      clock = new TestClock();
      ({ engine, cleanup } = await factory(clock, options));
    };
    afterEach(async () => {
      await engine.close();
      await cleanup?.();
      cleanup = null;
    });

    /** A live sale (or one whose pre-queue is open, with `startsIn`). */
    const sale = async (over: Partial<SaleInput> = {}, startsIn = 0) => {
      const s = await engine.createSale({
        id: `s-${randomUUID().slice(0, 8)}`,
        totalStock: 10,
        perUserLimit: 2,
        prequeueAt: clock.now(),
        startsAt: clock.now() + startsIn,
        endsAt: clock.now() + 3600 * SEC,
        holdSeconds: 120,
        admission: { perSecond: 100, maxActive: 2, sessionSeconds: 300 },
        ...over,
      });
      return s.id;
    };
    const stateOf = async (id: string, user: string) => (await engine.status(id, user)).state;

    it('a waiter who leaves stops counting as waiting, takes no slot, and is no longer in line', async () => {
      await open();
      const id = await sale();
      for (const u of ['a', 'b', 'c', 'd']) await engine.join(id, u);
      expect((await engine.stats(id)).waiting).toBe(4);
      expect(await engine.leave(id, 'b')).toBe(true);
      expect(await engine.leave(id, 'b')).toBe(false);
      expect((await engine.stats(id)).waiting).toBe(3);
      expect(await stateOf(id, 'b')).toBe('not_in_queue');
      // Two slots: a and c get them; b's place is passed over.
      expect(await engine.admit(id)).toMatchObject({ admitted: 2, serving: 3, active: 2 });
      expect(await stateOf(id, 'a')).toBe('admitted');
      expect(await stateOf(id, 'c')).toBe('admitted');
      expect(await stateOf(id, 'd')).toBe('waiting');
      // b's place was passed over: two admitted, not three.
      expect(await engine.stats(id)).toMatchObject({ waiting: 1, active: 2, admitted: 2 });
    });

    it('departures before the draw of a shuffled pre-queue are passed over after the start', async () => {
      await open();
      const id = await sale(
        {
          queueing: 'shuffle',
          shuffleSeed: 'departures',
          admission: { perSecond: 100, maxActive: 100, sessionSeconds: 300 },
        },
        60 * SEC,
      );
      const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
      for (const u of users) await engine.join(id, u);
      const left = ['u1', 'u4', 'u9', 'u15', 'u19'];
      for (const u of left) expect(await engine.leave(id, u)).toBe(true);
      expect((await engine.stats(id)).waiting).toBe(15);
      clock.advance(60 * SEC);
      // The walk stops at the last buyer it admits: departed places behind it wait for the next one.
      const keys = shuffleKeys('departures');
      const lastPlace = Math.max(
        ...users
          .filter((u) => !left.includes(u))
          .map((u) => placeOf(Number(u.slice(1)) + 1, 20, keys) as number),
      );
      expect(await engine.admit(id)).toEqual({ admitted: 15, serving: lastPlace, active: 15 });
      for (const u of users)
        expect(await stateOf(id, u)).toBe(left.includes(u) ? 'not_in_queue' : 'admitted');
      expect((await engine.stats(id)).waiting).toBe(0);
    });

    it('an admitted buyer who leaves gives the slot back at once, cannot check out, and may rejoin at the back', async () => {
      await open();
      const id = await sale({ admission: { perSecond: 100, maxActive: 1, sessionSeconds: 300 } });
      await engine.join(id, 'a');
      await engine.join(id, 'b');
      expect(await engine.admit(id)).toMatchObject({ admitted: 1, active: 1 });
      expect(await engine.leave(id, 'a')).toBe(true);
      expect(await engine.leave(id, 'a')).toBe(false);
      expect(await stateOf(id, 'a')).toBe('expired');
      expect((await engine.stats(id)).active).toBe(0);
      await expectCode(
        engine.reserve({ saleId: id, userId: 'a', quantity: 1, idempotencyKey: 'k' }),
        'NOT_ADMITTED',
      );
      expect(await engine.admit(id)).toMatchObject({ admitted: 1, serving: 2, active: 1 });
      expect(await stateOf(id, 'b')).toBe('admitted');
      const again = await engine.join(id, 'a');
      expect(again).toMatchObject({ state: 'waiting', ticket: 3, position: 1 });
      expect((await engine.join(id, 'a')).ticket).toBe(3);
    });

    it('a buyer whose session expired joins again at the back; one still shopping keeps their ticket', async () => {
      await open();
      const id = await sale({ admission: { perSecond: 100, maxActive: 5, sessionSeconds: 10 } });
      await engine.join(id, 'a');
      await engine.admit(id);
      expect((await engine.join(id, 'a')).ticket).toBe(1);
      clock.advance(10 * SEC);
      expect(await stateOf(id, 'a')).toBe('expired');
      expect(await engine.join(id, 'a')).toMatchObject({ state: 'waiting', ticket: 2 });
    });

    it('a shopper who stops sending heartbeats loses the slot to the next in line; one who keeps them stays', async () => {
      await open({ heartbeatMs: 30 * SEC });
      const id = await sale();
      for (const u of ['a', 'b', 'c']) await engine.join(id, u);
      expect(await engine.admit(id)).toMatchObject({ admitted: 2, active: 2 });
      // The first lease covers the heartbeat interval and the longest poll interval (30 s each).
      clock.advance(45 * SEC);
      expect(await engine.heartbeat(id, ['a', 'c'])).toEqual([]);
      clock.advance(14 * SEC);
      expect(await engine.admit(id)).toMatchObject({ admitted: 0, active: 2 });
      clock.advance(SEC);
      // b's lease ran out (60 s after admission without a heartbeat): the next step gives the slot to c.
      expect(await engine.admit(id)).toMatchObject({ admitted: 1, serving: 3, active: 2 });
      expect(await stateOf(id, 'a')).toBe('admitted');
      expect(await stateOf(id, 'b')).toBe('expired');
      expect(await stateOf(id, 'c')).toBe('admitted');
      // The process that answers b's polls from its cache is told; b's heartbeat brings nothing back.
      expect(await engine.heartbeat(id, ['a', 'b'])).toEqual(['b']);
      expect(await engine.admit(id)).toMatchObject({ admitted: 0, active: 2 });
      // The slot is not b's any more, whatever admission token b kept: a checkout is refused.
      await expectCode(
        engine.reserve({ saleId: id, userId: 'b', quantity: 1, idempotencyKey: 'k' }),
        'NOT_ADMITTED',
      );
      expect(await engine.stats(id)).toMatchObject({ active: 2, held: 0 });
      expect(await engine.join(id, 'b')).toMatchObject({ state: 'waiting', ticket: 4 });
    });

    it('without heartbeats a slot lasts the whole session', async () => {
      await open({ heartbeatMs: null });
      const id = await sale({ admission: { perSecond: 100, maxActive: 1, sessionSeconds: 300 } });
      await engine.join(id, 'a');
      await engine.join(id, 'b');
      await engine.admit(id);
      clock.advance(299 * SEC);
      expect(await engine.admit(id)).toMatchObject({ admitted: 0, active: 1 });
      expect(await stateOf(id, 'a')).toBe('admitted');
      clock.advance(SEC);
      expect(await engine.admit(id)).toMatchObject({ admitted: 1, active: 1 });
    });

    it('leaving changes nothing for someone not in line, and is refused for an unknown sale', async () => {
      await open();
      const id = await sale();
      expect(await engine.leave(id, 'nobody')).toBe(false);
      expect(await engine.heartbeat(id, ['nobody'])).toEqual([]);
      await expectCode(engine.leave('nope', 'a'), 'SALE_NOT_FOUND');
      await expectCode(engine.heartbeat('nope', ['a']), 'SALE_NOT_FOUND');
      await expectCode(engine.leave(id, ''), 'INVALID_REQUEST');
    });
  });
}
