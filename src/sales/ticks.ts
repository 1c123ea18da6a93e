import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { type HistoryOptions, purgeHistory, sampleSales } from './history.ts';
import { checkEngine, endedAt, isCurrent, loadMissingSale } from './reload.ts';

export interface TickOptions {
  admitEveryMs: number;
  sweepEveryMs: number;
  syncEveryMs: number;
  sweepBatch: number;
  /** A sale's keys expire this long after it ends (FLASHSALE_SALE_RETENTION_SECONDS; default a day). */
  retentionMs?: number;
  /** Sampling open sales into their history (history.ts); absent or false: no sampling. */
  history?: HistoryOptions | false;
}

export const DEFAULT_TICKS: TickOptions = {
  admitEveryMs: 250,
  sweepEveryMs: 1000,
  syncEveryMs: 5000,
  sweepBatch: 500,
};

const DAY_MS = 86_400_000;
/** Old samples are few and indexed by age: looking for them every ten minutes is plenty. */
const HISTORY_PURGE_EVERY_MS = 10 * 60_000;

/**
 * The periodic work of a `flashsale worker` (and of the embedded process): the waiting room's
 * admission steps, the hold sweeper, and loading sales from the catalog into the engine. The sync
 * tick also notices an engine that lost its data (a new incarnation, see reload.ts): it reloads every
 * current sale and calls `onReset` (the worker adds the pending orders' jobs again); an engine of
 * another deployment stops admission and sweeping until it is fixed. Every step is atomic in the engine, so any number of workers can
 * run these at once: a duplicated tick admits nothing extra (the rate is a token bucket in the store)
 * and a hold is released once. A sale's start and end need no timer: its state follows the clock,
 * and the first admission step after the start fixes the pre-queue order. With `history`, each open
 * sale's counters are sampled into the database (history.ts), and old samples deleted.
 */
export function startTicks(
  deps: {
    engine: SaleEngine;
    store: OrderStore;
    clock: Clock;
    log: Logger;
    /** After the engine was found reset and its sales reloaded. */
    onReset?: () => Promise<void>;
  },
  options: TickOptions = DEFAULT_TICKS,
): () => Promise<void> {
  let sales: SaleRecord[] = [];
  let stopped = false;
  const running = new Set<Promise<void>>();

  const current = () => sales.filter((s) => isCurrent(s, deps.clock.now()));

  // Until the sync tick has checked the engine, and while it is another deployment's, nothing acts on it.
  let checked = false;
  // Sales whose expiry this process has set (once per engine incarnation).
  const expiring = new Set<string>();
  const sync = async () => {
    const engine = await checkEngine(deps).catch((error: unknown) => {
      checked = false;
      throw error;
    });
    sales = await deps.store.listSales();
    for (const sale of current()) {
      if ((await loadMissingSale(deps.engine, deps.store, sale, deps.clock.now())).loaded) {
        deps.log.info({ saleId: sale.id }, 'sale loaded into the engine from the catalog');
      }
    }
    if (engine.status === 'reset') {
      expiring.clear();
      await deps.onReset?.();
      await engine.recorded();
      deps.log.warn({ incarnation: engine.id }, 'sale engine was reset: sales and pending orders reloaded');
    }
    for (const sale of sales) {
      const ended = endedAt(sale);
      if (ended > deps.clock.now() || expiring.has(sale.id)) continue;
      await deps.engine.expireSale(sale.id, ended + (options.retentionMs ?? DAY_MS));
      expiring.add(sale.id);
    }
    checked = true;
  };
  const admit = async () => {
    if (!checked) return;
    for (const sale of current()) await deps.engine.admit(sale.id);
  };
  const sweep = async () => {
    if (!checked) return;
    for (const sale of current()) {
      let released = 0;
      do {
        released = await deps.engine.sweepExpired(sale.id, options.sweepBatch);
        if (released > 0) deps.log.info({ saleId: sale.id, released }, 'expired holds released');
      } while (released === options.sweepBatch && !stopped);
    }
  };
  let purgedAt = Number.NEGATIVE_INFINITY;
  const sample = async (history: HistoryOptions) => {
    if (!checked) return;
    await sampleSales(deps, current(), history.intervalMs);
    if (deps.clock.now() - purgedAt < HISTORY_PURGE_EVERY_MS) return;
    await purgeHistory(deps, history.retentionMs);
    purgedAt = deps.clock.now();
  };

  // Each loop waits for its previous run to finish before scheduling the next: no pile-up when slow.
  const loop = (name: string, everyMs: number, fn: () => Promise<void>) => {
    const run = async () => {
      if (stopped) return;
      const done = fn()
        .catch((error: unknown) => deps.log.warn({ err: error, tick: name }, 'tick failed'))
        .finally(() => running.delete(done));
      running.add(done);
      await done;
      if (!stopped) setTimeout(run, everyMs).unref();
    };
    return run;
  };
  const startSync = loop('sync', options.syncEveryMs, sync);
  void startSync().then(() => {
    void loop('admit', options.admitEveryMs, admit)();
    void loop('sweep', options.sweepEveryMs, sweep)();
    const history = options.history;
    if (history) void loop('history', history.intervalMs, () => sample(history))();
  });

  return async () => {
    stopped = true;
    await Promise.all(running);
  };
}
