import type { Hold } from '../../domain/hold.ts';
import type { RestoredHold, RestoreOutcome } from '../types.ts';
import type { MemorySale } from './memorySale.ts';

/**
 * Putting a sale back after a loss (SaleEngine.restoreHold, restoreUnits), as lua/restoreHold.lua
 * and lua/restoreUnits.lua do it on Redis.
 */

/** A pending order's hold, back with its units held, its user's units and its idempotency key. */
export function restoreHold(sale: MemorySale, restored: RestoredHold): RestoreOutcome {
  if (sale.holds.has(restored.id)) return 'exists';
  if (sale.available < restored.quantity) return 'no_stock';
  sale.available -= restored.quantity;
  sale.held += restored.quantity;
  const hold: Hold = {
    id: restored.id,
    saleId: sale.settings.id,
    userId: restored.userId,
    quantity: restored.quantity,
    expiresAt: restored.expiresAt,
    status: 'held',
    releaseReason: null,
  };
  sale.holds.set(hold.id, hold);
  addLive(sale, hold);
  if (restored.idempotencyKey !== null)
    sale.idempotency.set(`${hold.userId}\n${restored.idempotencyKey}`, hold.id);
  addUnits(sale, hold.userId, hold.quantity);
  return 'restored';
}

/** Units a user holds or bought, counted against their limit. */
export function addUnits(sale: MemorySale, userId: string, units: number): void {
  const shopper = sale.shoppers.get(userId);
  if (shopper) shopper.units += units;
  else sale.shoppers.set(userId, { ticket: 0, units });
}

/** Keeps `live` in deadline order (the sweeper stops at the first hold not yet due). */
function addLive(sale: MemorySale, hold: Hold): void {
  const last = [...sale.live].at(-1);
  sale.live.add(hold.id);
  if (last === undefined || (sale.holds.get(last) as Hold).expiresAt <= hold.expiresAt) return;
  const ordered = [...sale.live].sort(
    (a, b) => (sale.holds.get(a) as Hold).expiresAt - (sale.holds.get(b) as Hold).expiresAt,
  );
  sale.live.clear();
  for (const id of ordered) sale.live.add(id);
}
