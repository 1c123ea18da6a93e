/**
 * Sampling each open sale's counters into its history (src/db/saleHistory.ts), so the console can
 * draw a sale from the opening of its waiting room. The worker's ticks call `sampleSales` every
 * FLASHSALE_HISTORY_INTERVAL_MS and `purgeHistory` now and then. Any number of workers may sample at
 * once: a sample's bucket is the instant rounded down to the interval, and a bucket keeps one row.
 */
import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';
import type { SaleSample } from '../db/saleHistory.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { saleRecord } from './control.ts';
import { saleFigures } from './read.ts';
import { endedAt } from './reload.ts';

export interface HistoryOptions {
  /** How often each open sale is sampled (FLASHSALE_HISTORY_INTERVAL_MS). */
  intervalMs: number;
  /** Samples older than this are deleted (FLASHSALE_HISTORY_RETENTION_DAYS). */
  retentionMs: number;
}

/** After its end a sale is sampled a little longer: orders in flight settle, holds come back. */
export const HISTORY_TAIL_MS = 5 * 60_000;

/** A sale is sampled from the opening of its waiting room until a few minutes after it ended. */
export const isSampled = (sale: SaleRecord, now: number): boolean =>
  sale.prequeueAt <= now && now < endedAt(sale) + HISTORY_TAIL_MS;

interface SamplerDeps {
  engine: SaleEngine;
  store: OrderStore;
  clock: Clock;
  log: Logger;
}

/**
 * The figures of one sale now, as the admin stats route reports them (saleFigures). Unlike that
 * route it does not load a sale the engine lost: the caller skips it (SALE_NOT_FOUND).
 */
export async function takeSample(deps: SamplerDeps, saleId: string, at: number): Promise<SaleSample> {
  const [engine, orders] = await Promise.all([deps.engine.stats(saleId), deps.store.orderCounts(saleId)]);
  return { at, ...saleFigures({ engine, orders }) };
}

/**
 * Records one sample of each sale open at the clock's now, in the bucket of that instant; answers
 * how many rows this call wrote (another worker may have taken a bucket first). A sale the engine
 * does not hold (not loaded yet, or its keys expired) is skipped: no figures beat made-up ones.
 */
export async function sampleSales(
  deps: SamplerDeps,
  sales: readonly SaleRecord[],
  intervalMs: number,
): Promise<number> {
  const now = deps.clock.now();
  const at = now - (now % intervalMs);
  let written = 0;
  for (const sale of sales) {
    if (!isSampled(sale, now)) continue;
    try {
      if (await deps.store.history.record(sale.id, await takeSample(deps, sale.id, at))) written += 1;
    } catch (error) {
      if (!isFlashsaleError(error, 'SALE_NOT_FOUND')) throw error;
    }
  }
  return written;
}

/** Deletes the samples older than the retention; answers how many went. */
export async function purgeHistory(deps: SamplerDeps, retentionMs: number): Promise<number> {
  const purged = await deps.store.history.purgeBefore(deps.clock.now() - retentionMs);
  if (purged > 0) deps.log.info({ purged }, 'sale history past its retention deleted');
  return purged;
}

/** The most points one history answer carries, and the default: enough for a chart's width. */
export const HISTORY_POINTS = { default: 300, min: 2, max: 1000 } as const;

/** A sale's history for the console; SALE_NOT_FOUND when the catalog has no such sale. */
export async function readSaleHistory(
  deps: Pick<SamplerDeps, 'store'>,
  saleId: string,
  maxPoints: number = HISTORY_POINTS.default,
): Promise<SaleSample[]> {
  await saleRecord(deps, saleId);
  return deps.store.history.read(saleId, maxPoints);
}
