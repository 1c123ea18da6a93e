/**
 * One contract for every Database adapter (keyv / pg-boss style): postgres.test.ts and pglite.test.ts
 * each call `describeDatabaseContract` with a factory. Every test gets a fresh, empty database (its own schema or instance).
 */
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import {
  type ContractOptions,
  describeOnFreshDatabase,
  type OpenDatabase,
  order,
  sale,
  T0,
} from './fixtures.ts';

export function describeDatabaseContract(
  name: string,
  open: OpenDatabase,
  options: ContractOptions = {},
): void {
  describeOnFreshDatabase(`Database contract: ${name}`, open, options, (t) => {
    const withSale = async (id: string, total: number) => {
      await migrate(t.db);
      await t.store.upsertSale(sale(id, total));
    };

    describe('migrations', () => {
      it('apply every file in order and record each once', async () => {
        const files = await loadMigrations();
        expect(files.map((m) => m.version)).toEqual([...files.map((m) => m.version)].sort((a, b) => a - b));
        expect(await migrate(t.db)).toEqual(files.map((m) => m.name));
        const tables = await t.db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
           ORDER BY table_name`,
        );
        expect(tables.map((t) => t.table_name)).toEqual(
          expect.arrayContaining(['events', 'orders', 'oversell_refusals', 'payment_charges', 'sale_stock']),
        );
        const recorded = await t.db.query<{ name: string }>(
          'SELECT name FROM schema_migrations ORDER BY version',
        );
        expect(recorded.map((r) => r.name)).toEqual(files.map((m) => m.name));
      });

      it('re-applying is a no-op', async () => {
        await migrate(t.db);
        expect(await migrate(t.db)).toEqual([]);
        const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        expect(row?.n).toBe((await loadMigrations()).length);
      });

      it('concurrent migrators from two handles apply each migration exactly once', async () => {
        const other = await t.fx.another();
        // allSettled: a failure must not leave migrations running into cleanup's DROP SCHEMA.
        const settled = await Promise.allSettled([
          migrate(t.db),
          migrate(other),
          migrate(t.db),
          migrate(other),
        ]);
        const results = settled.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
        expect(results.every(Array.isArray), String(results)).toBe(true);
        const files = await loadMigrations();
        expect(results.flat().sort()).toEqual(files.map((m) => m.name).sort());
        const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        expect(row?.n).toBe(files.length);
      });
    });

    describe('transactions', () => {
      it('commit returns the value; a throw rolls back and is rethrown', async () => {
        await t.db.query('CREATE TABLE t (n int)');
        expect(
          await t.db.transaction(async (tx) => (await tx.query('INSERT INTO t VALUES (1) RETURNING n'))[0]),
        ).toEqual({ n: 1 });
        const boom = new Error('boom');
        await expect(
          t.db.transaction(async (tx) => {
            await tx.query('INSERT INTO t VALUES ($1)', [2]);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await t.db.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }]);
      });
    });

    describe('sales', () => {
      it('upsertSale creates once, then returns the stored sale unchanged', async () => {
        await migrate(t.db);
        const first = await t.store.upsertSale(sale('s1', 5));
        expect(first.created).toBe(true);
        expect(first.sale).toMatchObject({ ...sale('s1', 5), description: '', currency: 'EUR' });
        const again = await t.store.upsertSale({ ...sale('s1', 99), name: 'Other' });
        expect(again.created).toBe(false);
        expect(again.sale).toEqual(first.sale);
        expect(await t.store.getSale('s1')).toEqual(first.sale);
        expect(await t.store.getSale('nope')).toBeNull();
        expect(await t.store.soldUnits('s1')).toBe(0);
        const [stock] = await t.db.query('SELECT total, sold FROM sale_stock WHERE sale_id = $1', ['s1']);
        expect(stock).toEqual({ total: 5, sold: 0 });
        await t.store.upsertSale({ ...sale('s0', 1), startsAt: T0 - 1000, prequeueAt: T0 - 1000 });
        expect((await t.store.listSales()).map((s) => s.id)).toEqual(['s0', 's1']);
      });

      it('archiveSale marks a sale once and keeps it listed in the store; image URLs round-trip', async () => {
        await migrate(t.db);
        const image = 'https://shop.example/p/1.jpg';
        expect((await t.store.upsertSale({ ...sale('a1', 3), imageUrl: image })).sale.imageUrl).toBe(image);
        expect(await t.store.getSale('a1')).not.toHaveProperty('archivedAt');
        expect((await t.store.archiveSale('a1', T0 + 1000))?.archivedAt).toBe(T0 + 1000);
        expect((await t.store.archiveSale('a1', T0 + 9000))?.archivedAt).toBe(T0 + 1000);
        expect(await t.store.getSale('a1')).toMatchObject({ imageUrl: image, archivedAt: T0 + 1000 });
        expect((await t.store.listSales()).map((s) => s.id)).toContain('a1');
        expect(await t.store.archiveSale('nope', T0)).toBeNull();
        // The scheme is checked by the database too, not only by the API's schema.
        await expect(
          t.store.upsertSale({ ...sale('a2', 1), imageUrl: 'javascript:alert(1)' }),
        ).rejects.toThrow();
      });
    });

    describe('orders', () => {
      it('createPendingOrder is idempotent per hold, also under concurrency', async () => {
        await withSale('s', 10);
        const a = await t.store.createPendingOrder(order('s', 'h1'));
        expect(a).toMatchObject({
          ...order('s', 'h1'),
          status: 'pending',
          chargeId: null,
          failureReason: null,
        });
        expect(await t.store.createPendingOrder({ ...order('s', 'h1'), quantity: 2 })).toEqual(a);
        const racing = await Promise.all(
          Array.from({ length: 10 }, () => t.store.createPendingOrder(order('s', 'h2'))),
        );
        expect(new Set(racing.map((o) => o.id)).size).toBe(1);
        expect(await t.store.getOrder(a.id)).toEqual(a);
        expect(await t.store.getOrderByHold('h1')).toEqual(a);
        expect(await t.store.getOrder('not-a-uuid')).toBeNull();
        expect(await t.store.getOrder('00000000-0000-4000-8000-000000000000')).toBeNull();
        expect(await t.store.duplicateHolds('s')).toEqual([]);
      });

      it('confirmOrder is idempotent and counts the units once', async () => {
        await withSale('s', 10);
        await t.store.createPendingOrder(order('s', 'h1', 2));
        const first = await t.store.confirmOrder('h1', 'ch_1');
        expect(first.outcome).toBe('confirmed');
        expect(first.order).toMatchObject({ status: 'confirmed', chargeId: 'ch_1' });
        expect((await t.store.confirmOrder('h1', 'ch_1')).outcome).toBe('already');
        expect(await t.store.soldUnits('s')).toBe(2);
        expect(await t.store.confirmOrder('missing', 'ch')).toEqual({ outcome: 'not_found', order: null });
      });

      it('concurrent confirmations of one hold sell its units once', async () => {
        await withSale('s', 10);
        await t.store.createPendingOrder(order('s', 'h', 2));
        const results = await Promise.all(Array.from({ length: 10 }, () => t.store.confirmOrder('h', 'ch')));
        expect(results.map((r) => r.outcome).sort()).toEqual([
          'already',
          ...Array(8).fill('already'),
          'confirmed',
        ]);
        expect(await t.store.soldUnits('s')).toBe(2);
      });

      it('refuses confirmations beyond the total and logs each refusal once', async () => {
        await withSale('s', 3);
        for (let i = 0; i < 5; i++) await t.store.createPendingOrder(order('s', `h${i}`));
        const outcomes = [];
        for (let i = 0; i < 5; i++) outcomes.push((await t.store.confirmOrder(`h${i}`, `ch${i}`)).outcome);
        expect(outcomes).toEqual(['confirmed', 'confirmed', 'confirmed', 'oversell', 'oversell']);
        expect((await t.store.confirmOrder('h4', 'ch4')).outcome).toBe('oversell');
        expect(await t.store.orderCounts('s')).toEqual({
          pending: 0,
          confirmed: 3,
          failed: 0,
          expired: 0,
          rejected: 2,
        });
        expect(await t.store.oversellRefusals('s')).toBe(2);
        expect(await t.store.soldUnits('s')).toBe(3);
        expect(await t.store.confirmedUnits('s')).toBe(3);
      });

      it('group commit: one batch confirms what fits, refuses exactly the units beyond the total', async () => {
        await withSale('s', 5);
        await withSale('t', 10);
        // 7 units asked of sale s (5 in stock), 3 of sale t: s falls back order by order, t goes whole.
        const batch = [
          order('s', 'a', 2),
          order('s', 'b', 2),
          order('s', 'c', 2),
          order('s', 'd', 1),
          order('t', 'x', 2),
          order('t', 'y', 1),
        ];
        for (const o of batch) await t.store.createPendingOrder(o);
        await t.store.confirmOrder('d', 'ch-d'); // confirmed before the batch: 'already' in it
        const results = await t.store.confirmOrders([
          ...batch.map((o) => ({
            holdId: o.holdId,
            chargeId: `ch-${o.holdId}`,
            event: { type: 'order_confirmed', payload: { holdId: o.holdId } },
          })),
          { holdId: 'nobody', chargeId: 'ch-nobody' },
        ]);
        const outcomes = Object.fromEntries([...results].map(([hold, r]) => [hold, r.outcome]));
        // Hold-id order: a (2) and b (2) fit in the 4 units left after d, c (2) does not.
        expect(outcomes).toEqual({
          a: 'confirmed',
          b: 'confirmed',
          c: 'oversell',
          d: 'already',
          x: 'confirmed',
          y: 'confirmed',
          nobody: 'not_found',
        });
        expect(results.get('a')?.order?.chargeId).toBe('ch-a');
        expect(await t.store.soldUnits('s')).toBe(5);
        expect(await t.store.confirmedUnits('s')).toBe(5);
        expect(await t.store.soldUnits('t')).toBe(3);
        expect(await t.store.oversellRefusals('s')).toBe(1);
        // The analytics rows of the orders this batch confirmed, written in the same transaction.
        expect(await t.store.countEvents('s', 'order_confirmed')).toBe(2);
        expect(await t.store.countEvents('t', 'order_confirmed')).toBe(2);
        // Repeating the batch changes nothing.
        const again = await t.store.confirmOrders(
          batch.map((o) => ({ holdId: o.holdId, chargeId: 'other' })),
        );
        expect([...again.values()].map((r) => r.outcome).sort()).toEqual([
          'already',
          'already',
          'already',
          'already',
          'already',
          'oversell',
        ]);
        expect(await t.store.soldUnits('s')).toBe(5);
        expect(await t.store.countEvents('s', 'order_confirmed')).toBe(2);
      });

      it('concurrent batches for 20 units confirm exactly 20', async () => {
        await withSale('s', 20);
        const holds = Array.from({ length: 50 }, (_, i) => `h${String(i).padStart(2, '0')}`);
        for (const h of holds) await t.store.createPendingOrder(order('s', h));
        // Five batches of ten, racing, overlapping by one hold each (a duplicate delivery).
        const batches = Array.from({ length: 5 }, (_, b) =>
          holds.slice(b * 10, b * 10 + 11).map((h) => ({ holdId: h, chargeId: `ch-${h}` })),
        );
        await Promise.all(batches.map((items) => t.store.confirmOrders(items)));
        expect(await t.store.soldUnits('s')).toBe(20);
        expect(await t.store.confirmedUnits('s')).toBe(20);
        expect(await t.store.oversellRefusals('s')).toBe(30);
        expect((await t.store.orderCounts('s')).rejected).toBe(30);
      });

      it('counts quantities, not orders, against the total', async () => {
        await withSale('s', 3);
        await t.store.createPendingOrder(order('s', 'a', 2));
        await t.store.createPendingOrder(order('s', 'b', 2));
        await t.store.createPendingOrder(order('s', 'c', 1));
        expect((await t.store.confirmOrder('a', 'x')).outcome).toBe('confirmed');
        expect((await t.store.confirmOrder('b', 'x')).outcome).toBe('oversell');
        expect((await t.store.confirmOrder('c', 'x')).outcome).toBe('confirmed');
        expect(await t.store.soldUnits('s')).toBe(3);
      });

      it('50 concurrent confirmations for 20 units confirm exactly 20', async () => {
        await withSale('s', 20);
        const holds = Array.from({ length: 50 }, (_, i) => `h${i}`);
        for (const h of holds) await t.store.createPendingOrder(order('s', h));
        const results = await Promise.all(holds.map((h) => t.store.confirmOrder(h, `ch-${h}`)));
        expect(results.filter((r) => r.outcome === 'confirmed')).toHaveLength(20);
        expect(results.filter((r) => r.outcome === 'oversell')).toHaveLength(30);
        expect(await t.store.soldUnits('s')).toBe(20);
        expect(await t.store.confirmedUnits('s')).toBe(20);
        expect(await t.store.oversellRefusals('s')).toBe(30);
      });

      it('the CHECK constraint refuses sold > total even without the guarded update', async () => {
        await withSale('s', 3);
        await expect(
          t.db.query('UPDATE sale_stock SET sold = total + 1 WHERE sale_id = $1', ['s']),
        ).rejects.toThrow(/sale_stock_sold_within_total/);
      });

      it('failOrder moves only pending orders and never un-confirms', async () => {
        await withSale('s', 10);
        await t.store.createPendingOrder(order('s', 'paid'));
        await t.store.confirmOrder('paid', 'ch');
        expect(await t.store.failOrder('paid', 'expired', 'deadline')).toMatchObject({
          changed: false,
          order: { status: 'confirmed', failureReason: null },
        });
        await t.store.createPendingOrder(order('s', 'declined'));
        expect(await t.store.failOrder('declined', 'failed', 'card_declined')).toMatchObject({
          changed: true,
          order: { status: 'failed', failureReason: 'card_declined' },
        });
        expect(await t.store.failOrder('declined', 'expired', 'later')).toMatchObject({
          changed: false,
          order: { status: 'failed', failureReason: 'card_declined' },
        });
        expect((await t.store.confirmOrder('declined', 'ch')).outcome).toBe('not_pending');
        expect(await t.store.failOrder('missing', 'failed', 'x')).toBeNull();
        expect(await t.store.soldUnits('s')).toBe(1);
      });

      it('racing confirm and fail of each hold leave every order either sold or not, never both', async () => {
        await withSale('s', 100);
        const holds = Array.from({ length: 20 }, (_, i) => `h${i}`);
        for (const h of holds) await t.store.createPendingOrder(order('s', h));
        await Promise.all(
          holds.flatMap((h) => [t.store.confirmOrder(h, 'ch'), t.store.failOrder(h, 'expired', 'deadline')]),
        );
        const counts = await t.store.orderCounts('s');
        expect(counts.confirmed + counts.expired).toBe(20);
        expect(await t.store.soldUnits('s')).toBe(counts.confirmed);
        expect(await t.store.confirmedUnits('s')).toBe(counts.confirmed);
      });

      it('counts and units add up across statuses', async () => {
        await withSale('s', 10);
        await withSale('other', 10);
        const plan = [
          ['a', 3, 'confirm'],
          ['b', 2, 'confirm'],
          ['c', 1, 'fail'],
          ['d', 1, 'expire'],
          ['e', 4, 'pending'],
        ] as const;
        for (const [hold, qty, fate] of plan) {
          await t.store.createPendingOrder(order('s', hold, qty));
          if (fate === 'confirm') await t.store.confirmOrder(hold, `ch-${hold}`);
          if (fate === 'fail') await t.store.failOrder(hold, 'failed', 'declined');
          if (fate === 'expire') await t.store.failOrder(hold, 'expired', 'deadline');
        }
        await t.store.createPendingOrder(order('other', 'z'));
        expect(await t.store.orderCounts('s')).toEqual({
          pending: 1,
          confirmed: 2,
          failed: 1,
          expired: 1,
          rejected: 0,
        });
        expect(await t.store.soldUnits('s')).toBe(5);
        expect(await t.store.confirmedUnits('s')).toBe(5);
        expect(await t.store.oversellRefusals('s')).toBe(0);
        expect(await t.store.orderCounts('none')).toEqual({
          pending: 0,
          confirmed: 0,
          failed: 0,
          expired: 0,
          rejected: 0,
        });
      });
    });

    describe('events', () => {
      it('recordEvent stores the payload as JSON', async () => {
        await migrate(t.db);
        await t.store.recordEvent('s', 'joined', 'u1', { ticket: 7 });
        await t.store.recordEvent('s', 'joined', 'u2');
        await t.store.recordEvent('s', 'sold_out', null, {});
        expect(await t.store.countEvents('s')).toBe(3);
        expect(await t.store.countEvents('s', 'joined')).toBe(2);
        const [row] = await t.db.query('SELECT payload FROM events WHERE user_id = $1', ['u1']);
        expect(row).toEqual({ payload: { ticket: 7 } });
      });
    });

    describe('payment ledger', () => {
      it('records one charge per idempotency key, also under concurrency', async () => {
        await migrate(t.db);
        const first = await t.store.charges.record('h1', 4999, 's');
        expect(first).toMatchObject({
          created: true,
          charge: {
            idempotencyKey: 'h1',
            saleId: 's',
            amountCents: 4999,
            status: 'succeeded',
            refundedAt: null,
          },
        });
        const repeat = await t.store.charges.record('h1', 1, 's');
        expect(repeat).toEqual({ created: false, charge: first.charge });
        const racing = await Promise.all(
          Array.from({ length: 10 }, () => t.store.charges.record('h2', 100, 's')),
        );
        expect(racing.filter((r) => r.created)).toHaveLength(1);
        await t.store.charges.record('h3', 100, 'other');
        expect(await t.store.charges.count()).toBe(3);
        expect(await t.store.charges.count({ saleId: 's' })).toBe(2);
      });

      it('answers each of many concurrent charges and lookups of different keys with its own', async () => {
        await migrate(t.db);
        await t.store.charges.record('k0', 7, 's');
        // Concurrent calls share a statement: keys repeat within it, one key was charged before.
        const keys = Array.from({ length: 60 }, (_, i) => `k${i % 20}`);
        const charged = await Promise.all(keys.map((key, i) => t.store.charges.record(key, 100 + i, 's')));
        expect(charged.map((result) => result.charge.idempotencyKey)).toEqual(keys);
        const createdKeys = charged.filter((r) => r.created).map((r) => r.charge.idempotencyKey);
        expect(createdKeys.sort()).toEqual(Array.from({ length: 19 }, (_, i) => `k${i + 1}`).sort());
        // A repeat gets the first charge of its key, with its amount: k0 from before, k5 from index 5.
        expect(charged[0]).toMatchObject({ created: false, charge: { amountCents: 7 } });
        expect(charged[25]).toMatchObject({ created: false, charge: { amountCents: 105 } });
        const found = await Promise.all(['k3', 'nope', 'k19'].map((key) => t.store.charges.get(key)));
        expect(found.map((c) => c?.idempotencyKey ?? null)).toEqual(['k3', null, 'k19']);
        expect(await t.store.charges.count({ saleId: 's' })).toBe(20);
        const attempts = await t.store.charges.attempts('s');
        expect(attempts.reduce((n, a) => n + a.attempts, 0)).toBe(61);
      });

      it('keeps every charge attempt, so a repeat the ledger turned away still shows', async () => {
        await withSale('s', 10);
        await t.store.createPendingOrder(order('s', 'h1'));
        await t.store.charges.record('h1', 4999, 's');
        await Promise.all(Array.from({ length: 3 }, () => t.store.charges.record('h2', 100, 's')));
        await t.store.charges.record('h3', 100, 'other');
        expect(await t.store.charges.count({ saleId: 's' })).toBe(2);
        // h2 has no order, and its two repeats left no trace in payment_charges: here they show.
        expect(await t.store.charges.attempts('s')).toEqual([
          { idempotencyKey: 'h1', attempts: 1, hasOrder: true },
          { idempotencyKey: 'h2', attempts: 3, hasOrder: false },
        ]);
        expect(await t.store.charges.attempts('nothing')).toEqual([]);
      });

      it('refunds a charge once', async () => {
        await migrate(t.db);
        await t.store.charges.record('h1', 4999, 's');
        const refund = await t.store.charges.refund('h1');
        expect(refund?.changed).toBe(true);
        expect(refund?.charge.status).toBe('refunded');
        expect(refund?.charge.refundedAt).toEqual(expect.any(Number));
        expect((await t.store.charges.refund('h1'))?.changed).toBe(false);
        expect(await t.store.charges.refund('missing')).toBeNull();
        expect(await t.store.charges.count({ saleId: 's', status: 'refunded' })).toBe(1);
        expect(await t.store.charges.count({ status: 'succeeded' })).toBe(0);
      });
    });
  });
}
