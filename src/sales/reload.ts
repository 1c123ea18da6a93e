/**
 * Loading a sale from the catalog into an engine that does not hold it: a restarted embedded process,
 * or a Redis that lost its data. PostgreSQL is the record, so the sale comes back as it records it:
 * the operator's switches and schedule, the units counted as sold (they never go back on sale), each
 * buyer's confirmed units against their limit, and every pending order's hold with its idempotency
 * key. Pending orders are never refunded because the engine forgot them: their holds come back.
 */
import type { OrderStore } from '../db/orderStore.ts';
import type { SaleRecord } from '../db/records.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import type { SaleEngine } from '../engine/types.ts';

/** Sales that ended more than an hour ago are left alone: their holds have long expired. */
export const isCurrent = (sale: SaleRecord, now: number) => sale.endsAt + 60 * 60 * 1000 > now;

/** When a sale ended: its end time, or earlier if an operator ended it. */
export const endedAt = (sale: SaleRecord): number =>
  Math.min(sale.endsAt, sale.endedAt ?? Number.POSITIVE_INFINITY);

/**
 * Loads one sale if the engine lacks it; `loaded` when this call did, with how many pending orders'
 * holds it put back. Safe to race: only the call that creates the sale restores it.
 */
export async function loadMissingSale(
  engine: SaleEngine,
  store: OrderStore,
  sale: SaleRecord,
  now: number,
): Promise<{ loaded: boolean; restored: number }> {
  const notLoaded = { loaded: false, restored: 0 };
  if ((await engine.getSale(sale.id)) !== null) return notLoaded;
  const sold = await store.soldUnits(sale.id);
  try {
    await engine.createSale(sale, { sold, flags: sale.flags });
  } catch (error) {
    if (isFlashsaleError(error, 'SALE_EXISTS')) return notLoaded;
    throw error;
  }
  // Only the caller that created the sale restores it, so units are counted once.
  await engine.restoreUnits(sale.id, await store.confirmedUnitsByBuyer(sale.id));
  return { loaded: true, restored: await restorePendingHolds(engine, store, sale, now) };
}

/**
 * Puts back the hold of every pending order of a sale. A hold gets a full hold period from now (or its
 * own deadline if later): the time the engine was gone is not the buyer's. Holds the engine still has
 * are left alone. Returns how many came back.
 */
export async function restorePendingHolds(
  engine: SaleEngine,
  store: OrderStore,
  sale: SaleRecord,
  now: number,
): Promise<number> {
  let restored = 0;
  for (const order of await store.pendingOrdersOfSale(sale.id)) {
    const outcome = await engine.restoreHold(sale.id, {
      id: order.holdId,
      userId: order.userId,
      quantity: order.quantity,
      expiresAt: Math.max(order.holdExpiresAt ?? 0, now + sale.holdSeconds * 1000),
      idempotencyKey: order.idempotencyKey,
    });
    // no_stock: PostgreSQL's sold count leaves no room; the order's job finds no hold and ends it.
    if (outcome === 'restored') restored += 1;
  }
  return restored;
}

/** Loads every current sale the engine lacks; returns how many it loaded and holds it put back. */
export async function reloadCurrentSales(
  deps: { engine: SaleEngine; store: OrderStore },
  now: number,
): Promise<{ loaded: number; restored: number }> {
  const total = { loaded: 0, restored: 0 };
  for (const sale of await deps.store.listSales()) {
    if (!isCurrent(sale, now)) continue;
    const { loaded, restored } = await loadMissingSale(deps.engine, deps.store, sale, now);
    if (loaded) total.loaded += 1;
    total.restored += restored;
  }
  return total;
}

/**
 * same: the engine holds the data PostgreSQL last saw. reset: the engine lost its data (or is new)
 * since: reload it, then call `recorded()` once done. Throws (loudly) when the engine belongs to
 * another deployment (acting on it would mix two sales' states), and when it is an empty store at
 * another location than the one recorded: a REDIS_URL pointing at a Redis that has never seen this
 * catalog, where reloading would split the sales between two stores. `adoptStore` (the worker's
 * `--adopt-redis`, for a Redis moved on purpose) accepts the new location and reloads into it.
 */
export type EngineCheck =
  | { status: 'same'; id: string }
  | { status: 'reset'; id: string; recorded(): Promise<void> };

export async function checkEngine(deps: {
  engine: SaleEngine;
  store: OrderStore;
  adoptStore?: boolean;
}): Promise<EngineCheck> {
  const recorded = await deps.store.recordedIncarnation();
  const recordedId = recorded?.id ?? null;
  const location = deps.engine.location;
  const current = await deps.engine.incarnation(recordedId);
  if (current.id === recordedId) return { status: 'same', id: current.id };
  if (current.parent !== recordedId) {
    throw new Error(
      `flashsale: the sale engine's store (incarnation ${current.id}, created after ${current.parent ?? 'none'}) ` +
        `is not the one this database knows (${recordedId ?? 'none'}): REDIS_URL points at another ` +
        "deployment's Redis. Refusing to act on it.",
    );
  }
  const moved = recorded !== null && recorded.location !== null && recorded.location !== location;
  if (moved && deps.adoptStore !== true) {
    throw new Error(
      `flashsale: the sale engine's store at ${location} is empty and has never seen this catalog, ` +
        `which was served from ${recorded.location}. Refusing to act on it: check REDIS_URL and ` +
        'FLASHSALE_REDIS_PREFIX. If Redis moved there on purpose, run `flashsale worker --adopt-redis` once.',
    );
  }
  return {
    status: 'reset',
    id: current.id,
    // Another process may have recorded it first; then there is nothing left to do.
    recorded: async () => void (await deps.store.recordIncarnation(recordedId, current.id, location)),
  };
}
