/**
 * Status polls without a store round trip (docs/architecture.md, "Waiting room"). Each process
 * keeps, per sale, a snapshot of the waiting room refreshed a few times a second, and remembers the
 * tickets it has seen (a ticket never changes). A poll is then `statusFromSnapshot(snapshot, ticket)`:
 * pure arithmetic. Only a user this process has never seen costs one read.
 *
 * A ticket never changes while the engine keeps its data. When it loses it (a new engine incarnation,
 * see src/sales/reload.ts) every ticket is gone with it: this view notices within `incarnationCheckMs`
 * and forgets every ticket and snapshot, so a waiter is told NOT_IN_QUEUE and joins again at the back
 * of the new line, rather than being answered from a ticket that now belongs to someone else.
 */
import { type QueueSnapshot, type QueueStatus, statusFromSnapshot } from '../domain/queue.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';

interface CachedSnapshot {
  snapshot: QueueSnapshot | null;
  fetchedAt: number;
  refreshing: Promise<QueueSnapshot> | null;
}

export class QueueView {
  private readonly snapshots = new Map<string, CachedSnapshot>();
  private readonly tickets = new Map<string, number>();
  private incarnation: { id: string | null; checkedAt: number; checking: Promise<void> | null } = {
    id: null,
    checkedAt: Number.NEGATIVE_INFINITY,
    checking: null,
  };

  constructor(
    private readonly engine: SaleEngine,
    private readonly clock: Clock,
    private readonly options: { refreshMs: number; maxTickets: number; incarnationCheckMs: number } = {
      refreshMs: 250,
      maxTickets: 500_000,
      incarnationCheckMs: 1000,
    },
  ) {}

  async join(saleId: string, userId: string): Promise<QueueStatus> {
    await this.incarnationChecked();
    const status = await this.engine.join(saleId, userId);
    this.remember(saleId, userId, status.ticket);
    return status;
  }

  async status(saleId: string, userId: string): Promise<QueueStatus> {
    // Almost always fresh: then a poll waits for nothing (no extra turn of the event loop).
    const checking = this.incarnationChecked();
    if (checking !== null) await checking;
    const ticket = this.tickets.get(`${saleId}\n${userId}`);
    if (ticket === undefined) {
      const status = await this.engine.status(saleId, userId);
      this.remember(saleId, userId, status.ticket);
      return status;
    }
    return statusFromSnapshot(await this.snapshot(saleId), ticket, this.clock.now());
  }

  /** The sale's snapshot, at most `refreshMs` old; one fetch in flight per sale. */
  async snapshot(saleId: string): Promise<QueueSnapshot> {
    const now = Date.now();
    let cached = this.snapshots.get(saleId);
    if (cached?.snapshot && now - cached.fetchedAt < this.options.refreshMs) return cached.snapshot;
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
    if (Date.now() - state.checkedAt < this.options.incarnationCheckMs) return null;
    state.checking ??= this.engine
      .peekIncarnation()
      .then((id) => {
        if (id !== state.id) {
          this.tickets.clear();
          this.snapshots.clear();
          state.id = id;
        }
        state.checkedAt = Date.now();
      })
      .finally(() => {
        state.checking = null;
      });
    return state.checking;
  }

  private remember(saleId: string, userId: string, ticket: number | null): void {
    if (ticket === null) return;
    if (this.tickets.size >= this.options.maxTickets) {
      // Forget the oldest tenth: Map iterates in insertion order.
      let drop = Math.ceil(this.options.maxTickets / 10);
      for (const key of this.tickets.keys()) {
        if (drop-- <= 0) break;
        this.tickets.delete(key);
      }
    }
    this.tickets.set(`${saleId}\n${userId}`, ticket);
  }
}
