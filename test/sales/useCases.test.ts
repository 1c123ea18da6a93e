/**
 * The sale use cases (src/sales/) that the admin API and the CLI both call. Run on the embedded
 * stores (memory engine, PGlite in memory): the engine/database contract suites cover the adapters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { FlashsaleError } from '../../src/domain/errors.ts';
import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { archiveSale, isListed } from '../../src/sales/archive.ts';
import { Catalog } from '../../src/sales/catalog.ts';
import { controlSale, purgeSale } from '../../src/sales/control.ts';
import type { SaleDeps } from '../../src/sales/deps.ts';
import { publishSale } from '../../src/sales/publish.ts';
import { saleCounters } from '../../src/sales/read.ts';
import { TestClock } from '../support/clock.ts';

let db: Database;
let clock: TestClock;
let deps: SaleDeps;

const saleInput = (id: string) => ({
  id,
  name: 'Drop',
  priceCents: 1000,
  currency: 'EUR',
  totalStock: 10,
  perUserLimit: 2,
  startsAt: clock.now(),
  endsAt: clock.now() + 3_600_000,
  holdSeconds: 60,
});

beforeEach(async () => {
  db = await openPglite();
  await migrate(db);
  clock = new TestClock();
  const store = new OrderStore(db);
  deps = { engine: new MemoryEngine(clock), shards: 1, store, catalog: new Catalog(store), clock };
});

afterEach(async () => {
  await db.close();
});

describe('sale use cases', () => {
  it('publish writes the catalog row and the engine counters; the same id again is SALE_EXISTS', async () => {
    const view = await publishSale(deps, saleInput('s1'));
    expect(view.stock).toEqual({ total: 10, available: 10, held: 0, sold: 0 });
    expect((await deps.store.getSale('s1'))?.totalStock).toBe(10);
    await expect(publishSale(deps, saleInput('s1'))).rejects.toMatchObject({ code: 'SALE_EXISTS' });
  });

  it('an action on a sale the engine lost loads it from the catalog first, with the sold units', async () => {
    await publishSale(deps, saleInput('s2'));
    // A fresh engine: a restarted embedded process, or a Redis that lost its data.
    const fresh = { ...deps, engine: new MemoryEngine(clock) };
    expect(await fresh.engine.getSale('s2')).toBeNull();
    const paused = await controlSale(fresh, 's2', 'pause');
    expect(paused.state).toBe('paused');
    expect(paused.stock.total).toBe(10);
    const counters = await saleCounters(fresh, 's2');
    expect(counters.engine.available).toBe(10);
    expect(counters.orders.confirmed).toBe(0);
  });

  it('a sale that ended over an hour ago is not loaded again: SALE_NOT_FOUND stands', async () => {
    await publishSale(deps, saleInput('s3'));
    clock.advance(3 * 3_600_000);
    const fresh = { ...deps, engine: new MemoryEngine(clock) };
    const refusal = await controlSale(fresh, 's3', 'end').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(FlashsaleError);
    expect((refusal as FlashsaleError).code).toBe('SALE_NOT_FOUND');
    expect(await fresh.engine.getSale('s3')).toBeNull();
  });

  it('end is recorded in PostgreSQL first: an engine that lost the sale loads it ended', async () => {
    await publishSale(deps, saleInput('s4'));
    await controlSale(deps, 's4', 'pause');
    await controlSale(deps, 's4', 'end');
    const record = await deps.store.getSale('s4');
    expect(record?.flags).toEqual({ paused: true, ended: true });
    expect(record?.endedAt).toEqual(expect.any(Number));
    const fresh = { ...deps, engine: new MemoryEngine(clock) };
    const resumed = await controlSale(fresh, 's4', 'resume');
    expect(resumed.state).toBe('ended');
    expect(resumed.flags).toEqual({ paused: false, ended: true });
  });

  it('purge refuses a sale that has not ended, then drops an ended one from the engine only', async () => {
    await publishSale(deps, saleInput('s5'));
    await expect(purgeSale(deps, 's5')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await deps.engine.getSale('s5')).not.toBeNull();
    await controlSale(deps, 's5', 'end');
    expect(await purgeSale(deps, 's5')).toBe(1);
    expect(await deps.engine.getSale('s5')).toBeNull();
    expect((await deps.store.getSale('s5'))?.flags.ended).toBe(true);
    await expect(purgeSale(deps, 'nope')).rejects.toMatchObject({ code: 'SALE_NOT_FOUND' });
  });

  it('an unknown sale is SALE_NOT_FOUND for every action', async () => {
    for (const action of ['start', 'pause', 'resume', 'end'] as const) {
      await expect(controlSale(deps, 'nope', action)).rejects.toMatchObject({ code: 'SALE_NOT_FOUND' });
    }
  });

  it('archive ends a running sale, keeps its record and orders, and is idempotent', async () => {
    await publishSale(deps, { ...saleInput('s9'), imageUrl: 'https://shop.example/s9.jpg' });
    expect((await deps.engine.getSale('s9'))?.state).toBe('live');
    const archived = await archiveSale(deps, 's9');
    expect(archived.archivedAt).toBe(clock.now());
    expect(archived.imageUrl).toBe('https://shop.example/s9.jpg');
    expect((await deps.engine.getSale('s9'))?.state).toBe('ended');
    expect(isListed(archived)).toBe(false);
    clock.advance(5000);
    expect((await archiveSale(deps, 's9')).archivedAt).toBe(archived.archivedAt);
    expect((await deps.store.listSales()).map((s) => s.id)).toContain('s9');
    await expect(archiveSale(deps, 'nope')).rejects.toMatchObject({ code: 'SALE_NOT_FOUND' });
  });

  it('archive works on a sale the engine no longer holds', async () => {
    await publishSale(deps, saleInput('s10'));
    const fresh = { ...deps, engine: new MemoryEngine(clock) };
    expect((await archiveSale(fresh, 's10')).archivedAt).toBe(clock.now());
  });
});
