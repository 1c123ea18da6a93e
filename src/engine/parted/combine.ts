import { FlashsaleError } from '../../domain/errors.ts';
import type { QueueSnapshot } from '../../domain/queue.ts';
import { type SaleState, saleState } from '../../domain/sale.ts';
import type { SaleStats, SaleView } from '../types.ts';

/**
 * A sale split into parts, read as one: its parts' views, snapshots and counters added up
 * (partedEngine.ts). Parts are read one after another, not at one instant, so a sum may mix moments;
 * the stock is made consistent by construction: available = total − held − sold, where the total is
 * the sale's own (a unit moving between two parts is still available).
 */

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** A part's view; a part missing while part 0 exists: the sale is being purged or expired under this call. */
export function mustExist(view: SaleView | null): SaleView {
  if (view === null) throw new FlashsaleError('SALE_NOT_FOUND');
  return view;
}

export function combineViews(saleId: string, views: readonly SaleView[], now: number): SaleView {
  const first = views[0] as SaleView;
  const { state: _state, flags: _flags, stock: _stock, pool, ...settings } = first;
  const total = pool?.total ?? sum(views.map((view) => view.stock.total));
  const held = sum(views.map((view) => view.stock.held));
  const sold = sum(views.map((view) => view.stock.sold));
  const stock = { total, available: total - held - sold, held, sold };
  // A switch reaches the parts one by one: the sale shows it as soon as one part has it.
  const flags = {
    paused: views.some((view) => view.flags.paused),
    ended: views.some((view) => view.flags.ended),
  };
  const admission = {
    ...settings.admission,
    perSecond: sum(views.map((view) => view.admission.perSecond)),
    maxActive: sum(views.map((view) => view.admission.maxActive)),
  };
  const whole = { ...settings, id: saleId, totalStock: total, admission, parts: views.length };
  return { ...whole, state: saleState(whole, flags, stock, now), flags, stock, pool: null };
}

/** The state a sale's parts add up to: ended or sold out as soon as one part is (both are final). */
function combinedState(states: readonly SaleState[]): SaleState {
  if (states.includes('ended')) return 'ended';
  if (states.includes('sold_out')) return 'sold_out';
  return states[0] as SaleState;
}

export function combineSnapshots(saleId: string, parts: readonly QueueSnapshot[]): QueueSnapshot {
  const first = parts[0] as QueueSnapshot;
  const saleState = combinedState(parts.map((part) => part.saleState));
  const sizes = parts.map((part) => part.prequeueSize);
  return {
    saleId,
    takenAt: Math.min(...parts.map((part) => part.takenAt)),
    saleState,
    startsAt: first.startsAt,
    sessionMs: first.sessionMs,
    perSecond: sum(parts.map((part) => part.perSecond)),
    issued: sum(parts.map((part) => part.issued)),
    prequeueSize: sizes.includes(null) ? null : sum(sizes as number[]),
    serving: sum(parts.map((part) => part.serving)),
    active: sum(parts.map((part) => part.active)),
    shuffleKeys: null,
    windows: [],
    // Each part answers its own tickets, under the state of the whole sale.
    parts: parts.map((part) => ({ ...part, saleState })),
  };
}

export function combineStats(stats: readonly SaleStats[]): SaleStats {
  const total = (field: keyof SaleStats) => sum(stats.map((s) => s[field]));
  return {
    total: total('total'),
    available: total('available'),
    held: total('held'),
    sold: total('sold'),
    waiting: total('waiting'),
    admitted: total('admitted'),
    active: total('active'),
  };
}
