/**
 * A sale's history (migration 008): its counters sampled every few seconds by the workers, read back
 * by the console so its charts start at the opening of the waiting room. One row per sale and
 * bucket; a second worker's sample of the same bucket changes nothing.
 */
import type { Queryable } from './database.ts';
import { iso } from './records.ts';

/** One sample: the same figures as the admin stats route, at the start of its bucket. */
export interface SaleSample {
  /** Epoch ms: the sampling instant rounded down to the sampling interval. */
  at: number;
  stock: { total: number; available: number; held: number; sold: number };
  queue: { waiting: number; admitted: number; active: number };
  /** `failed` includes orders PostgreSQL refused as an oversell, as the stats route counts them. */
  orders: { pending: number; confirmed: number; failed: number; expired: number };
}

interface SampleRow {
  at: Date | string;
  total: number;
  available: number;
  held: number;
  sold: number;
  waiting: number;
  admitted: number;
  active: number;
  pending: number;
  confirmed: number;
  failed: number;
  expired: number;
}

const toSample = (r: SampleRow): SaleSample => ({
  at: new Date(r.at).getTime(),
  stock: { total: r.total, available: r.available, held: r.held, sold: r.sold },
  queue: { waiting: r.waiting, admitted: r.admitted, active: r.active },
  orders: { pending: r.pending, confirmed: r.confirmed, failed: r.failed, expired: r.expired },
});

export class SaleHistoryStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Records one sample of a sale; false when its bucket already has one (another worker sampled it
   * first) or when the catalog has no such sale.
   */
  async record(saleId: string, sample: SaleSample): Promise<boolean> {
    const { stock, queue, orders } = sample;
    const rows = await this.db.query(
      `INSERT INTO sale_history (sale_id, at, total, available, held, sold, waiting, admitted, active,
         pending, confirmed, failed, expired)
       SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM sales WHERE id = $1
       ON CONFLICT (sale_id, at) DO NOTHING RETURNING sale_id`,
      [
        saleId,
        iso(sample.at),
        stock.total,
        stock.available,
        stock.held,
        stock.sold,
        queue.waiting,
        queue.admitted,
        queue.active,
        orders.pending,
        orders.confirmed,
        orders.failed,
        orders.expired,
      ],
    );
    return rows.length > 0;
  }

  /**
   * A sale's samples in time order, at most `maxPoints` (2 or more) of them: a longer history keeps
   * every k-th sample and the last one, so a day-long sale still draws its whole shape, ending on the
   * latest figures. Counters are kept as sampled, not averaged: each point is a real instant.
   */
  async read(saleId: string, maxPoints: number): Promise<SaleSample[]> {
    const rows = await this.db.query<SampleRow>(
      `SELECT at, total, available, held, sold, waiting, admitted, active, pending, confirmed, failed, expired
       FROM (
         SELECT h.*, row_number() OVER (ORDER BY at) - 1 AS i, count(*) OVER () AS n
         FROM sale_history h WHERE sale_id = $1
       ) numbered
       WHERE n <= $2 OR i % ceil(n::numeric / ($2 - 1))::bigint = 0 OR i = n - 1
       ORDER BY at`,
      [saleId, Math.max(2, Math.floor(maxPoints))],
    );
    return rows.map(toSample);
  }

  /** Deletes every sample older than `before` (epoch ms); answers how many went. */
  async purgeBefore(before: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      'WITH gone AS (DELETE FROM sale_history WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone',
      [iso(before)],
    );
    return Number(row?.n ?? 0);
  }
}
