import type { OrderStore } from '../db/orderStore.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import type { Catalog } from './catalog.ts';

/** What the sale use cases need: the engine (live state), the store (the record) and the clock. */
export interface SaleDeps {
  engine: SaleEngine;
  /** The shards a sale may be split over: sales published without `parts` get their default from it. */
  shards: number;
  store: OrderStore;
  catalog: Catalog;
  clock: Clock;
}
