import { partTicket, saleTicket } from './parts.ts';
import type { SaleState } from './sale.ts';
import { placeOf } from './shuffle.ts';

/**
 * The waiting room's model and how a user's status is read from it (no I/O). How the model changes
 * (the admission step) and how a snapshot is built are in `waitingRoom.ts`.
 *
 * Model: joining takes the next ticket; a ticket's place in line is the ticket itself, or its shuffled
 * place for pre-queue tickets of a shuffled sale. The room admits by advancing `serving`: every place
 * at or below it may shop. Each admission step is recorded in a window (steps less than a second apart
 * share one), and a window's users' sessions end `sessionSeconds` after the window opened. Active
 * shoppers = admitted in live windows minus those who freed their slot (derived from the windows): by
 * a checkout, by leaving, by a heartbeat that lapsed, or by having left the line before their turn.
 */
export interface AdmissionWindow {
  /** When the window opened: its users' sessions end at `at + sessionMs`. */
  at: number;
  fromPlace: number;
  toPlace: number;
  count: number;
  /** Places of this window whose slot is free again (checkout, departure, lapsed heartbeat). */
  freed: number;
}

export const WINDOW_MERGE_MS = 1000;

/** Where a user stands in the waiting room of a sale. */
export const QUEUE_STATES = ['waiting', 'admitted', 'expired', 'sold_out', 'ended', 'not_in_queue'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** What the API answers about a place in line: a user not in line gets 404 NOT_IN_QUEUE instead. */
export type PublicQueueState = Exclude<QueueState, 'not_in_queue'>;
const isPublic = (state: QueueState): state is PublicQueueState => state !== 'not_in_queue';
export const PUBLIC_QUEUE_STATES: readonly PublicQueueState[] = QUEUE_STATES.filter(isPublic);

export interface QueueStatus {
  state: QueueState;
  ticket: number | null;
  /** 1 = next to be admitted. Null while a shuffled pre-queue has no order yet. */
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  /** When an admitted user's shopping session ends. */
  admittedUntil: number | null;
  /** When the client should ask again; later for those far back. Null when there is nothing to wait for. */
  pollAfterMs: number | null;
}

/** Everything needed to answer a status poll for any ticket, without touching the store. */
export interface QueueSnapshot {
  saleId: string;
  takenAt: number;
  saleState: SaleState;
  startsAt: number;
  sessionMs: number;
  /** The sale's admission rate: before the start, when nothing is measured yet, estimates use it. */
  perSecond: number;
  issued: number;
  prequeueSize: number | null;
  serving: number;
  active: number;
  shuffleKeys: number[] | null;
  /** Live windows, oldest first. */
  windows: AdmissionWindow[];
  /**
   * A sale split into parts (domain/parts.ts): each part's snapshot, in part order. The counters
   * above are then their sums, and a ticket's status is read from its part's snapshot.
   */
  parts?: readonly QueueSnapshot[];
}

/** Admitted users whose session is running and who have not freed their slot. */
export function activeShoppers(windows: readonly AdmissionWindow[], now: number, sessionMs: number): number {
  let active = 0;
  for (const w of windows) if (w.at + sessionMs > now) active += w.count - w.freed;
  return active;
}

/** Admissions per second measured over the live windows (at least a one-second span). */
export function measuredRate(windows: readonly AdmissionWindow[], now: number): number {
  const first = windows[0];
  if (first === undefined) return 0;
  let admitted = 0;
  for (const w of windows) admitted += w.count;
  return (admitted * 1000) / Math.max(1000, now - first.at);
}

/**
 * The longest a waiter is told to wait between polls. A slot's first lease (admission) runs this much
 * longer than the heartbeat interval, so a waiter admitted just after a poll sees their turn before
 * it lapses.
 */
export const MAX_POLL_AFTER_MS = 30_000;

/**
 * When a waiter should ask again: after about a quarter of their expected wait (the time to the start
 * plus the line ahead at `ratePerSecond`), so the polls thicken as their turn nears — 1 s near the
 * front, at most MAX_POLL_AFTER_MS far back. Fairness depends on it: a buyer learns of their
 * admission at their next poll, so the purchase order follows the join order only as closely as the
 * front polls.
 */
export function pollAfterMs(ahead: number, ratePerSecond: number, untilStartSeconds = 0): number {
  if (ratePerSecond <= 0) return 5000;
  const quarterWait = (untilStartSeconds + (ahead + 1) / ratePerSecond) * 250;
  return Math.round(Math.min(MAX_POLL_AFTER_MS, Math.max(1000, quarterWait)));
}

/** The live window holding `place`, by binary search (windows are ordered by place). */
export function findWindow(windows: readonly AdmissionWindow[], place: number): AdmissionWindow | null {
  let lo = 0;
  let hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid] as AdmissionWindow;
    if (place < w.fromPlace) hi = mid - 1;
    else if (place > w.toPlace) lo = mid + 1;
    else return w;
  }
  return null;
}

const blank = (state: QueueState, ticket: number | null): QueueStatus => ({
  state,
  ticket,
  position: null,
  ahead: null,
  etaSeconds: null,
  admittedUntil: null,
  pollAfterMs: null,
});

/**
 * A user's status, from a snapshot and their ticket (null: never joined). `spent`: the admitted
 * user's slot ended before their session did (they left, or stopped polling for the heartbeat
 * interval), so their session is over.
 */
export function statusFromSnapshot(
  snap: QueueSnapshot,
  ticket: number | null,
  now: number,
  spent = false,
): QueueStatus {
  if (snap.saleState === 'ended') return blank('ended', ticket);
  if (snap.saleState === 'sold_out') return blank('sold_out', ticket);
  if (ticket === null) return blank('not_in_queue', null);
  const parts = snap.parts;
  if (parts !== undefined) {
    const inPart = partTicket(ticket, parts.length);
    const partSnap = parts[inPart.part];
    if (partSnap === undefined) return blank('not_in_queue', null);
    const status = statusFromSnapshot(partSnap, inPart.ticket, now, spent);
    return statusAsSale(status, inPart.part, parts.length);
  }
  const place = placeOf(ticket, snap.prequeueSize, snap.shuffleKeys);
  if (place !== null && place <= snap.serving) {
    const window = findWindow(snap.windows, place);
    if (spent || window === null || window.at + snap.sessionMs <= now) return blank('expired', ticket);
    return { ...blank('admitted', ticket), admittedUntil: window.at + snap.sessionMs };
  }
  const rate = measuredRate(snap.windows, now);
  const status = blank('waiting', ticket);
  const untilStart = Math.max(0, snap.startsAt - now) / 1000;
  // Before the start nothing is measured yet: the sale's own rate is the best guess for the line.
  const estimateRate = rate > 0 ? rate : untilStart > 0 ? snap.perSecond : 0;
  if (place === null) {
    // Shuffled pre-queue: the order is drawn at the start, so one's place is, on average, the middle
    // of the line so far; poll again around the start.
    status.pollAfterMs = Math.min(MAX_POLL_AFTER_MS, Math.max(1000, snap.startsAt - now));
    const expectedAhead = Math.max(0, snap.issued - 1) / 2;
    status.etaSeconds = Math.ceil(untilStart + (expectedAhead + 1) / Math.max(1, snap.perSecond));
    return status;
  }
  const ahead = place - snap.serving - 1;
  status.position = ahead + 1;
  status.ahead = ahead;
  status.etaSeconds = estimateRate > 0 ? Math.ceil(untilStart + (ahead + 1) / estimateRate) : null;
  // Until a rate is measured (before the start, and in the first instants after it) the sale's own
  // rate paces the polls: a fixed interval there let the front of a pre-queue learn of its turn
  // seconds late, out of join order. A paused sale admits nobody: every 5 s is enough.
  const pollRate = snap.saleState === 'paused' ? 0 : rate > 0 ? rate : snap.perSecond;
  status.pollAfterMs = pollAfterMs(ahead, pollRate, untilStart);
  return status;
}

/**
 * A part's status as the sale's: the ticket as the sale's, and the line ahead scaled by the number
 * of parts (each part admits its share of the rate, so the wait is the part's, and about K times
 * as many buyers of the whole sale stand ahead).
 */
export function statusAsSale(status: QueueStatus, part: number, parts: number): QueueStatus {
  if (parts === 1) return status;
  const ahead = status.ahead === null ? null : status.ahead * parts;
  return {
    ...status,
    ticket: status.ticket === null ? null : saleTicket(status.ticket, part, parts),
    ahead,
    position: ahead === null || status.position === null ? status.position : ahead + 1,
  };
}
