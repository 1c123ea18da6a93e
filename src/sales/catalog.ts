import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';

const MAX_ENTRIES = 10_000;

/**
 * The sale catalog as the hot path sees it: PostgreSQL rows cached in process. A sale's price and
 * name do not change during a drop, so a few seconds of staleness costs nothing and saves a query
 * per checkout.
 */
export class Catalog {
  private readonly cache = new Map<string, { sale: SaleRecord | null; at: number }>();

  constructor(
    private readonly store: Pick<OrderStore, 'getSale' | 'listSales'>,
    private readonly ttlMs = 5000,
  ) {}

  async get(saleId: string): Promise<SaleRecord | null> {
    const hit = this.cache.get(saleId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.sale;
    const sale = await this.store.getSale(saleId);
    // Unknown ids are cached too (probing must not reach the database each time); bound the map.
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(saleId, { sale, at: Date.now() });
    return sale;
  }

  async list(): Promise<SaleRecord[]> {
    const sales = await this.store.listSales();
    for (const sale of sales) this.cache.set(sale.id, { sale, at: Date.now() });
    return sales;
  }

  forget(saleId: string): void {
    this.cache.delete(saleId);
  }
}
