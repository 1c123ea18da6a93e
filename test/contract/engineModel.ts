/**
 * A deliberately plain model of one live FIFO sale for the property test: stock, holds, tickets and
 * admission (token bucket, admission windows, sessions, slots freed by a checkout, as described in
 * src/domain/queue.ts), written without the engine's helpers so that a mistake they share cannot
 * hide. Times are the TestClock's.
 */

export const TOTAL = 6;
export const LIMIT = 3;
export const HOLD_MS = 10_000;
export const USERS = 4;
export const ADMISSION = { perSecond: 2, maxActive: 2, sessionSeconds: 5 };
const SESSION_MS = ADMISSION.sessionSeconds * 1000;
/** Admission steps less than this apart share a window. */
const MERGE_MS = 1000;

export interface ModelHold {
  id: string;
  user: number;
  quantity: number;
  expiresAt: number;
  status: 'held' | 'confirmed' | 'released';
  releaseReason: 'expired' | 'cancelled' | null;
}

interface Window {
  at: number;
  fromPlace: number;
  toPlace: number;
  count: number;
  freed: number;
}

interface Shopper {
  /** 0: reserved without a ticket. */
  ticket: number;
  slotFreed: boolean;
}

export class Model {
  available = TOTAL;
  held = 0;
  sold = 0;
  paused = false;
  holds: ModelHold[] = [];
  units = new Array<number>(USERS).fill(0);
  byKey = new Map<string, ModelHold>();
  shoppers = new Map<number, Shopper>();
  issued = 0;
  serving = 0;
  allowanceMilli = 0;
  lastStepAt: number | null = null;
  windows: Window[] = [];

  state(): 'paused' | 'sold_out' | 'live' {
    if (this.paused) return 'paused';
    return this.available === 0 && this.held === 0 ? 'sold_out' : 'live';
  }

  private liveWindows(now: number): Window[] {
    return this.windows.filter((w) => w.at + SESSION_MS > now);
  }

  active(now: number): number {
    return this.liveWindows(now).reduce((n, w) => n + w.count - w.freed, 0);
  }

  end(h: ModelHold, reason: 'expired' | 'cancelled'): void {
    h.status = 'released';
    h.releaseReason = reason;
    this.held -= h.quantity;
    this.available += h.quantity;
    this.units[h.user] = (this.units[h.user] as number) - h.quantity;
  }

  /** The expected refusal code of a reservation, or null when it should succeed. */
  refusal(op: { user: number; quantity: number; key: number }): string | null {
    if (op.quantity < 1) return 'INVALID_QUANTITY';
    const earlier = this.byKey.get(`${op.user}/${op.key}`);
    if (earlier) return earlier.quantity === op.quantity ? null : 'IDEMPOTENCY_CONFLICT';
    if (this.paused) return 'NOT_LIVE';
    if (this.available === 0 && this.held === 0) return 'SOLD_OUT';
    if ((this.units[op.user] as number) + op.quantity > LIMIT) return 'LIMIT_EXCEEDED';
    if (this.available === 0) return 'SOLD_OUT';
    if (this.available < op.quantity) return 'INSUFFICIENT_STOCK';
    return null;
  }

  /** A new hold: stock moves, and the shopper's checkout frees their admission slot once. */
  reserved(h: ModelHold, key: string, now: number): void {
    this.holds.push(h);
    this.byKey.set(key, h);
    this.available -= h.quantity;
    this.held += h.quantity;
    this.units[h.user] = (this.units[h.user] as number) + h.quantity;
    const shopper = this.shoppers.get(h.user);
    if (shopper === undefined) {
      this.shoppers.set(h.user, { ticket: 0, slotFreed: true });
      return;
    }
    if (shopper.slotFreed || shopper.ticket === 0 || shopper.ticket > this.serving) return;
    const window = this.liveWindows(now).find(
      (w) => w.fromPlace <= shopper.ticket && shopper.ticket <= w.toPlace,
    );
    if (window === undefined) return;
    window.freed += 1;
    shopper.slotFreed = true;
  }

  /** Takes the next ticket unless the user has one (or the stock is gone). */
  join(user: number): void {
    const shopper = this.shoppers.get(user);
    if ((shopper === undefined || shopper.ticket === 0) && this.state() !== 'sold_out') {
      this.issued += 1;
      this.shoppers.set(user, { ticket: this.issued, slotFreed: false });
    }
  }

  /** What a status poll should say: the state and the ticket. */
  status(user: number, now: number): { state: string; ticket: number | null } {
    const ticket = this.shoppers.get(user)?.ticket || null;
    if (this.state() === 'sold_out') return { state: 'sold_out', ticket };
    if (ticket === null) return { state: 'not_in_queue', ticket };
    if (ticket > this.serving) return { state: 'waiting', ticket };
    const window = this.liveWindows(now).find((w) => w.fromPlace <= ticket && ticket <= w.toPlace);
    return { state: window === undefined ? 'expired' : 'admitted', ticket };
  }

  /** One admission step: refill the bucket, then admit within the rate, the free slots and the line. */
  admit(now: number): { admitted: number; serving: number; active: number } {
    const perSecondMilli = ADMISSION.perSecond * 1000;
    this.allowanceMilli =
      this.lastStepAt === null
        ? perSecondMilli
        : Math.min(perSecondMilli, this.allowanceMilli + (now - this.lastStepAt) * ADMISSION.perSecond);
    this.lastStepAt = now;
    this.windows = this.liveWindows(now);
    const active = this.active(now);
    let admitted = 0;
    if (this.state() === 'live') {
      const byRate = Math.floor(this.allowanceMilli / 1000);
      admitted = Math.max(0, Math.min(byRate, ADMISSION.maxActive - active, this.issued - this.serving));
    }
    if (admitted > 0) {
      const last = this.windows.at(-1);
      if (last !== undefined && now - last.at < MERGE_MS && last.toPlace === this.serving) {
        last.toPlace += admitted;
        last.count += admitted;
      } else {
        this.windows.push({
          at: now,
          fromPlace: this.serving + 1,
          toPlace: this.serving + admitted,
          count: admitted,
          freed: 0,
        });
      }
      this.serving += admitted;
      this.allowanceMilli -= admitted * 1000;
    }
    return { admitted, serving: this.serving, active: active + admitted };
  }
}
