/**
 * Loading a sale from the catalog into an engine that does not hold it: a restarted embedded process,
 * or a Redis that lost its data. PostgreSQL is the record, so the sale comes back with the units
 * PostgreSQL counts as sold (they never go back on sale); the holds the engine had are gone.
 */
import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { SaleEngine } from '../engine/types.ts';

/** Sales that ended more than an hour ago are left alone: their holds have long expired. */
export const isCurrent = (sale: SaleRecord, now: number) => sale.endsAt + 60 * 60 * 1000 > now;

/** Loads one sale if the engine lacks it; true when this call loaded it. Safe to race. */
export async function loadMissingSale(
  engine: SaleEngine,
  store: OrderStore,
  sale: SaleRecord,
): Promise<boolean> {
  if ((await engine.getSale(sale.id)) !== null) return false;
  const sold = await store.soldUnits(sale.id);
  try {
    await engine.createSale(sale, { sold });
    return true;
  } catch (error) {
    if (isFlashsaleError(error, 'SALE_EXISTS')) return false;
    throw error;
  }
}

/** Loads every current sale the engine lacks; returns how many it loaded. */
export async function reloadCurrentSales(
  deps: { engine: SaleEngine; store: OrderStore },
  now: number,
): Promise<number> {
  let loaded = 0;
  for (const sale of await deps.store.listSales()) {
    if (isCurrent(sale, now) && (await loadMissingSale(deps.engine, deps.store, sale))) loaded += 1;
  }
  return loaded;
}
