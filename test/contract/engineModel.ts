/**
 * A deliberately plain model of one live FIFO sale for the property test: stock, holds, tickets and
 * admission (token bucket, admission windows, sessions, slots freed by a checkout, by leaving or by
 * a heartbeat that lapsed, waiters who leave and are passed over, rejoining at the back, as
 * described in src/domain/queue.ts), written without the engine's helpers so that a mistake they
 * share cannot hide. In a FIFO sale a ticket is its place. Times are the TestClock's.
 */

export const TOTAL = 6;
export const LIMIT = 3;
export const HOLD_MS = 10_000;
export const USERS = 4;
export const ADMISSION = { perSecond: 2, maxActive: 2, sessionSeconds: 5 };
/** The engines under test are built with this heartbeat interval. */
export const HEARTBEAT_MS = 2000;
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
  /** 0: reserved without a ticket, or left the line. */
  ticket: number;
}

/** The stock, holds and switches: one per sale, shared by its parts' waiting rooms (engineModel.parts.ts). */
export class Stock {
  available: number;
  held = 0;
  sold = 0;
  paused = false;
  holds: ModelHold[] = [];
  units = new Array<number>(USERS).fill(0);
  byKey = new Map<string, ModelHold>();

  constructor(readonly total = TOTAL) {
    this.available = total;
  }

  end(h: ModelHold, reason: 'expired' | 'cancelled'): void {
    h.status = 'released';
    h.releaseReason = reason;
    this.held -= h.quantity;
    this.available += h.quantity;
    this.units[h.user] = (this.units[h.user] as number) - h.quantity;
  }
}

export type Admission = typeof ADMISSION;

export class Model {
  constructor(
    readonly stock = new Stock(),
    private readonly admission: Admission = ADMISSION,
  ) {}

  shoppers = new Map<number, Shopper>();
  issued = 0;
  serving = 0;
  allowanceMilli = 0;
  lastStepAt: number | null = null;
  windows: Window[] = [];
  /** Admitted place → when its slot lapses without a heartbeat. */
  leases = new Map<number, number>();
  /** Tickets that left while waiting and are not passed yet. */
  departed = new Set<number>();
  /** Admitted places whose session ended early (left, lapsed). */
  spent = new Set<number>();
  /** Places passed over because their buyer had left. */
  passed = 0;

  state(): 'paused' | 'sold_out' | 'live' {
    if (this.stock.paused) return 'paused';
    return this.stock.available === 0 && this.stock.held === 0 ? 'sold_out' : 'live';
  }

  private liveWindows(now: number): Window[] {
    return this.windows.filter((w) => w.at + SESSION_MS > now);
  }

  active(now: number): number {
    return this.liveWindows(now).reduce((n, w) => n + w.count - w.freed, 0);
  }

  /** The expected refusal code of a reservation, or null when it should succeed. */
  refusal(op: { user: number; quantity: number; key: number }): string | null {
    if (op.quantity < 1) return 'INVALID_QUANTITY';
    const earlier = this.stock.byKey.get(`${op.user}/${op.key}`);
    if (earlier) return earlier.quantity === op.quantity ? null : 'IDEMPOTENCY_CONFLICT';
    if (this.stock.paused) return 'NOT_LIVE';
    if (this.stock.available === 0 && this.stock.held === 0) return 'SOLD_OUT';
    const ticket = this.shoppers.get(op.user)?.ticket ?? 0;
    if (ticket > 0 && ticket <= this.serving && this.spent.has(ticket)) return 'NOT_ADMITTED';
    if ((this.stock.units[op.user] as number) + op.quantity > LIMIT) return 'LIMIT_EXCEEDED';
    if (this.stock.available === 0) return 'SOLD_OUT';
    if (this.stock.available < op.quantity) return 'INSUFFICIENT_STOCK';
    return null;
  }

  private windowOf(place: number, now: number): Window | undefined {
    return this.liveWindows(now).find((w) => w.fromPlace <= place && place <= w.toPlace);
  }

  /** The slot of an admitted place comes back once: its lease goes, its live window counts it freed. */
  private freePlace(place: number, now: number): boolean {
    if (!this.leases.delete(place)) return false;
    const window = this.windowOf(place, now);
    if (window === undefined) return false;
    window.freed += 1;
    return true;
  }

  private sessionOver(ticket: number, now: number): boolean {
    if (ticket > this.serving) return false;
    return this.spent.has(ticket) || this.windowOf(ticket, now) === undefined;
  }

  /** A new hold: stock moves, and the shopper's checkout frees their admission slot once. */
  reserved(h: ModelHold, key: string, now: number): void {
    this.stock.holds.push(h);
    this.stock.byKey.set(key, h);
    this.stock.available -= h.quantity;
    this.stock.held += h.quantity;
    this.stock.units[h.user] = (this.stock.units[h.user] as number) + h.quantity;
    const shopper = this.shoppers.get(h.user);
    if (shopper === undefined) {
      this.shoppers.set(h.user, { ticket: 0 });
      return;
    }
    if (shopper.ticket > 0 && shopper.ticket <= this.serving) this.freePlace(shopper.ticket, now);
  }

  /** Takes the next ticket unless the user has one whose session is not over (or the stock is gone). */
  join(user: number, now: number): void {
    const shopper = this.shoppers.get(user);
    const fresh = shopper === undefined || shopper.ticket === 0 || this.sessionOver(shopper.ticket, now);
    if (fresh && this.state() !== 'sold_out') {
      this.issued += 1;
      this.shoppers.set(user, { ticket: this.issued });
    }
  }

  /** The user leaves: a waiter's ticket is passed over later; an admitted user's slot comes back. */
  leave(user: number, now: number): boolean {
    const shopper = this.shoppers.get(user);
    if (shopper === undefined || shopper.ticket === 0) return false;
    const ticket = shopper.ticket;
    if (ticket > this.serving) {
      this.departed.add(ticket);
      shopper.ticket = 0;
      return true;
    }
    if (this.spent.has(ticket) || this.windowOf(ticket, now) === undefined) return false;
    this.freePlace(ticket, now);
    this.spent.add(ticket);
    return true;
  }

  /** Heartbeats: leases of slots still held run HEARTBEAT_MS from now; answers those whose session ended early. */
  heartbeat(users: readonly number[], now: number): string[] {
    const ended: string[] = [];
    for (const user of users) {
      const ticket = this.shoppers.get(user)?.ticket ?? 0;
      if (ticket === 0 || ticket > this.serving) continue;
      if (this.spent.has(ticket)) ended.push(`u${user}`);
      else if (this.leases.has(ticket)) this.leases.set(ticket, now + HEARTBEAT_MS);
    }
    return ended;
  }

  waiting(): number {
    return this.issued - this.serving - this.departed.size;
  }

  admitted(): number {
    return this.serving - this.passed;
  }

  /** The order a sweep takes due holds in: reservation order (deadline order). */
  sweepOrder(due: ModelHold[]): ModelHold[] {
    return due;
  }

  /** What a status poll should say: the state and the ticket. */
  status(user: number, now: number): { state: string; ticket: number | null } {
    const ticket = this.shoppers.get(user)?.ticket || null;
    if (this.state() === 'sold_out') return { state: 'sold_out', ticket };
    if (ticket === null) return { state: 'not_in_queue', ticket };
    if (ticket > this.serving) return { state: 'waiting', ticket };
    return { state: this.sessionOver(ticket, now) ? 'expired' : 'admitted', ticket };
  }

  /**
   * One admission step: free lapsed slots, refill the bucket, then admit within the rate, the free
   * slots and the line, passing over departed tickets (each counts in its window as admitted and freed).
   */
  admit(now: number): { admitted: number; serving: number; active: number } {
    // Lapsed leases in the order Redis ranges them: deadline, then the place as text.
    const lapsed = [...this.leases]
      .filter(([, until]) => until <= now)
      .sort(([a, x], [b, y]) => x - y || (String(a) < String(b) ? -1 : 1));
    for (const [place] of lapsed) if (this.freePlace(place, now)) this.spent.add(place);
    const perSecondMilli = this.admission.perSecond * 1000;
    this.allowanceMilli =
      this.lastStepAt === null
        ? perSecondMilli
        : Math.min(perSecondMilli, this.allowanceMilli + (now - this.lastStepAt) * this.admission.perSecond);
    this.lastStepAt = now;
    this.windows = this.liveWindows(now);
    const active = this.active(now);
    let target = 0;
    if (this.state() === 'live') {
      const byRate = Math.floor(this.allowanceMilli / 1000);
      target = Math.max(0, Math.min(byRate, this.admission.maxActive - active, this.waiting()));
    }
    const from = this.serving;
    let admitted = 0;
    let skipped = 0;
    while (admitted < target) {
      this.serving += 1;
      if (this.departed.delete(this.serving)) skipped += 1;
      else {
        admitted += 1;
        // The first lease also covers the longest poll interval a waiter may have been given.
        this.leases.set(this.serving, now + HEARTBEAT_MS + 30_000);
      }
    }
    const advanced = this.serving - from;
    this.passed += skipped;
    if (advanced > 0) {
      const last = this.windows.at(-1);
      if (last !== undefined && now - last.at < MERGE_MS && last.toPlace === from) {
        last.toPlace = this.serving;
        last.count += advanced;
        last.freed += skipped;
      } else {
        this.windows.push({
          at: now,
          fromPlace: from + 1,
          toPlace: this.serving,
          count: advanced,
          freed: skipped,
        });
      }
      this.allowanceMilli -= admitted * 1000;
    }
    return { admitted, serving: this.serving, active: active + admitted };
  }
}
