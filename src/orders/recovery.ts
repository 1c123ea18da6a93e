import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { OrderRecord } from '../db/records.ts';
import type { SaleEngine } from '../engine/types.ts';
import { checkEngine, isCurrent, reloadCurrentSales, restorePendingHolds } from '../sales/reload.ts';
import type { JobQueue } from './jobs/types.ts';
import { type OrderJob, orderJobOf } from './orderJobs.ts';

export interface RecoveryDeps {
  engine: SaleEngine;
  store: OrderStore;
  orders: JobQueue<OrderJob>;
  orderAttempts: number;
  log: Logger;
}

/**
 * Recovery after the engine lost its state: an embedded process that was killed (its memory engine
 * and in-process jobs died with it), or a Redis that lost data (its BullMQ queues with it).
 * PostgreSQL is the record, so nothing is refunded because the engine forgot it:
 *  - a sale the engine no longer knows is loaded from the catalog with its switches, sold units,
 *    buyers' units and the holds of its pending orders (src/sales/reload.ts);
 *  - every pending order gets its hold back (if its sale is still current) and its job added again
 *    (the job id is the hold id: a job still queued is not added twice), and the job finishes it.
 * Safe to run on every start and in parallel. Refuses (throws) when the engine's store belongs to
 * another deployment, or is an empty store at a location the catalog was never served from (unless
 * `adoptStore`).
 */
export async function recoverEngineState(
  deps: RecoveryDeps & { now: number; adoptStore?: boolean },
): Promise<{ loaded: number; restored: number; requeued: number }> {
  const engine = await checkEngine(deps);
  const reloaded = await reloadCurrentSales(deps, deps.now);
  const resumed = await resumePendingOrders(deps, deps.now);
  const loaded = reloaded.loaded;
  const restored = reloaded.restored + resumed.restored;
  const requeued = resumed.requeued;
  if (engine.status === 'reset') {
    await engine.recorded();
    const summary = { incarnation: engine.id, loaded, restored, requeued };
    // A first start on an empty Redis is routine; anything reloaded means Redis had lost data.
    if (loaded + restored + requeued > 0) deps.log.warn(summary, 'sale engine reloaded from PostgreSQL');
    else deps.log.info(summary, 'sale engine incarnation recorded');
  }
  return { loaded, restored, requeued };
}

/** Puts back every pending order's hold the engine lacks and adds its job again. */
export async function resumePendingOrders(
  deps: RecoveryDeps,
  now: number,
): Promise<{ restored: number; requeued: number }> {
  let restored = 0;
  let requeued = 0;
  const bySale = new Map<string, OrderRecord[]>();
  for (const order of await pendingOrders(deps.store)) {
    bySale.set(order.saleId, [...(bySale.get(order.saleId) ?? []), order]);
  }
  for (const [saleId, orders] of bySale) {
    const sale = await deps.store.getSale(saleId);
    if (sale !== null && isCurrent(sale, now) && (await deps.engine.getSale(saleId)) !== null) {
      restored += await restorePendingHolds(deps.engine, deps.store, sale, now);
    }
    for (const order of orders) {
      await deps.orders.add('place-order', orderJobOf(order), {
        jobId: order.holdId,
        attempts: deps.orderAttempts,
      });
      requeued += 1;
    }
  }
  return { restored, requeued };
}

async function pendingOrders(store: OrderStore, batch = 1000): Promise<OrderRecord[]> {
  const all: OrderRecord[] = [];
  for (;;) {
    const page = await store.pendingOrders(batch, all.length);
    all.push(...page);
    if (page.length < batch) return all;
  }
}
