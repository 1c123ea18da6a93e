import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { isCurrent, loadMissingSale } from './reload.ts';

export interface TickOptions {
  admitEveryMs: number;
  sweepEveryMs: number;
  syncEveryMs: number;
  sweepBatch: number;
}

export const DEFAULT_TICKS: TickOptions = {
  admitEveryMs: 250,
  sweepEveryMs: 1000,
  syncEveryMs: 5000,
  sweepBatch: 500,
};

/**
 * The periodic work of a `flashsale worker` (and of the embedded process): the waiting room's
 * admission steps, the hold sweeper, and loading sales from the catalog into the engine. Every step is atomic in the engine, so any number of workers can
 * run these at once: a duplicated tick admits nothing extra (the rate is a token bucket in the store)
 * and a hold is released once. A sale's start and end need no timer: its state follows the clock,
 * and the first admission step after the start fixes the pre-queue order.
 */
export function startTicks(
  deps: { engine: SaleEngine; store: OrderStore; clock: Clock; log: Logger },
  options: TickOptions = DEFAULT_TICKS,
): () => Promise<void> {
  let sales: SaleRecord[] = [];
  let stopped = false;
  const running = new Set<Promise<void>>();

  const current = () => sales.filter((s) => isCurrent(s, deps.clock.now()));

  const sync = async () => {
    sales = await deps.store.listSales();
    for (const sale of current()) {
      if (await loadMissingSale(deps.engine, deps.store, sale)) {
        deps.log.info({ saleId: sale.id }, 'sale loaded into the engine from the catalog');
      }
    }
  };
  const admit = async () => {
    for (const sale of current()) await deps.engine.admit(sale.id);
  };
  const sweep = async () => {
    for (const sale of current()) {
      let released = 0;
      do {
        released = await deps.engine.sweepExpired(sale.id, options.sweepBatch);
        if (released > 0) deps.log.info({ saleId: sale.id, released }, 'expired holds released');
      } while (released === options.sweepBatch && !stopped);
    }
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
  });

  return async () => {
    stopped = true;
    await Promise.all(running);
  };
}
