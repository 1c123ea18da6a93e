import type { OrderStore } from '../db/orderStore.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import type { Catalog } from './catalog.ts';

/** What the sale use cases need: the engine (live state), the store (the record) and the clock. */
export interface SaleDeps {
  engine: SaleEngine;
  store: OrderStore;
  catalog: Catalog;
  clock: Clock;
}
