import { type AdmissionWindow, activeShoppers, type QueueSnapshot, WINDOW_MERGE_MS } from './queue.ts';
import type { SaleSettings, SaleState } from './sale.ts';

/**
 * The waiting room's arithmetic, written once: the admission step and the snapshot a status is read
 * from. Both engines keep the same counters and call these; the Redis adapter cannot call TypeScript
 * inside its atomic step, so `engine/redis/lua/admit.lua` mirrors `admissionStep` line by line and
 * `lua/includes/meta.lua` mirrors `prequeueSizeAt` (see docs/architecture.md, Waiting room).
 */

/** The counters an admission step reads; each engine stores them its own way. */
export interface RoomCounters {
  /** Tickets issued so far (the last ticket taken). */
  issued: number;
  /** Tickets in the pre-queue, fixed at the start; null before. */
  prequeueSize: number | null;
  /** Every place at or below it was admitted. */
  serving: number;
  /** Token bucket, in thousandths of an admission. */
  allowanceMilli: number;
  /** When the last admission step ran; null before the first. */
  lastStepAt: number | null;
  /** Tickets that left the line while waiting and that `serving` has not passed yet. */
  departed: number;
}

/**
 * Departed places one admission step passes over at most: a step stays bounded however many buyers
 * left in a row (the next step goes on). `lua/admit.lua` uses the same number.
 */
export const DEPARTED_SKIP_LIMIT = 1000;

/** What one admission step changes. The engine applies it to its store as one atomic write. */
export interface AdmissionStep {
  prequeueSize: number | null;
  /** How many windows to drop from the head of the stored list: their sessions have ended. */
  expired: number;
  /** The window this step's admissions went into; null when it admitted no one. */
  window: AdmissionWindow | null;
  /** True: `window` replaces the last stored window (this step merged into it). False: append it. */
  merged: boolean;
  serving: number;
  allowanceMilli: number;
  lastStepAt: number;
  admitted: number;
  /** Places of departed tickets this step passed over, in order: they took no slot. */
  skipped: number[];
  /** Active shoppers after the step. */
  active: number;
}

/**
 * The pre-queue's size at `now`: fixed at the start to the tickets issued by then (the tickets the
 * shuffle orders). An engine stores it at its next write after the start; until then no one can
 * have joined since the start, so what was issued is the size.
 */
export function prequeueSizeAt(
  prequeueSize: number | null,
  issued: number,
  startsAt: number,
  now: number,
): number | null {
  if (prequeueSize === null && now >= startsAt) return issued;
  return prequeueSize;
}

/**
 * Token bucket in thousandths of an admission (integers, so Lua and JavaScript agree exactly):
 * refills `perSecond` per second, holds at most one second's worth.
 */
export function refillAllowance(
  allowanceMilli: number,
  lastStepAt: number | null,
  now: number,
  perSecond: number,
): number {
  if (lastStepAt === null) return perSecond * 1000;
  const elapsed = Math.max(0, now - lastStepAt);
  return Math.min(perSecond * 1000, allowanceMilli + elapsed * perSecond);
}

/**
 * One admission step at `now`: fix the pre-queue, end expired sessions, refill the token bucket, then
 * advance `serving` within the allowance, the free active slots and the buyers still in line. Steps
 * less than WINDOW_MERGE_MS apart share a window. `windows`: the stored windows, oldest first;
 * `state`: the sale's state at `now`; `departedAt(place, prequeueSize)`: whether the ticket at that
 * place left the line. A departed place is passed over without a token or a slot: it counts in its
 * window as admitted and freed at once, so windows stay contiguous and the measured rate is the rate
 * places advance. Pure: the inputs are not modified.
 */
export function admissionStep(
  room: Readonly<RoomCounters>,
  windows: readonly AdmissionWindow[],
  sale: Pick<SaleSettings, 'startsAt' | 'admission'>,
  state: SaleState,
  now: number,
  departedAt: (place: number, prequeueSize: number | null) => boolean = () => false,
): AdmissionStep {
  const { perSecond, maxActive, sessionSeconds } = sale.admission;
  const sessionMs = sessionSeconds * 1000;
  const prequeueSize = prequeueSizeAt(room.prequeueSize, room.issued, sale.startsAt, now);

  // Active before expiry: every stored window's admitted, less those who freed their slot (Lua keeps
  // this sum in the windows hash). Expired sessions end at the head: a window opens only when `now`
  // is at least WINDOW_MERGE_MS past the last one, so windows are in time order and every window
  // left after the loop is live.
  let active = 0;
  for (const w of windows) active += w.count - w.freed;
  let expired = 0;
  while (expired < windows.length) {
    const w = windows[expired] as AdmissionWindow;
    if (w.at + sessionMs > now) break;
    active -= w.count - w.freed;
    expired += 1;
  }

  let allowanceMilli = refillAllowance(room.allowanceMilli, room.lastStepAt, now, perSecond);

  let target = 0;
  if (state === 'live') {
    target = Math.max(
      0,
      Math.min(
        Math.floor(allowanceMilli / 1000),
        maxActive - active,
        room.issued - room.serving - room.departed,
      ),
    );
  }
  // Walk the line: every departed ticket is behind `serving`, so `target` buyers are found before
  // `issued` unless the skip limit stops the walk first.
  let serving = room.serving;
  let admitted = 0;
  const skipped: number[] = [];
  while (admitted < target && skipped.length < DEPARTED_SKIP_LIMIT && serving < room.issued) {
    serving += 1;
    if (departedAt(serving, prequeueSize)) skipped.push(serving);
    else admitted += 1;
  }
  const advanced = serving - room.serving;
  let window: AdmissionWindow | null = null;
  let merged = false;
  if (advanced > 0) {
    const last = windows.length > expired ? windows[windows.length - 1] : undefined;
    if (last !== undefined && now - last.at < WINDOW_MERGE_MS && last.toPlace === room.serving) {
      window = {
        ...last,
        toPlace: serving,
        count: last.count + advanced,
        freed: last.freed + skipped.length,
      };
      merged = true;
    } else {
      window = {
        at: now,
        fromPlace: room.serving + 1,
        toPlace: serving,
        count: advanced,
        freed: skipped.length,
      };
    }
    allowanceMilli -= admitted * 1000;
  }
  return {
    prequeueSize,
    expired,
    window,
    merged,
    serving,
    allowanceMilli,
    lastStepAt: now,
    admitted,
    skipped,
    active: active + admitted,
  };
}

/** What a snapshot is built from: the sale's settings and its waiting-room counters. */
export interface RoomSource {
  settings: Pick<SaleSettings, 'id' | 'startsAt' | 'admission'>;
  issued: number;
  prequeueSize: number | null;
  serving: number;
  shuffleKeys: number[] | null;
}

/**
 * Everything a status poll needs at `now` (read it with `statusFromSnapshot`). `windows`: the stored
 * windows, or any list holding every live window a status reads (the Redis adapter's status replies
 * carry only those, see lua/includes/windows.lua); the snapshot keeps the live ones, copied.
 */
export function queueSnapshot(
  sale: RoomSource,
  state: SaleState,
  windows: readonly AdmissionWindow[],
  now: number,
): QueueSnapshot {
  const sessionMs = sale.settings.admission.sessionSeconds * 1000;
  const live = windows.filter((w) => w.at + sessionMs > now).map((w) => ({ ...w }));
  return {
    saleId: sale.settings.id,
    takenAt: now,
    saleState: state,
    startsAt: sale.settings.startsAt,
    sessionMs,
    perSecond: sale.settings.admission.perSecond,
    issued: sale.issued,
    prequeueSize: prequeueSizeAt(sale.prequeueSize, sale.issued, sale.settings.startsAt, now),
    serving: sale.serving,
    active: activeShoppers(live, now, sessionMs),
    shuffleKeys: sale.shuffleKeys,
    windows: live,
  };
}
