/**
 * Scrape-time figures: the current sales' counters from the engine, their orders and oversell
 * refusals from the database, and the job queues' counts. Every read races one deadline, so /metrics
 * answers in time when Redis or PostgreSQL does not (the sources that missed it are reported as
 * `flashsale_metrics_source_up{source} 0` and their series left out, never stale). Reads are gathered
 * first and applied to the gauges in one synchronous step, so a late answer cannot leak into a later
 * scrape, and concurrent scrapes share one collection.
 */

import type { OrderStore } from '../db/orderStore.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { OrderStatus } from '../domain/order.ts';
import { SALE_STATES, type SaleState } from '../domain/sale.ts';
import type { Clock, SaleEngine, SaleStats } from '../engine/types.ts';
import type { JobCounts, JobQueue } from '../orders/jobs/types.ts';
import type { Queues } from '../orders/orderJobs.ts';
import { RECONCILER_ACTIONS } from '../orders/reconciler.ts';
import type { Catalog } from '../sales/catalog.ts';
import { isCurrent } from '../sales/reload.ts';
import type { AppMetrics } from './metrics.ts';

/** Well inside Prometheus' default scrape timeout (10 s). */
export const COLLECT_TIMEOUT_MS = 2000;
/** Sales read per scrape at most (the most recent by start). */
export const MAX_SALES = 200;

const SOURCES = ['catalog', 'engine', 'database', 'queues'] as const;
type Source = (typeof SOURCES)[number];

type Outcome<T> = { ok: true; value: T } | { ok: false; missing?: boolean };

interface SaleFigures {
  id: string;
  state: Outcome<SaleState | null>;
  stats: Outcome<SaleStats>;
  orders: Outcome<Record<OrderStatus, number>>;
  oversell: Outcome<number>;
}

export interface Snapshot {
  sources: Record<Source, boolean>;
  sales: SaleFigures[];
  queues: Array<{ name: string; counts: Outcome<JobCounts> }>;
  reconciler: Outcome<Record<string, number>>;
  seconds: number;
}

/** Settles `run()` by the deadline; a sale the engine does not hold is `missing`, not a failure. */
async function until<T>(deadline: number, run: () => Promise<T>): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false }), Math.max(0, deadline - Date.now()));
  });
  const read = Promise.resolve()
    .then(run)
    .then(
      (value): Outcome<T> => ({ ok: true, value }),
      (error: unknown): Outcome<T> =>
        isFlashsaleError(error, 'SALE_NOT_FOUND') ? { ok: false, missing: true } : { ok: false },
    );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const failed = (o: Outcome<unknown>) => !o.ok && o.missing !== true;

/** Where scrape-time figures come from (the app's own stores). */
export interface MetricSources {
  catalog: Catalog;
  engine: SaleEngine;
  store: OrderStore;
  queues: Queues;
  clock: Clock;
}

export async function readSnapshot(app: MetricSources, timeoutMs = COLLECT_TIMEOUT_MS): Promise<Snapshot> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const queueList: Array<Pick<JobQueue<unknown>, 'name' | 'counts'>> = Object.values(app.queues);
  const queueReads = queueList.map(async (q) => ({
    name: q.name,
    counts: await until(deadline, () => q.counts()),
  }));
  const reconcilerRead = until(deadline, () => app.store.reconcilerActionCounts());
  const catalog = await until(deadline, () => app.catalog.list());
  const now = app.clock.now();
  const current = catalog.ok ? catalog.value.filter((s) => isCurrent(s, now)).slice(-MAX_SALES) : [];
  const sales = await Promise.all(
    current.map(async ({ id }): Promise<SaleFigures> => {
      const [state, stats, orders, oversell] = await Promise.all([
        until(deadline, async () => (await app.engine.getSale(id))?.state ?? null),
        until(deadline, () => app.engine.stats(id)),
        until(deadline, () => app.store.orderCounts(id)),
        until(deadline, () => app.store.oversellRefusals(id)),
      ]);
      return { id, state, stats, orders, oversell };
    }),
  );
  const queues = await Promise.all(queueReads);
  const reconciler = await reconcilerRead;
  return {
    sources: {
      catalog: catalog.ok,
      engine: catalog.ok && !sales.some((s) => failed(s.state) || failed(s.stats)),
      database: catalog.ok && reconciler.ok && !sales.some((s) => failed(s.orders) || failed(s.oversell)),
      queues: queues.every((q) => q.counts.ok),
    },
    sales,
    queues,
    reconciler,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Replaces every scrape-time series with the snapshot's (synchronous: no scrape sees half of it). */
export function applySnapshot(m: AppMetrics, snap: Snapshot): void {
  for (const g of [m.waiting, m.admitted, m.active, m.stock, m.stockTotal, m.saleState, m.orders]) g.reset();
  m.dbOversell.reset();
  m.jobs.reset();
  m.reconcilerActions.reset();
  for (const source of SOURCES) m.sourceUp.set({ source }, snap.sources[source] ? 1 : 0);
  m.collectSeconds.set(snap.seconds);

  for (const sale of snap.sales) {
    const labels = { sale: sale.id };
    if (sale.state.ok && sale.state.value !== null) {
      const current = sale.state.value;
      for (const state of SALE_STATES) m.saleState.set({ ...labels, state }, state === current ? 1 : 0);
    }
    if (sale.stats.ok) {
      const s = sale.stats.value;
      m.waiting.set(labels, s.waiting);
      m.admitted.set(labels, s.admitted);
      m.active.set(labels, s.active);
      m.stockTotal.set(labels, s.total);
      for (const state of ['available', 'held', 'sold'] as const) m.stock.set({ ...labels, state }, s[state]);
    }
    if (sale.orders.ok) {
      for (const [status, n] of Object.entries(sale.orders.value)) m.orders.set({ ...labels, status }, n);
    }
    if (sale.oversell.ok) m.dbOversell.set(labels, sale.oversell.value);
  }
  if (snap.reconciler.ok) {
    // Every action appears, at 0 until taken, so the alert's delta() has a series from the start.
    for (const action of RECONCILER_ACTIONS) {
      m.reconcilerActions.set({ action }, snap.reconciler.value[action] ?? 0);
    }
  }
  for (const q of snap.queues) {
    if (!q.counts.ok) continue;
    for (const [state, n] of Object.entries(q.counts.value)) m.jobs.set({ queue: q.name, state }, n);
  }
}

const inflight = new WeakMap<AppMetrics, Promise<void>>();

/** Reads and applies a snapshot; scrapes arriving meanwhile wait for the same one. */
export function refresh(app: MetricSources, m: AppMetrics, timeoutMs = COLLECT_TIMEOUT_MS): Promise<void> {
  const running = inflight.get(m);
  if (running !== undefined) return running;
  const next = readSnapshot(app, timeoutMs)
    .then((snap) => applySnapshot(m, snap))
    .finally(() => inflight.delete(m));
  inflight.set(m, next);
  return next;
}
