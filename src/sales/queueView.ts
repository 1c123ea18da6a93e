/**
 * Status polls without a store round trip (docs/architecture.md, "Waiting room"). Each process
 * keeps, per sale, a snapshot of the waiting room refreshed a few times a second, and remembers the
 * tickets it has seen (a ticket never changes). A poll is then `statusFromSnapshot(snapshot, ticket)`: pure arithmetic. Only a
 * user this process has never seen costs one read.
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

  constructor(
    private readonly engine: SaleEngine,
    private readonly clock: Clock,
    private readonly options: { refreshMs: number; maxTickets: number } = {
      refreshMs: 250,
      maxTickets: 500_000,
    },
  ) {}

  async join(saleId: string, userId: string): Promise<QueueStatus> {
    const status = await this.engine.join(saleId, userId);
    this.remember(saleId, userId, status.ticket);
    return status;
  }

  async status(saleId: string, userId: string): Promise<QueueStatus> {
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
