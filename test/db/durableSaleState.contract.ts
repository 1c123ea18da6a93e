/**
 * What PostgreSQL keeps so that a Redis that lost its data can be rebuilt, and the per-buyer guard
 * that holds whatever Redis says. Run by postgres.test.ts (a pool of 10 and a second handle: the
 * races are real) and pglite.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { sharedSecret } from '../../src/db/durableSaleState.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import type { PlacedOrder } from '../../src/db/records.ts';
import { type DatabaseFixture, sale, T0 } from './fixtures.ts';

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
  open: () => Promise<DatabaseFixture>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`durable sale state: ${name}`, () => {
    let fx: DatabaseFixture;
    let db: Database;
    let store: OrderStore;

    beforeEach(async () => {
      fx = await open();
      db = fx.db;
      store = new OrderStore(db);
      await migrate(db);
      await store.upsertSale(sale('s', 100)); // perUserLimit 2
    });
    afterEach(() => fx.cleanup());

    it('records pause, resume, end and start-now, and a reload reads them back', async () => {
      expect((await store.getSale('s'))?.flags).toEqual({ paused: false, ended: false });
      expect((await store.setSaleSwitch('s', 'paused', true))?.flags).toEqual({ paused: true, ended: false });
      expect((await store.setSaleSwitch('s', 'paused', false))?.flags.paused).toBe(false);
      await store.setSaleSwitch('s', 'ended', true);
      expect((await store.getSale('s'))?.flags).toEqual({ paused: false, ended: true });
      const started = await store.startSaleNow('s', T0 - 30 * 60_000);
      expect(started?.startsAt).toBe(T0 - 30 * 60_000);
      expect(started?.prequeueAt).toBe(T0 - 30 * 60_000);
      // A later "now" never moves the start forward.
      expect((await store.startSaleNow('s', T0 + 60_000))?.startsAt).toBe(T0 - 30 * 60_000);
      expect(await store.setSaleSwitch('nope', 'ended', true)).toBeNull();
      expect(await store.startSaleNow('nope', T0)).toBeNull();
    });

    it('never lets a buyer past the limit, however many checkouts race from two handles', async () => {
      const other = new OrderStore(await fx.another());
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? store : other).placeOrder(placed('s', 'alice', `k${i}`), 2),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'placed')).toHaveLength(2);
      expect(outcomes.filter((o) => o.outcome === 'limit')).toHaveLength(18);
      // Quantities count, not orders: one unit left at most.
      expect((await store.placeOrder(placed('s', 'bob', 'b1', 2), 2)).outcome).toBe('placed');
      expect((await store.placeOrder(placed('s', 'bob', 'b2', 1), 2)).outcome).toBe('limit');
    });

    it('returns the one order of an idempotency key, however many holds race for it', async () => {
      const other = new OrderStore(await fx.another());
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? store : other).placeOrder(placed('s', 'carol', 'same'), 2),
        ),
      );
      const first = outcomes.filter((o) => o.outcome === 'placed');
      expect(first).toHaveLength(1);
      const id = first[0]?.order?.id;
      expect(outcomes.every((o) => o.order?.id === id)).toBe(true);
      expect((await store.orderByIdempotencyKey('s', 'carol', 'same'))?.id).toBe(id);
      expect(await store.orderByIdempotencyKey('s', 'carol', 'other')).toBeNull();
    });

    it('a failed or expired order frees its units under the limit; a confirmed one keeps them', async () => {
      const a = await store.placeOrder(placed('s', 'dan', 'd1', 2), 2);
      expect((await store.placeOrder(placed('s', 'dan', 'd2'), 2)).outcome).toBe('limit');
      await store.failOrder(a.order?.holdId as string, 'expired', 'hold_expired');
      const b = await store.placeOrder(placed('s', 'dan', 'd3'), 2);
      expect(b.outcome).toBe('placed');
      await store.confirmOrder(b.order?.holdId as string, 'ch_1');
      expect((await store.placeOrder(placed('s', 'dan', 'd4'), 2)).outcome).toBe('placed');
      expect((await store.placeOrder(placed('s', 'dan', 'd5'), 2)).outcome).toBe('limit');
      expect(await store.confirmedUnitsByBuyer('s')).toEqual([['dan', 1]]);
      const pending = await store.pendingOrdersOfSale('s');
      expect(pending.map((o) => o.idempotencyKey)).toEqual(['d4']);
      expect(pending[0]?.holdExpiresAt).toBe(T0 + 120_000);
    });

    it('the worker finds the order checkout wrote, not a second one', async () => {
      const { order } = await store.placeOrder(placed('s', 'erin', 'e1'), 2);
      const again = await store.createPendingOrder({ ...(order as PlacedOrder) });
      expect(again.id).toBe(order?.id);
      expect((await store.orderCounts('s')).pending).toBe(1);
    });

    it('records the engine incarnation and its location only from the one it expects', async () => {
      expect(await store.recordedIncarnation()).toBeNull();
      expect(await store.recordIncarnation(null, 'a', 'redis://h:1/0 p:')).toBe(true);
      expect(await store.recordIncarnation(null, 'b', 'elsewhere')).toBe(false);
      expect(await store.recordIncarnation('x', 'b', 'elsewhere')).toBe(false);
      expect(await store.recordedIncarnation()).toEqual({ id: 'a', location: 'redis://h:1/0 p:' });
      expect(await store.recordIncarnation('a', 'b', 'redis://h:2/0 p:')).toBe(true);
      expect(await store.recordedIncarnation()).toEqual({ id: 'b', location: 'redis://h:2/0 p:' });
    });

    it('gives every process the one shared secret, however many start at once', async () => {
      // `serve --processes N` starts N processes together: each asks for the admission key before any
      // has stored one. Each proposes its own; all must come back with the same, stored, value.
      const other = await fx.another();
      const proposed: string[] = [];
      const generate = (i: number) => async () => {
        proposed.push(`key-${i}`);
        await new Promise((resolve) => setTimeout(resolve, 5)); // widens the window between read and write
        return `key-${i}`;
      };
      const got = await Promise.all(
        Array.from({ length: 12 }, (_, i) => sharedSecret(i % 2 ? db : other, 'admission-key', generate(i))),
      );
      expect(proposed.length).toBeGreaterThan(1); // the race happened: several found no key yet
      expect(new Set(got).size).toBe(1);
      expect(proposed).toContain(got[0]);
      expect(await sharedSecret(db, 'admission-key', generate(99))).toBe(got[0]);
    });
  });
}
