/**
 * Status polls without a store round trip (docs/architecture.md, "Waiting room"). Each process
 * keeps, per sale, a snapshot of the waiting room refreshed a few times a second, and remembers the
 * tickets it has seen. A poll is then `statusFromSnapshot(snapshot, ticket)`:
 * pure arithmetic. Only a user this process has never seen costs one read.
 *
 * Heartbeats ride on the polls: an admitted shopper's poll marks them as still on the page, and each
 * process sends the marks of a sale in one batch every `heartbeatFlushMs` (engine.heartbeat), never
 * one store call a poll. The batch's answer names the shoppers whose session ended early (they left
 * on another process, or their slot lapsed): their polls say `expired` from then on. Admitted
 * pollers are asked to poll a third of the heartbeat interval apart, so a page that stays open keeps
 * its slot. The first time this process would tell a ticket it is admitted, it asks the store once
 * (admissions are few, polls many): a ticket remembered here may have left the line through another
 * process and been passed over, and must not be let in.
 *
 * A user's ticket changes when they leave or join again after their session ended; this process
 * forgets a ticket it saw leave, and learns the new one from the join. When the engine loses its data (a new engine incarnation,
 * see src/sales/reload.ts) every ticket is gone with it: this view notices within `incarnationCheckMs`
 * and forgets every ticket and snapshot, so a waiter is told NOT_IN_QUEUE and joins again at the back
 * of the new line, rather than being answered from a ticket that now belongs to someone else.
 */

import { forgetOldestTenth } from '../domain/forgetOldest.ts';
import { type QueueSnapshot, type QueueStatus, statusFromSnapshot } from '../domain/queue.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';

interface CachedSnapshot {
  snapshot: QueueSnapshot | null;
  fetchedAt: number;
  refreshing: Promise<QueueSnapshot> | null;
}

export interface QueueViewOptions {
  refreshMs: number;
  maxTickets: number;
  incarnationCheckMs: number;
  /** The engine's heartbeat interval; null: heartbeats are off (slots last the session). */
  heartbeatMs: number | null;
  /** How often the heartbeats gathered from polls go to the store, one batch per sale. */
  heartbeatFlushMs: number;
}

export const DEFAULT_QUEUE_VIEW: QueueViewOptions = {
  refreshMs: 250,
  maxTickets: 500_000,
  incarnationCheckMs: 1000,
  heartbeatMs: null,
  heartbeatFlushMs: 1000,
};

const keyOf = (saleId: string, userId: string) => `${saleId}\n${userId}`;

export class QueueView {
  private readonly snapshots = new Map<string, CachedSnapshot>();
  private readonly tickets = new Map<string, number>();
  /** `sale\nuser\nticket` of admitted tickets the store confirmed to this process. */
  private readonly confirmed = new Set<string>();
  /** `sale\nuser` whose session ended early, as the last heartbeat batch said. */
  private readonly ended = new Set<string>();
  /** Sale → users whose polls asked to keep their slot since the last batch. */
  private readonly beats = new Map<string, Set<string>>();
  private flushing: ReturnType<typeof setTimeout> | null = null;
  private readonly options: QueueViewOptions;
  private incarnation: { id: string | null; checkedAt: number; checking: Promise<void> | null } = {
    id: null,
    checkedAt: Number.NEGATIVE_INFINITY,
    checking: null,
  };

  constructor(
    private readonly engine: SaleEngine,
    private readonly clock: Clock,
    options: Partial<QueueViewOptions> = {},
  ) {
    this.options = { ...DEFAULT_QUEUE_VIEW, ...options };
  }

  async join(saleId: string, userId: string): Promise<QueueStatus> {
    await this.incarnationChecked();
    const over = this.overFromSnapshot(saleId, userId);
    if (over !== null) return over;
    return this.fromStore(saleId, userId, await this.engine.join(saleId, userId));
  }

  /**
   * A join once the sale is sold out (nothing available, nothing held) or ended, answered from a
   * fresh snapshot without a store call: nobody gets a ticket any more, and neither state turns back
   * (a reset of the store clears the snapshots). The crowd arriving after the last unit is most of a
   * flash sale's joins. The answer is the one the store gives, the ticket being the one this process
   * knows (null for a user it never saw, as for most of that crowd). A stale snapshot is refreshed in
   * the background, never waited for: a live sale's join does not wait on it.
   */
  private overFromSnapshot(saleId: string, userId: string): QueueStatus | null {
    const snap = this.freshSnapshot(saleId);
    if (snap === null) {
      this.snapshot(saleId).catch(() => undefined);
      return null;
    }
    if (snap.saleState !== 'sold_out' && snap.saleState !== 'ended') return null;
    return statusFromSnapshot(snap, this.tickets.get(keyOf(saleId, userId)) ?? null, this.clock.now());
  }

  /** The user leaves the line or gives their slot back (idempotent); this process forgets their ticket. */
  async leave(saleId: string, userId: string): Promise<boolean> {
    await this.incarnationChecked();
    const changed = await this.engine.leave(saleId, userId);
    this.tickets.delete(keyOf(saleId, userId));
    this.beats.get(saleId)?.delete(userId);
    return changed;
  }

  async status(saleId: string, userId: string): Promise<QueueStatus> {
    // Almost always fresh: then a poll waits for nothing (no extra turn of the event loop).
    const checking = this.incarnationChecked();
    if (checking !== null) await checking;
    const key = keyOf(saleId, userId);
    const ticket = this.tickets.get(key);
    if (ticket === undefined) return this.fromStore(saleId, userId, await this.engine.status(saleId, userId));
    const status = this.fromTicket(saleId, userId, ticket, await this.snapshot(saleId));
    return status ?? this.fromStore(saleId, userId, await this.engine.status(saleId, userId));
  }

  /**
   * `status` when this process can answer it at once: the engine's incarnation checked recently,
   * the user's ticket known and the sale's snapshot fresh. Null when `status` would wait for a read:
   * the caller then awaits `status`. Most polls are answered here, without a promise.
   */
  statusNow(saleId: string, userId: string): QueueStatus | null {
    if (!this.incarnationFresh()) return null;
    const ticket = this.tickets.get(keyOf(saleId, userId));
    const snapshot = this.freshSnapshot(saleId);
    if (ticket === undefined || snapshot === null) return null;
    return this.fromTicket(saleId, userId, ticket, snapshot);
  }

  /**
   * A known ticket's status from the snapshot. Null for an admission this process has not yet had
   * the store confirm (the ticket may have left the line through another process).
   */
  private fromTicket(
    saleId: string,
    userId: string,
    ticket: number,
    snapshot: QueueSnapshot,
  ): QueueStatus | null {
    const key = keyOf(saleId, userId);
    const status = statusFromSnapshot(snapshot, ticket, this.clock.now(), this.ended.has(key));
    if (status.state !== 'admitted') return status;
    if (!this.confirmed.has(`${key}\n${ticket}`)) return null;
    return this.beat(saleId, userId, status);
  }

  /** What the store said about a user: remembered, and a heartbeat if they are admitted. */
  private fromStore(saleId: string, userId: string, status: QueueStatus): QueueStatus {
    const key = keyOf(saleId, userId);
    this.remember(saleId, userId, status.ticket);
    this.ended.delete(key);
    if (status.state !== 'admitted') return status;
    if (this.confirmed.size >= this.options.maxTickets) this.confirmed.clear();
    this.confirmed.add(`${key}\n${status.ticket}`);
    return this.beat(saleId, userId, status);
  }

  /** Marks an admitted poller for the next batch, and asks them to poll often enough to keep the slot. */
  private beat(saleId: string, userId: string, status: QueueStatus): QueueStatus {
    const heartbeatMs = this.options.heartbeatMs;
    if (heartbeatMs === null) return status;
    let users = this.beats.get(saleId);
    if (users === undefined) {
      users = new Set();
      this.beats.set(saleId, users);
    }
    users.add(userId);
    if (this.flushing === null) {
      this.flushing = setTimeout(() => void this.flushHeartbeats(), this.options.heartbeatFlushMs);
      this.flushing.unref();
    }
    return { ...status, pollAfterMs: Math.floor(heartbeatMs / 3) };
  }

  /**
   * Sends the gathered heartbeats, one batch per sale, and notes whose session ended early. Best
   * effort: a batch that fails is dropped, and the next polls mark their users again.
   */
  async flushHeartbeats(): Promise<void> {
    this.flushing = null;
    const batches = [...this.beats];
    this.beats.clear();
    await Promise.all(
      batches.map(async ([saleId, users]) => {
        const ended = await this.engine.heartbeat(saleId, [...users]).catch(() => []);
        for (const userId of ended) {
          if (this.ended.size >= this.options.maxTickets) this.ended.clear();
          this.ended.add(keyOf(saleId, userId));
        }
      }),
    );
  }

  /** The cached snapshot if it is at most `refreshMs` old, else null. */
  private freshSnapshot(saleId: string): QueueSnapshot | null {
    const cached = this.snapshots.get(saleId);
    if (!cached?.snapshot || Date.now() - cached.fetchedAt >= this.options.refreshMs) return null;
    return cached.snapshot;
  }

  /** The sale's snapshot, at most `refreshMs` old; one fetch in flight per sale. */
  async snapshot(saleId: string): Promise<QueueSnapshot> {
    const fresh = this.freshSnapshot(saleId);
    if (fresh !== null) return fresh;
    let cached = this.snapshots.get(saleId);
    if (!cached) {
      cached = { snapshot: null, fetchedAt: 0, refreshing: null };
      this.snapshots.set(saleId, cached);
    }
    const entry = cached;
    if (!entry.refreshing) {
      entry.refreshing = this.engine
        .snapshot(saleId)
        .then((snapshot) => {
          entry.snapshot = snapshot;
          entry.fetchedAt = Date.now();
          return snapshot;
        })
        .finally(() => {
          entry.refreshing = null;
        });
      // An unknown sale must not stay in the map.
      entry.refreshing.catch(() => {
        if (entry.snapshot === null) this.snapshots.delete(saleId);
      });
    }
    return entry.refreshing;
  }

  /**
   * At most once per `incarnationCheckMs`, one read in flight: forgets everything after a reset.
   * Null when the last check is recent enough (nothing to wait for).
   */
  private incarnationChecked(): Promise<void> | null {
    const state = this.incarnation;
    if (this.incarnationFresh()) return null;
    state.checking ??= this.engine
      .peekIncarnation()
      .then((id) => {
        if (id !== state.id) {
          this.tickets.clear();
          this.snapshots.clear();
          this.confirmed.clear();
          this.ended.clear();
          state.id = id;
        }
        state.checkedAt = Date.now();
      })
      .finally(() => {
        state.checking = null;
      });
    return state.checking;
  }

  private incarnationFresh(): boolean {
    return Date.now() - this.incarnation.checkedAt < this.options.incarnationCheckMs;
  }

  private remember(saleId: string, userId: string, ticket: number | null): void {
    if (ticket === null) {
      this.tickets.delete(keyOf(saleId, userId));
      return;
    }
    forgetOldestTenth(this.tickets, this.options.maxTickets);
    this.tickets.set(keyOf(saleId, userId), ticket);
  }
}
