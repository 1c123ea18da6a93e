/**
 * The sale-engine contract: one suite, run by each adapter's test file (memory.test.ts, redis.test.ts).
 * Time moves through a TestClock; nothing here sleeps.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/domain/errors.ts';
import type { SaleInput } from '../../src/domain/sale.ts';
import { placeOf, shuffleKeys } from '../../src/domain/shuffle.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { raceUntilBothOutcomes } from '../support/holdRace.ts';
import { describeEngineBatchContract } from './engine.batch.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

const SEC = 1000;

export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'FlashsaleError', code });
}

export function describeEngineContract(name: string, factory: EngineFactory): void {
  describeEngineBatchContract(name, factory);
  describe(`sale engine contract: ${name}`, () => {
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

    /** A sale that opens its pre-queue now, starts in 60 s, ends in an hour. */
    const sale = (over: Partial<SaleInput> = {}) =>
      engine.createSale({
        id: `s-${randomUUID().slice(0, 8)}`,
        totalStock: 10,
        perUserLimit: 2,
        prequeueAt: clock.now(),
        startsAt: clock.now() + 60 * SEC,
        endsAt: clock.now() + 3600 * SEC,
        holdSeconds: 120,
        admission: { perSecond: 10, maxActive: 100, sessionSeconds: 300 },
        ...over,
      });
    const liveSale = async (over: Partial<SaleInput> = {}) => {
      const s = await sale({ startsAt: clock.now(), ...over });
      return s.id;
    };
    const reserve = (saleId: string, userId: string, quantity = 1, key = `k-${userId}-${quantity}`) =>
      engine.reserve({ saleId, userId, quantity, idempotencyKey: key });
    const expectInvariant = async (saleId: string) => {
      const s = await engine.stats(saleId);
      expect(s.available + s.held + s.sold).toBe(s.total);
      expect(s.sold).toBeLessThanOrEqual(s.total);
      return s;
    };

    describe('sales', () => {
      it('creates a sale with defaults filled and reads it back', async () => {
        const created = await sale({ queueing: undefined });
        expect(created).toMatchObject({
          totalStock: 10,
          perUserLimit: 2,
          queueing: 'fifo',
          state: 'prequeue',
        });
        expect(created.stock).toEqual({ total: 10, available: 10, held: 0, sold: 0 });
        expect(created.shuffleSeed.length).toBeGreaterThan(0);
        expect(await engine.getSale(created.id)).toEqual(created);
        expect(await engine.getSale('nope')).toBeNull();
      });

      it('refuses a duplicate id and invalid settings, creating nothing', async () => {
        const created = await sale();
        await expectCode(sale({ id: created.id }), 'SALE_EXISTS');
        await expectCode(sale({ id: 'bad id!' }), 'INVALID_SALE');
        await expectCode(sale({ totalStock: 0 }), 'INVALID_SALE');
        await expectCode(sale({ perUserLimit: 1.5 }), 'INVALID_SALE');
        await expectCode(sale({ endsAt: clock.now() }), 'INVALID_SALE');
        await expectCode(sale({ id: 'never', prequeueAt: clock.now() + 999 * SEC }), 'INVALID_SALE');
        expect(await engine.getSale('never')).toBeNull();
      });

      it('moves through scheduled, prequeue, live, paused, ended with the clock and the operator', async () => {
        const s = await sale({ prequeueAt: clock.now() + 10 * SEC, startsAt: clock.now() + 20 * SEC });
        const state = async () => (await engine.getSale(s.id))?.state;
        expect(await state()).toBe('scheduled');
        clock.advance(10 * SEC);
        expect(await state()).toBe('prequeue');
        clock.advance(10 * SEC);
        expect(await state()).toBe('live');
        expect((await engine.pause(s.id)).state).toBe('paused');
        expect((await engine.resume(s.id)).state).toBe('live');
        expect((await engine.end(s.id)).state).toBe('ended');
        const t = await sale();
        clock.advance(3601 * SEC);
        expect(await engine.getSale(t.id)).toMatchObject({ state: 'ended' });
      });

      it('start opens a scheduled sale now', async () => {
        const s = await sale({ prequeueAt: clock.now() + 10 * SEC, startsAt: clock.now() + 20 * SEC });
        const started = await engine.start(s.id);
        expect(started.state).toBe('live');
        expect(started.startsAt).toBe(clock.now());
        expect(started.prequeueAt).toBe(clock.now());
      });

      it('loads a sale again with the units the database already sold', async () => {
        const input = {
          id: `s-${randomUUID().slice(0, 8)}`,
          totalStock: 10,
          perUserLimit: 1,
          startsAt: clock.now(),
          endsAt: clock.now() + 3600 * SEC,
          holdSeconds: 60,
        };
        await expectCode(engine.createSale(input, { sold: 11 }), 'INVALID_SALE');
        await expectCode(engine.createSale(input, { sold: -1 }), 'INVALID_SALE');
        const restored = await engine.createSale(input, { sold: 4 });
        expect(restored.stock).toEqual({ total: 10, available: 6, held: 0, sold: 4 });
        const full = await engine.createSale({ ...input, id: `${input.id}-x` }, { sold: 10 });
        expect(full.state).toBe('sold_out');
      });

      it('refuses every operation on an unknown sale', async () => {
        await expectCode(engine.join('nope', 'u1'), 'SALE_NOT_FOUND');
        await expectCode(engine.status('nope', 'u1'), 'SALE_NOT_FOUND');
        await expectCode(engine.admit('nope'), 'SALE_NOT_FOUND');
        await expectCode(reserve('nope', 'u1'), 'SALE_NOT_FOUND');
        await expectCode(engine.stats('nope'), 'SALE_NOT_FOUND');
        await expectCode(engine.start('nope'), 'SALE_NOT_FOUND');
        await expectCode(engine.confirm('nope', 'h'), 'SALE_NOT_FOUND');
      });
    });

    describe('waiting room', () => {
      it('refuses joining before the pre-queue opens', async () => {
        const s = await sale({ prequeueAt: clock.now() + 10 * SEC });
        await expectCode(engine.join(s.id, 'u1'), 'NOT_LIVE');
        expect((await engine.stats(s.id)).waiting).toBe(0);
      });

      it('gives tickets in arrival order and keeps the place on rejoin', async () => {
        const s = await sale();
        const a = await engine.join(s.id, 'alice');
        const b = await engine.join(s.id, 'bob');
        expect(a).toMatchObject({ state: 'waiting', ticket: 1, position: 1, ahead: 0 });
        expect(b).toMatchObject({ state: 'waiting', ticket: 2, position: 2, ahead: 1 });
        expect(await engine.join(s.id, 'alice')).toMatchObject({ ticket: 1, position: 1 });
        expect(await engine.status(s.id, 'bob')).toEqual(b);
        expect(await engine.status(s.id, 'carol')).toMatchObject({ state: 'not_in_queue', ticket: null });
        expect((await engine.stats(s.id)).waiting).toBe(2);
      });

      it('admits no one before the start, then within the rate', async () => {
        const s = await sale({ admission: { perSecond: 10, maxActive: 1000, sessionSeconds: 300 } });
        for (let i = 0; i < 40; i++) await engine.join(s.id, `u${i}`);
        expect((await engine.admit(s.id)).admitted).toBe(0);
        clock.advance(60 * SEC);
        expect(await engine.admit(s.id)).toMatchObject({ admitted: 10, serving: 10, active: 10 });
        expect((await engine.admit(s.id)).admitted).toBe(0);
        clock.advance(500);
        expect((await engine.admit(s.id)).admitted).toBe(5);
        clock.advance(10 * SEC);
        // At most one second of burst, however long the pause between steps.
        expect((await engine.admit(s.id)).admitted).toBe(10);
        expect(await engine.status(s.id, 'u0')).toMatchObject({ state: 'admitted' });
        expect(await engine.status(s.id, 'u30')).toMatchObject({ state: 'waiting', position: 6, ahead: 5 });
        expect(await engine.stats(s.id)).toMatchObject({ waiting: 15, admitted: 25, active: 25 });
      });

      it('never exceeds the active cap; expired sessions and checkouts free slots', async () => {
        const id = await liveSale({ admission: { perSecond: 100, maxActive: 3, sessionSeconds: 60 } });
        for (let i = 0; i < 10; i++) await engine.join(id, `u${i}`);
        expect((await engine.admit(id)).admitted).toBe(3);
        clock.advance(5 * SEC);
        expect((await engine.admit(id)).admitted).toBe(0);
        await reserve(id, 'u1');
        expect((await engine.stats(id)).active).toBe(2);
        await reserve(id, 'u1', 1, 'second-purchase');
        expect((await engine.stats(id)).active).toBe(2);
        expect((await engine.admit(id)).admitted).toBe(1);
        expect(await engine.stats(id)).toMatchObject({ admitted: 4, active: 3 });
        clock.advance(55 * SEC);
        // The first window's session ends: its two remaining shoppers free their slots.
        expect(await engine.admit(id)).toMatchObject({ admitted: 2, active: 3 });
        expect(await engine.status(id, 'u0')).toMatchObject({ state: 'expired' });
      });

      it('reports admitted until the session ends, then expired', async () => {
        const id = await liveSale({ admission: { perSecond: 100, maxActive: 100, sessionSeconds: 60 } });
        await engine.join(id, 'u1');
        await engine.admit(id);
        const admitted = await engine.status(id, 'u1');
        expect(admitted).toMatchObject({ state: 'admitted', admittedUntil: clock.now() + 60 * SEC });
        clock.advance(60 * SEC);
        expect(await engine.status(id, 'u1')).toMatchObject({ state: 'expired' });
      });

      it('estimates the wait from the measured admission rate and asks far waiters to poll later', async () => {
        const id = await liveSale({ admission: { perSecond: 10, maxActive: 100_000, sessionSeconds: 600 } });
        for (let i = 0; i < 1000; i++) await engine.join(id, `u${i}`);
        expect((await engine.status(id, 'u500')).etaSeconds).toBeNull();
        for (let step = 0; step < 10; step++) {
          await engine.admit(id);
          clock.advance(SEC);
        }
        const near = await engine.status(id, 'u100');
        const far = await engine.status(id, 'u999');
        expect(near).toMatchObject({ state: 'waiting', position: 1 });
        // 100 admitted over ~10 s: 10/s measured.
        expect(far.etaSeconds).toBe(90);
        expect(far.pollAfterMs).toBeGreaterThan(near.pollAfterMs as number);
      });

      it('shuffles the pre-queue at the start with the recorded seed, then serves later joiners FIFO', async () => {
        const s = await sale({ queueing: 'shuffle', shuffleSeed: 'audit-me' });
        for (let i = 1; i <= 50; i++) await engine.join(s.id, `u${i}`);
        expect(await engine.status(s.id, 'u1')).toMatchObject({ state: 'waiting', position: null });
        clock.advance(60 * SEC);
        await engine.join(s.id, 'late');
        const keys = shuffleKeys('audit-me');
        const positions = new Set<number>();
        for (let i = 1; i <= 50; i++) {
          const st = await engine.status(s.id, `u${i}`);
          expect(st.position).toBe(placeOf(i, 50, keys));
          positions.add(st.position as number);
        }
        expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(await engine.status(s.id, 'late')).toMatchObject({ ticket: 51, position: 51 });
        const order = Array.from({ length: 50 }, (_, i) => placeOf(i + 1, 50, keys));
        expect(order).not.toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        await engine.admit(s.id);
        const first = order.indexOf(1) + 1;
        expect(await engine.status(s.id, `u${first}`)).toMatchObject({ state: 'admitted' });
      });

      it('tells every waiter at once when the stock is gone, and reopens if units come back', async () => {
        const id = await liveSale({ totalStock: 1, perUserLimit: 1 });
        await engine.join(id, 'waiter');
        const hold = await reserve(id, 'buyer');
        expect(await engine.status(id, 'waiter')).toMatchObject({ state: 'waiting' });
        await engine.release(id, hold.id, 'payment_failed');
        const again = await reserve(id, 'buyer2');
        await engine.confirm(id, again.id);
        expect(await engine.status(id, 'waiter')).toMatchObject({ state: 'sold_out' });
        expect(await engine.join(id, 'newcomer')).toMatchObject({ state: 'sold_out', ticket: null });
        expect((await engine.getSale(id))?.state).toBe('sold_out');

        const id2 = await liveSale({ totalStock: 1, perUserLimit: 1 });
        await engine.join(id2, 'waiter');
        const last = await reserve(id2, 'buyer');
        clock.advance(121 * SEC);
        expect(await engine.sweepExpired(id2)).toBe(1);
        expect(await engine.status(id2, 'waiter')).toMatchObject({ state: 'waiting' });
        expect((await engine.getHold(id2, last.id))?.status).toBe('released');
      });

      it('says ended to everyone after the end', async () => {
        const id = await liveSale();
        await engine.join(id, 'u1');
        await engine.end(id);
        expect(await engine.status(id, 'u1')).toMatchObject({ state: 'ended' });
        expect(await engine.join(id, 'u2')).toMatchObject({ state: 'ended' });
      });
    });

    describe('inventory', () => {
      it('reserves with a deadline and keeps the invariant', async () => {
        const id = await liveSale();
        const hold = await reserve(id, 'u1', 2);
        expect(hold).toMatchObject({
          saleId: id,
          userId: 'u1',
          quantity: 2,
          status: 'held',
          expiresAt: clock.now() + 120 * SEC,
        });
        expect(await engine.getHold(id, hold.id)).toEqual(hold);
        expect(await expectInvariant(id)).toMatchObject({ available: 8, held: 2, sold: 0 });
      });

      it('answers the same idempotency key with the same hold and takes stock once', async () => {
        const id = await liveSale();
        const a = await reserve(id, 'u1', 1, 'key-1');
        const b = await reserve(id, 'u1', 1, 'key-1');
        expect(b).toEqual(a);
        expect((await engine.stats(id)).held).toBe(1);
        await expectCode(reserve(id, 'u1', 2, 'key-1'), 'IDEMPOTENCY_CONFLICT');
        const other = await reserve(id, 'u2', 1, 'key-1');
        expect(other.id).not.toBe(a.id);
        await engine.confirm(id, a.id);
        expect(await reserve(id, 'u1', 1, 'key-1')).toMatchObject({ id: a.id, status: 'confirmed' });
      });

      it('sells the last unit, then refuses with SOLD_OUT', async () => {
        const id = await liveSale({ totalStock: 3, perUserLimit: 1 });
        for (const u of ['a', 'b', 'c']) await reserve(id, u);
        expect(await expectInvariant(id)).toMatchObject({ available: 0, held: 3 });
        await expectCode(reserve(id, 'd'), 'SOLD_OUT');
      });

      it('refuses more than what is left, over the limit, or when not live — changing nothing', async () => {
        const id = await liveSale({ totalStock: 3, perUserLimit: 3 });
        await reserve(id, 'a', 2);
        await expectCode(reserve(id, 'b', 2), 'INSUFFICIENT_STOCK');
        await expectCode(reserve(id, 'a', 2, 'a-again'), 'LIMIT_EXCEEDED');
        await engine.pause(id);
        await expectCode(reserve(id, 'c', 1), 'NOT_LIVE');
        const before = await sale();
        await expectCode(reserve(before.id, 'c', 1), 'NOT_LIVE');
        await engine.resume(id);
        expect(await expectInvariant(id)).toMatchObject({ available: 1, held: 2 });
      });

      it('refuses invalid quantities and keys before touching stock', async () => {
        const id = await liveSale();
        for (const q of [0, -1, 1.5, Number.NaN, 1e9])
          await expectCode(reserve(id, 'u', q), 'INVALID_QUANTITY');
        await expectCode(reserve(id, 'u', '1' as unknown as number), 'INVALID_QUANTITY');
        await expectCode(reserve(id, 'u', 1, ''), 'INVALID_REQUEST');
        await expectCode(reserve(id, 'bad user', 1), 'INVALID_REQUEST');
        await expectCode(reserve(id, 'nul\u0000user', 1), 'INVALID_REQUEST');
        expect((await engine.stats(id)).available).toBe(10);
      });

      it('confirms once; a confirmed hold cannot be released', async () => {
        const id = await liveSale();
        const hold = await reserve(id, 'u1', 2);
        expect(await engine.confirm(id, hold.id)).toMatchObject({
          changed: true,
          hold: { status: 'confirmed' },
        });
        expect(await engine.confirm(id, hold.id)).toMatchObject({ changed: false });
        await expectCode(engine.release(id, hold.id, 'cancelled'), 'HOLD_CONFIRMED');
        expect(await expectInvariant(id)).toMatchObject({ available: 8, held: 0, sold: 2 });
        await expectCode(engine.confirm(id, 'no-such-hold'), 'HOLD_NOT_FOUND');
      });

      it('releases once, returning units and the user limit', async () => {
        const id = await liveSale({ perUserLimit: 1 });
        const hold = await reserve(id, 'u1');
        expect(await engine.release(id, hold.id, 'payment_failed')).toMatchObject({
          changed: true,
          hold: { status: 'released', releaseReason: 'payment_failed' },
        });
        expect(await engine.release(id, hold.id, 'cancelled')).toMatchObject({ changed: false });
        await expectCode(engine.confirm(id, hold.id), 'HOLD_RELEASED');
        expect(await expectInvariant(id)).toMatchObject({ available: 10, held: 0 });
        await reserve(id, 'u1', 1, 'another-key');
      });

      it('refuses a confirm after the deadline and returns the units', async () => {
        const id = await liveSale();
        const hold = await reserve(id, 'u1');
        clock.advance(120 * SEC);
        await expectCode(engine.confirm(id, hold.id), 'HOLD_EXPIRED');
        expect(await engine.getHold(id, hold.id)).toMatchObject({
          status: 'released',
          releaseReason: 'expired',
        });
        await expectCode(engine.confirm(id, hold.id), 'HOLD_EXPIRED');
        expect(await expectInvariant(id)).toMatchObject({ available: 10, held: 0 });
      });

      it('sweeps only expired holds, at most `limit` at a time', async () => {
        const id = await liveSale({ perUserLimit: 1 });
        for (let i = 0; i < 5; i++) await reserve(id, `early${i}`);
        clock.advance(60 * SEC);
        const late = await reserve(id, 'late');
        clock.advance(61 * SEC);
        expect(await engine.sweepExpired(id, 3)).toBe(3);
        expect(await engine.sweepExpired(id, 3)).toBe(2);
        expect(await engine.sweepExpired(id, 3)).toBe(0);
        for (const bad of [0, -1, 1.5, Number.NaN])
          await expectCode(engine.sweepExpired(id, bad), 'INVALID_REQUEST');
        expect((await engine.getHold(id, late.id))?.status).toBe('held');
        expect(await expectInvariant(id)).toMatchObject({ available: 9, held: 1 });
      });

      it('confirm and release racing on live holds: each hold ends one way, confirms = sold', async () => {
        const id = await liveSale({ totalStock: 100, perUserLimit: 2 });
        const holds = await Promise.all(
          Array.from({ length: 60 }, (_, i) => reserve(id, `racer${i}`, 1 + (i % 2))),
        );
        // One connection: the calls reach the store in call order, so one round shows both outcomes.
        const fresh = async () => ({ saleId: id, holds });
        const { confirmed, released } = await raceUntilBothOutcomes(() => engine, fresh, 1);
        expect(confirmed + released).toBe(60);
        expect(await expectInvariant(id)).toMatchObject({ held: 0 });
      });

      it('confirms a hold taken before the end after the sale has ended', async () => {
        const id = await liveSale();
        const hold = await reserve(id, 'u1');
        await engine.end(id);
        expect((await engine.confirm(id, hold.id)).changed).toBe(true);
      });
    });
  });
}
