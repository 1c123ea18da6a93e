/** What operators read about sales: the catalog record joined with the engine's live state. */
import type { SaleRecord } from '../db/records.ts';
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
