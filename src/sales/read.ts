/** What operators read about sales: the catalog record joined with the engine's live state. */
import type { SaleRecord } from '../db/records.ts';
import type { SaleSample } from '../db/saleHistory.ts';
import { FlashsaleError, isFlashsaleError } from '../domain/errors.ts';
import type { OrderStatus } from '../domain/order.ts';
import type { SaleStats, SaleView } from '../engine/types.ts';
import { onLoadedSale, saleRecord } from './control.ts';
import type { SaleDeps } from './deps.ts';

export interface SaleWithState {
  record: SaleRecord;
  /** Null when the engine does not hold the sale (workers load current sales). */
  view: SaleView | null;
}

export async function listSalesWithState(deps: SaleDeps): Promise<SaleWithState[]> {
  const records = await deps.catalog.list();
  const views = await Promise.all(records.map((r) => deps.engine.getSale(r.id)));
  return records.map((record, i) => ({ record, view: views[i] ?? null }));
}

export async function saleWithState(deps: SaleDeps, saleId: string): Promise<SaleWithState> {
  const record = await saleRecord(deps, saleId);
  return { record, view: await deps.engine.getSale(saleId) };
}

export interface SaleCounters {
  engine: SaleStats;
  orders: Record<OrderStatus, number>;
}

/** The engine's counters (loading the sale if the engine lost it) and the database's order counts. */
export async function saleCounters(deps: SaleDeps, saleId: string): Promise<SaleCounters> {
  const [engine, orders] = await Promise.all([
    onLoadedSale(deps, saleId, () => deps.engine.stats(saleId)),
    deps.store.orderCounts(saleId),
  ]);
  return { engine, orders };
}

/** The figures operators read about a sale: the admin stats route's answer, and each history sample. */
export type SaleFigures = Omit<SaleSample, 'at'>;

/** Shapes a sale's counters into its figures; the stats route and the history sampler both use it. */
export function saleFigures({ engine, orders }: SaleCounters): SaleFigures {
  return {
    stock: { total: engine.total, available: engine.available, held: engine.held, sold: engine.sold },
    queue: { waiting: engine.waiting, admitted: engine.admitted, active: engine.active },
    orders: {
      pending: orders.pending,
      confirmed: orders.confirmed,
      // To an operator as to the buyer, an order PostgreSQL refused as an oversell has failed.
      failed: orders.failed + orders.rejected,
      expired: orders.expired,
    },
  };
}

/**
 * A sale as a buyer sees it: the catalog (cached per process) with the engine's live state.
 * SALE_NOT_FOUND when the catalog has no such sale; UNAVAILABLE while the engine has not loaded it
 * (yet, or again after a Redis loss: a worker's sync tick loads it within seconds) — guessing its
 * state or stock here could show a false "live".
 */
export async function saleForBuyers(
  deps: Pick<SaleDeps, 'catalog' | 'engine'>,
  saleId: string,
): Promise<{ record: SaleRecord; view: SaleView }> {
  const [record, view] = await Promise.all([deps.catalog.get(saleId), deps.engine.getSale(saleId)]);
  if (record === null) throw new FlashsaleError('SALE_NOT_FOUND');
  if (view === null) throw saleBeingLoaded();
  return { record, view };
}

const saleBeingLoaded = () =>
  new FlashsaleError('UNAVAILABLE', 'The sale is being loaded; try again shortly.');

/**
 * Runs a buyer's engine call on a sale. The engine's SALE_NOT_FOUND for a sale the catalog has
 * means the engine lost it (a Redis loss) and a worker reloads it within seconds: UNAVAILABLE (503,
 * Retry-After), as saleForBuyers answers, so a client waits instead of giving up on the sale.
 */
export async function onBuyersSale<T>(
  deps: Pick<SaleDeps, 'catalog'>,
  saleId: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isFlashsaleError(error, 'SALE_NOT_FOUND') && (await deps.catalog.get(saleId)) !== null)
      throw saleBeingLoaded();
    throw error;
  }
}
