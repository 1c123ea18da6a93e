import type { Hold } from '../../domain/hold.ts';
import { type AdmissionWindow, findWindow, MAX_POLL_AFTER_MS } from '../../domain/queue.ts';
import type { PartOfPool, SaleFlags, SaleSettings, SaleState } from '../../domain/sale.ts';
import { placeOf, ticketAt } from '../../domain/shuffle.ts';
import { admissionStep } from '../../domain/waitingRoom.ts';
import { type AdmitResult, LAPSED_LIMIT, type PendingMove } from '../types.ts';

/**
 * The memory engine's sale record and its waiting room's slots: who holds a slot (leases), who left
 * the line (departed) and whose session ended early (spent). Each function mirrors a Lua script or
 * include of the Redis adapter (named at each), so that the two engines stay one behaviour.
 */
export interface Shopper {
  /** 0: reserved without joining the waiting room, or left the line. */
  ticket: number;
  /** Units held or bought, against the per-user limit. */
  units: number;
}

export interface MemorySale {
  settings: SaleSettings;
  flags: SaleFlags;
  available: number;
  held: number;
  sold: number;
  issued: number;
  prequeueSize: number | null;
  serving: number;
  allowanceMilli: number;
  lastStepAt: number | null;
  windows: AdmissionWindow[];
  shuffleKeys: number[] | null;
  shoppers: Map<string, Shopper>;
  /** Place → lease deadline, for each admitted place still holding its slot. */
  leases: Map<number, number>;
  /** Tickets that left the line while waiting, until admission passes over them. */
  departed: Set<number>;
  /** Admitted places whose session ended early: left, or their heartbeat lapsed. */
  spent: Set<number>;
  /** Places admission passed over because their buyer had left. */
  passed: number;
  holds: Map<string, Hold>;
  /** Holds still held, in reservation order — which is deadline order, as holdSeconds is per sale. */
  live: Set<string>;
  /** `${userId}\n${idempotencyKey}` → hold id. */
  idempotency: Map<string, string>;
  /** Set on a part of a split sale (engine/parted). */
  pool: PartOfPool | null;
  /** Moves of units out of this part not yet settled, by move id (lua/moveOut.lua). */
  moves: Map<string, PendingMove>;
  /** Move ids whose units this part received (lua/moveIn.lua). */
  movedIn: Set<string>;
}

/** lua/moveOut.lua: takes up to `units` available units off a part and records the move. */
export function moveOut(sale: MemorySale, moveId: string, toSaleId: string, units: number): number {
  const recorded = sale.moves.get(moveId);
  if (recorded !== undefined) return recorded.units;
  const taken = Math.min(units, sale.available);
  if (taken <= 0) return 0;
  sale.available -= taken;
  sale.settings = { ...sale.settings, totalStock: sale.settings.totalStock - taken };
  sale.moves.set(moveId, { moveId, toSaleId, units: taken });
  return taken;
}

/** lua/moveIn.lua: adds a move's units to a part, once per move id. */
export function moveIn(sale: MemorySale, moveId: string, units: number): boolean {
  if (sale.movedIn.has(moveId)) return false;
  sale.movedIn.add(moveId);
  sale.available += units;
  sale.settings = { ...sale.settings, totalStock: sale.settings.totalStock + units };
  return true;
}

/** The live window holding an admitted place, or null once its session is over. */
export function liveWindowOf(sale: MemorySale, place: number, now: number): AdmissionWindow | null {
  const window = findWindow(sale.windows, place);
  if (window === null || window.at + sale.settings.admission.sessionSeconds * 1000 <= now) return null;
  return window;
}

/** A place's slot goes back to the room, once: its lease goes, and its live window counts it freed. */
export function freePlace(sale: MemorySale, place: number, now: number): boolean {
  if (!sale.leases.delete(place)) return false;
  const window = liveWindowOf(sale, place, now);
  if (window === null) return false;
  window.freed += 1;
  return true;
}

/**
 * Slots whose lease ran out: freed for the admission step that follows, and their sessions ended.
 * In the order Redis ranges a sorted set (deadline, then the place as text), at most LAPSED_LIMIT.
 */
export function freeLapsed(sale: MemorySale, now: number): void {
  const lapsed = [...sale.leases]
    .filter(([, until]) => until <= now)
    .sort(([a, x], [b, y]) => x - y || (String(a) < String(b) ? -1 : 1))
    .slice(0, LAPSED_LIMIT);
  for (const [place] of lapsed) if (freePlace(sale, place, now)) sale.spent.add(place);
}

/** Whether an admitted ticket's session is over: expired, or ended early (left, lapsed). */
export function sessionOver(sale: MemorySale, ticket: number, now: number): boolean {
  const place = placeOf(ticket, sale.prequeueSize, sale.shuffleKeys);
  if (place === null || place > sale.serving) return false;
  return sale.spent.has(place) || liveWindowOf(sale, place, now) === null;
}

/** MemoryEngine.leave once the sale is open and its pre-queue frozen (lua/leave.lua). */
export function leaveRoom(sale: MemorySale, userId: string, now: number): boolean {
  const shopper = sale.shoppers.get(userId);
  if (shopper === undefined || shopper.ticket === 0) return false;
  const place = placeOf(shopper.ticket, sale.prequeueSize, sale.shuffleKeys);
  if (place === null || place > sale.serving) {
    // Still waiting: the ticket takes no slot when its turn comes, and no longer counts as waiting.
    sale.departed.add(shopper.ticket);
    shopper.ticket = 0;
    return true;
  }
  if (sale.spent.has(place) || !liveWindowOf(sale, place, now)) return false;
  freePlace(sale, place, now);
  sale.spent.add(place);
  return true;
}

/** MemoryEngine.heartbeat (lua/heartbeat.lua). */
export function heartbeatRoom(
  sale: MemorySale,
  userIds: readonly string[],
  now: number,
  heartbeatMs: number | null,
): string[] {
  const ended: string[] = [];
  for (const userId of userIds) {
    const ticket = sale.shoppers.get(userId)?.ticket ?? 0;
    if (ticket === 0) continue;
    const place = placeOf(ticket, sale.prequeueSize, sale.shuffleKeys);
    if (place === null || place > sale.serving) continue;
    if (sale.spent.has(place)) ended.push(userId);
    else if (heartbeatMs !== null && sale.leases.has(place)) sale.leases.set(place, now + heartbeatMs);
  }
  return ended;
}

/** MemoryEngine.admit (lua/admit.lua): lapsed slots first, then the step of domain/waitingRoom.ts. */
export function admitRoom(
  sale: MemorySale,
  state: SaleState,
  now: number,
  heartbeatMs: number | null,
): AdmitResult {
  freeLapsed(sale, now);
  const room = { ...sale, departed: sale.departed.size };
  const departedAt = (place: number, prequeueSize: number | null) =>
    sale.departed.has(ticketAt(place, prequeueSize, sale.shuffleKeys) ?? 0);
  const step = admissionStep(room, sale.windows, sale.settings, state, now, departedAt);
  sale.prequeueSize = step.prequeueSize;
  sale.windows.splice(0, step.expired);
  if (step.window !== null) {
    if (step.merged) sale.windows[sale.windows.length - 1] = step.window;
    else sale.windows.push(step.window);
  }
  const skipped = new Set(step.skipped);
  const leaseUntil =
    now +
    (heartbeatMs === null ? sale.settings.admission.sessionSeconds * 1000 : heartbeatMs + MAX_POLL_AFTER_MS);
  for (let place = sale.serving + 1; place <= step.serving; place++) {
    if (skipped.has(place)) sale.departed.delete(ticketAt(place, step.prequeueSize, sale.shuffleKeys) ?? 0);
    else sale.leases.set(place, leaseUntil);
  }
  sale.serving = step.serving;
  sale.passed += step.skipped.length;
  sale.allowanceMilli = step.allowanceMilli;
  sale.lastStepAt = step.lastStepAt;
  return { admitted: step.admitted, serving: step.serving, active: step.active };
}
