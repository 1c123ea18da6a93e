/**
 * What an engine must do to be rebuilt from PostgreSQL after it lost its data: a sale created with
 * the operator's switches, pending orders' holds put back, buyers' units counted again, and an
 * incarnation id that changes only with the store. Run by each adapter's test file.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SaleInput } from '../../src/domain/sale.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { expectCode } from './engine.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

const SEC = 1000;

export function describeEngineRestoreContract(name: string, factory: EngineFactory): void {
  describe(`sale engine restore contract: ${name}`, () => {
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

    const input = (over: Partial<SaleInput> = {}): SaleInput => ({
      id: `r-${randomUUID().slice(0, 8)}`,
      totalStock: 10,
      perUserLimit: 2,
      startsAt: clock.now(),
      endsAt: clock.now() + 3600 * SEC,
      holdSeconds: 120,
      admission: { perSecond: 10, maxActive: 100, sessionSeconds: 300 },
      ...over,
    });

    it('creates a sale with the recorded switches: ended stays ended, paused stays paused', async () => {
      const ended = await engine.createSale(input(), { flags: { paused: false, ended: true } });
      expect(ended.state).toBe('ended');
      expect(ended.flags).toEqual({ paused: false, ended: true });
      await expectCode(
        engine.reserve({ saleId: ended.id, userId: 'u', quantity: 1, idempotencyKey: 'k' }),
        'NOT_LIVE',
      );
      const paused = await engine.createSale(input(), { sold: 3, flags: { paused: true, ended: false } });
      expect(paused.state).toBe('paused');
      expect(paused.stock).toEqual({ total: 10, available: 7, held: 0, sold: 3 });
      expect((await engine.resume(paused.id)).state).toBe('live');
    });

    it('puts a hold back once: units held, the user limited, the idempotency key answering with it', async () => {
      const sale = await engine.createSale(input());
      const hold = {
        id: randomUUID(),
        userId: 'alice',
        quantity: 2,
        expiresAt: clock.now() + 60 * SEC,
        idempotencyKey: 'k1',
      };
      expect(await engine.restoreHold(sale.id, hold)).toBe('restored');
      expect(await engine.restoreHold(sale.id, hold)).toBe('exists');
      expect((await engine.stats(sale.id)).held).toBe(2);
      expect((await engine.stats(sale.id)).available).toBe(8);
      // The same key returns the restored hold; any other is over alice's limit of 2.
      const again = await engine.reserve({
        saleId: sale.id,
        userId: 'alice',
        quantity: 2,
        idempotencyKey: 'k1',
      });
      expect(again.id).toBe(hold.id);
      await expectCode(
        engine.reserve({ saleId: sale.id, userId: 'alice', quantity: 1, idempotencyKey: 'k2' }),
        'LIMIT_EXCEEDED',
      );
      // It ends like any hold: confirmed sells its units.
      expect((await engine.confirm(sale.id, hold.id)).hold.status).toBe('confirmed');
      expect(await engine.stats(sale.id)).toMatchObject({ available: 8, held: 0, sold: 2 });
    });

    it('a restored hold past its deadline is swept like any other', async () => {
      const sale = await engine.createSale(input());
      const early = {
        id: randomUUID(),
        userId: 'bob',
        quantity: 1,
        expiresAt: clock.now() + 5 * SEC,
        idempotencyKey: null,
      };
      await engine.reserve({ saleId: sale.id, userId: 'carol', quantity: 1, idempotencyKey: 'c' });
      expect(await engine.restoreHold(sale.id, early)).toBe('restored');
      clock.advance(10 * SEC);
      expect(await engine.sweepExpired(sale.id)).toBe(1);
      expect((await engine.getHold(sale.id, early.id))?.status).toBe('released');
      expect(await engine.stats(sale.id)).toMatchObject({ available: 9, held: 1 });
    });

    it('refuses to restore beyond the stock available, and on an unknown sale', async () => {
      const sale = await engine.createSale(input({ totalStock: 2 }), { sold: 1 });
      const hold = {
        id: randomUUID(),
        userId: 'dan',
        quantity: 2,
        expiresAt: clock.now() + 60 * SEC,
        idempotencyKey: 'k',
      };
      expect(await engine.restoreHold(sale.id, hold)).toBe('no_stock');
      expect(await engine.stats(sale.id)).toMatchObject({ available: 1, held: 0, sold: 1 });
      await expectCode(engine.restoreHold('no-such-sale', hold), 'SALE_NOT_FOUND');
    });

    it('counts units buyers already bought against their limit', async () => {
      const sale = await engine.createSale(input({ perUserLimit: 1 }), { sold: 2 });
      await engine.restoreUnits(sale.id, [
        ['erin', 1],
        ['frank', 1],
      ]);
      await expectCode(
        engine.reserve({ saleId: sale.id, userId: 'erin', quantity: 1, idempotencyKey: 'new' }),
        'LIMIT_EXCEEDED',
      );
      const other = await engine.reserve({
        saleId: sale.id,
        userId: 'gina',
        quantity: 1,
        idempotencyKey: 'g',
      });
      expect(other.status).toBe('held');
    });

    it('an expiry already past removes the sale; a purge removes it and its holds at once', async () => {
      const expired = await engine.createSale(input());
      await engine.reserve({ saleId: expired.id, userId: 'u', quantity: 1, idempotencyKey: 'k' });
      await engine.expireSale(expired.id, clock.now() - 1);
      expect(await engine.getSale(expired.id)).toBeNull();

      const purged = await engine.createSale(input());
      const hold = await engine.reserve({ saleId: purged.id, userId: 'u', quantity: 1, idempotencyKey: 'k' });
      expect(await engine.purgeSale(purged.id)).toBeGreaterThan(0);
      expect(await engine.getSale(purged.id)).toBeNull();
      await expectCode(engine.getHold(purged.id, hold.id), 'SALE_NOT_FOUND');
      expect(await engine.purgeSale(purged.id)).toBe(0);
      // The id can be loaded again, from nothing.
      expect((await engine.createSale(input({ id: purged.id }))).stock.held).toBe(0);
    });

    it('keeps one incarnation while it keeps its data, created once with its parent', async () => {
      const first = await engine.incarnation('before');
      expect(first).toMatchObject({ parent: 'before', created: true });
      const second = await engine.incarnation('other');
      expect(second).toEqual({ id: first.id, parent: 'before', created: false });
    });
  });
}
