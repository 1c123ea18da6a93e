/**
 * What PostgreSQL keeps so that a Redis that lost its data can be rebuilt, and the per-buyer guard
 * that holds whatever Redis says. Run by postgres.test.ts (a pool of 10 and a second handle: the
 * races are real) and pglite.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { sharedSecret } from '../../src/db/durableSaleState.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import type { PlacedOrder } from '../../src/db/records.ts';
import { type ContractOptions, describeOnFreshDatabase, type OpenDatabase, T0 } from './fixtures.ts';

const placed = (saleId: string, userId: string, key: string, quantity = 1): PlacedOrder => ({
  holdId: randomUUID(),
  saleId,
  userId,
  quantity,
  amountCents: 4999 * quantity,
  currency: 'EUR',
  paymentMethod: 'card',
  idempotencyKey: key,
  holdExpiresAt: T0 + 120_000,
});

export function describeDurableStateContract(
  name: string,
  open: OpenDatabase,
  options: ContractOptions = {},
): void {
  describeOnFreshDatabase(`durable sale state: ${name}`, open, { ...options, seeded: true }, (t) => {
    // Each test starts with sale 's': 100 units, perUserLimit 2.

    it('records pause, resume, end and start-now, and a reload reads them back', async () => {
      expect((await t.store.getSale('s'))?.flags).toEqual({ paused: false, ended: false });
      expect((await t.store.setSaleSwitch('s', 'paused', true))?.flags).toEqual({
        paused: true,
        ended: false,
      });
      expect((await t.store.setSaleSwitch('s', 'paused', false))?.flags.paused).toBe(false);
      await t.store.setSaleSwitch('s', 'ended', true);
      expect((await t.store.getSale('s'))?.flags).toEqual({ paused: false, ended: true });
      const started = await t.store.startSaleNow('s', T0 - 30 * 60_000);
      expect(started?.startsAt).toBe(T0 - 30 * 60_000);
      expect(started?.prequeueAt).toBe(T0 - 30 * 60_000);
      // A later "now" never moves the start forward.
      expect((await t.store.startSaleNow('s', T0 + 60_000))?.startsAt).toBe(T0 - 30 * 60_000);
      expect(await t.store.setSaleSwitch('nope', 'ended', true)).toBeNull();
      expect(await t.store.startSaleNow('nope', T0)).toBeNull();
    });

    it('never lets a buyer past the limit, however many checkouts race from two handles', async () => {
      const other = new OrderStore(await t.fx.another());
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? t.store : other).placeOrder(placed('s', 'alice', `k${i}`), 2),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'placed')).toHaveLength(2);
      expect(outcomes.filter((o) => o.outcome === 'limit')).toHaveLength(18);
      // Quantities count, not orders: one unit left at most.
      expect((await t.store.placeOrder(placed('s', 'bob', 'b1', 2), 2)).outcome).toBe('placed');
      expect((await t.store.placeOrder(placed('s', 'bob', 'b2', 1), 2)).outcome).toBe('limit');
    });

    it('returns the one order of an idempotency key, however many holds race for it', async () => {
      const other = new OrderStore(await t.fx.another());
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? t.store : other).placeOrder(placed('s', 'carol', 'same'), 2),
        ),
      );
      const first = outcomes.filter((o) => o.outcome === 'placed');
      expect(first).toHaveLength(1);
      const id = first[0]?.order?.id;
      expect(outcomes.every((o) => o.order?.id === id)).toBe(true);
      expect((await t.store.orderByIdempotencyKey('s', 'carol', 'same'))?.id).toBe(id);
      expect(await t.store.orderByIdempotencyKey('s', 'carol', 'other')).toBeNull();
    });

    it('a failed or expired order frees its units under the limit; a confirmed one keeps them', async () => {
      const a = await t.store.placeOrder(placed('s', 'dan', 'd1', 2), 2);
      expect((await t.store.placeOrder(placed('s', 'dan', 'd2'), 2)).outcome).toBe('limit');
      await t.store.failOrder(a.order?.holdId as string, 'expired', 'hold_expired');
      const b = await t.store.placeOrder(placed('s', 'dan', 'd3'), 2);
      expect(b.outcome).toBe('placed');
      await t.store.confirmOrder(b.order?.holdId as string, 'ch_1');
      expect((await t.store.placeOrder(placed('s', 'dan', 'd4'), 2)).outcome).toBe('placed');
      expect((await t.store.placeOrder(placed('s', 'dan', 'd5'), 2)).outcome).toBe('limit');
      expect(await t.store.confirmedUnitsByBuyer('s')).toEqual([['dan', 1]]);
      const pending = await t.store.pendingOrdersOfSale('s');
      expect(pending.map((o) => o.idempotencyKey)).toEqual(['d4']);
      expect(pending[0]?.holdExpiresAt).toBe(T0 + 120_000);
    });

    it('the worker finds the order checkout wrote, not a second one', async () => {
      const { order } = await t.store.placeOrder(placed('s', 'erin', 'e1'), 2);
      const again = await t.store.createPendingOrder({ ...(order as PlacedOrder) });
      expect(again.id).toBe(order?.id);
      expect((await t.store.orderCounts('s')).pending).toBe(1);
    });

    it('records the engine incarnation and its location only from the one it expects', async () => {
      expect(await t.store.recordedIncarnation()).toBeNull();
      expect(await t.store.recordIncarnation(null, 'a', 'redis://h:1/0 p:')).toBe(true);
      expect(await t.store.recordIncarnation(null, 'b', 'elsewhere')).toBe(false);
      expect(await t.store.recordIncarnation('x', 'b', 'elsewhere')).toBe(false);
      expect(await t.store.recordedIncarnation()).toEqual({ id: 'a', location: 'redis://h:1/0 p:' });
      expect(await t.store.recordIncarnation('a', 'b', 'redis://h:2/0 p:')).toBe(true);
      expect(await t.store.recordedIncarnation()).toEqual({ id: 'b', location: 'redis://h:2/0 p:' });
    });

    it('gives every process the one shared secret, however many start at once', async () => {
      // `serve --processes N` starts N processes together: each asks for the admission key before any
      // has stored one. Each proposes its own; all must come back with the same, stored, value.
      const other = await t.fx.another();
      const proposed: string[] = [];
      const generate = (i: number) => async () => {
        proposed.push(`key-${i}`);
        await new Promise((resolve) => setTimeout(resolve, 5)); // widens the window between read and write
        return `key-${i}`;
      };
      const got = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          sharedSecret(i % 2 ? t.db : other, 'admission-key', generate(i)),
        ),
      );
      expect(proposed.length).toBeGreaterThan(1); // the race happened: several found no key yet
      expect(new Set(got).size).toBe(1);
      expect(proposed).toContain(got[0]);
      expect(await sharedSecret(t.db, 'admission-key', generate(99))).toBe(got[0]);
    });
  });
}
