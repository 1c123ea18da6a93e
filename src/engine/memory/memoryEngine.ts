import { randomBytes, randomUUID } from 'node:crypto';
import { FlashsaleError } from '../../domain/errors.ts';
import type { ConfirmEnd, Hold, HoldEnd, ReleaseReason, ReserveRequest } from '../../domain/hold.ts';
import {
  activeShoppers,
  type QueueSnapshot,
  type QueueStatus,
  statusFromSnapshot,
} from '../../domain/queue.ts';
import { normalizeSale, type SaleInput, saleState } from '../../domain/sale.ts';
import { placeOf, shuffleKeys } from '../../domain/shuffle.ts';
import { prequeueSizeAt, queueSnapshot } from '../../domain/waitingRoom.ts';
import type {
  AdmitResult,
  Clock,
  CreateSaleOptions,
  EngineIncarnation,
  EngineOptions,
  PartStore,
  PendingMove,
  RestoredHold,
  RestoreOutcome,
  SaleStats,
  SaleView,
} from '../types.ts';
import { checkReserve, checkSold, checkSweepLimit, checkUserId } from '../validate.ts';
import { addUnits, restoreHold } from './memoryRestore.ts';
import {
  admitRoom,
  freePlace,
  heartbeatRoom,
  leaveRoom,
  type MemorySale,
  moveIn,
  moveOut,
  sessionOver,
} from './memorySale.ts';

/**
 * The embedded engine: one process, plain objects. Each method runs to completion without awaiting
 * anything, so — like a Lua script on Redis — it is one atomic step.
 */
export class MemoryEngine implements PartStore {
  private readonly sales = new Map<string, MemorySale>();
  /** Sale id → when its state goes (expireSale); checked on every lookup. */
  private readonly expiries = new Map<string, number>();

  /** A process's memory is lost with it: every engine object is an incarnation of its own. */
  private readonly incarnationId = randomUUID();
  private incarnationParent: string | null | undefined;
  readonly location = 'memory';

  private readonly heartbeatMs: number | null;

  constructor(
    private readonly clock: Clock,
    options: EngineOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? null;
  }

  async createSale(input: SaleInput, options: CreateSaleOptions = {}): Promise<SaleView> {
    const normalized = normalizeSale(input, () => randomBytes(16).toString('hex'), this.clock.now());
    const settings = options.pool ? { ...normalized, parts: options.pool.parts } : normalized;
    const sold = checkSold(options.sold, settings.totalStock);
    if (this.lookup(settings.id) !== undefined) throw new FlashsaleError('SALE_EXISTS');
    this.expiries.delete(settings.id);
    this.sales.set(settings.id, {
      settings,
      flags: { paused: options.flags?.paused ?? false, ended: options.flags?.ended ?? false },
      available: settings.totalStock - sold,
      held: 0,
      sold,
      issued: 0,
      prequeueSize: null,
      serving: 0,
      allowanceMilli: 0,
      lastStepAt: null,
      windows: [],
      shuffleKeys: settings.queueing === 'shuffle' ? shuffleKeys(settings.shuffleSeed) : null,
      shoppers: new Map(),
      leases: new Map(),
      departed: new Set(),
      spent: new Set(),
      passed: 0,
      holds: new Map(),
      live: new Set(),
      idempotency: new Map(),
      pool: options.pool === undefined ? null : { total: options.pool.total, drained: false },
      moves: new Map(),
      movedIn: new Set(),
    });
    return this.view(this.mustGet(settings.id));
  }

  async getSale(saleId: string): Promise<SaleView | null> {
    const sale = this.lookup(saleId);
    return sale ? this.view(sale) : null;
  }

  async start(saleId: string): Promise<SaleView> {
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    const s = sale.settings;
    if (s.startsAt > now) sale.settings = { ...s, startsAt: now, prequeueAt: Math.min(s.prequeueAt, now) };
    this.freeze(sale, now);
    return this.view(sale);
  }

  async pause(saleId: string): Promise<SaleView> {
    const sale = this.mustGet(saleId);
    sale.flags.paused = true;
    return this.view(sale);
  }

  async resume(saleId: string): Promise<SaleView> {
    const sale = this.mustGet(saleId);
    sale.flags.paused = false;
    return this.view(sale);
  }

  async end(saleId: string): Promise<SaleView> {
    const sale = this.mustGet(saleId);
    sale.flags.ended = true;
    return this.view(sale);
  }

  async join(saleId: string, userId: string): Promise<QueueStatus> {
    checkUserId(userId);
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    const state = this.state(sale, now);
    if (state === 'scheduled') throw new FlashsaleError('NOT_LIVE', 'The waiting room is not open yet.');
    this.freeze(sale, now);
    const shopper = sale.shoppers.get(userId);
    const fresh = shopper === undefined || shopper.ticket === 0 || sessionOver(sale, shopper.ticket, now);
    if (fresh && state !== 'ended' && state !== 'sold_out') {
      sale.issued += 1;
      sale.shoppers.set(userId, { ticket: sale.issued, units: shopper?.units ?? 0 });
    }
    return this.statusAt(sale, userId, now);
  }

  async leave(saleId: string, userId: string): Promise<boolean> {
    checkUserId(userId);
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    if (this.state(sale, now) === 'scheduled') return false;
    this.freeze(sale, now);
    return leaveRoom(sale, userId, now);
  }

  async heartbeat(saleId: string, userIds: readonly string[]): Promise<string[]> {
    for (const userId of userIds) checkUserId(userId);
    return heartbeatRoom(this.mustGet(saleId), userIds, this.clock.now(), this.heartbeatMs);
  }

  async status(saleId: string, userId: string): Promise<QueueStatus> {
    checkUserId(userId);
    return this.statusAt(this.mustGet(saleId), userId, this.clock.now());
  }

  async snapshot(saleId: string): Promise<QueueSnapshot> {
    return this.snapshotAt(this.mustGet(saleId), this.clock.now());
  }

  async admit(saleId: string): Promise<AdmitResult> {
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    return admitRoom(sale, this.state(sale, now), now, this.heartbeatMs);
  }

  async reserve(request: ReserveRequest): Promise<Hold> {
    checkReserve(request);
    const sale = this.mustGet(request.saleId);
    const now = this.clock.now();
    const { userId, quantity } = request;
    const idemKey = `${userId}\n${request.idempotencyKey}`;
    const earlier = sale.idempotency.get(idemKey);
    if (earlier !== undefined) {
      const hold = sale.holds.get(earlier) as Hold;
      if (hold.quantity !== quantity) throw new FlashsaleError('IDEMPOTENCY_CONFLICT');
      return { ...hold };
    }
    const state = this.state(sale, now);
    if (state === 'sold_out') throw new FlashsaleError('SOLD_OUT');
    if (state !== 'live') throw new FlashsaleError('NOT_LIVE');
    const shopper = sale.shoppers.get(userId);
    // A session that ended early (left, lapsed) holds no slot, whatever admission token it kept.
    const ticket = shopper?.ticket ?? 0;
    const place = ticket > 0 ? placeOf(ticket, sale.prequeueSize, sale.shuffleKeys) : null;
    if (place !== null && place <= sale.serving && sale.spent.has(place)) {
      throw new FlashsaleError(
        'NOT_ADMITTED',
        'Your session in the waiting room has ended; join the line again.',
      );
    }
    if ((shopper?.units ?? 0) + quantity > sale.settings.perUserLimit) {
      throw new FlashsaleError('LIMIT_EXCEEDED');
    }
    if (sale.available === 0) throw new FlashsaleError('SOLD_OUT');
    if (sale.available < quantity) throw new FlashsaleError('INSUFFICIENT_STOCK');

    sale.available -= quantity;
    sale.held += quantity;
    const hold: Hold = {
      id: request.holdId ?? randomUUID(),
      saleId: sale.settings.id,
      userId,
      quantity,
      expiresAt: now + sale.settings.holdSeconds * 1000,
      status: 'held',
      releaseReason: null,
    };
    sale.holds.set(hold.id, hold);
    sale.live.add(hold.id);
    sale.idempotency.set(idemKey, hold.id);
    if (shopper) {
      shopper.units += quantity;
      // A checkout frees the shopper's active slot for the next in line, once.
      if (place !== null && place <= sale.serving) freePlace(sale, place, now);
    } else {
      // Reserving without a ticket (the HTTP layer requires admission; the engine does not).
      sale.shoppers.set(userId, { ticket: 0, units: quantity });
    }
    return { ...hold };
  }

  async confirm(saleId: string, holdId: string): Promise<ConfirmEnd> {
    const sale = this.mustGet(saleId);
    const hold = this.mustGetHold(sale, holdId);
    const now = this.clock.now();
    if (hold.status === 'confirmed') return { hold: { ...hold }, changed: false, stockLeft: stockLeft(sale) };
    if (hold.status === 'released') {
      throw new FlashsaleError(hold.releaseReason === 'expired' ? 'HOLD_EXPIRED' : 'HOLD_RELEASED');
    }
    if (now >= hold.expiresAt) {
      this.endHold(sale, hold, 'expired');
      throw new FlashsaleError('HOLD_EXPIRED');
    }
    hold.status = 'confirmed';
    sale.live.delete(hold.id);
    sale.held -= hold.quantity;
    sale.sold += hold.quantity;
    return { hold: { ...hold }, changed: true, stockLeft: stockLeft(sale) };
  }

  async release(saleId: string, holdId: string, reason: ReleaseReason): Promise<HoldEnd> {
    const sale = this.mustGet(saleId);
    const hold = this.mustGetHold(sale, holdId);
    if (hold.status === 'confirmed') throw new FlashsaleError('HOLD_CONFIRMED');
    if (hold.status === 'released') return { hold: { ...hold }, changed: false };
    this.endHold(sale, hold, reason);
    return { hold: { ...hold }, changed: true };
  }

  async getHold(saleId: string, holdId: string): Promise<Hold | null> {
    const hold = this.mustGet(saleId).holds.get(holdId);
    return hold ? { ...hold } : null;
  }

  async sweepExpired(saleId: string, limit = 100): Promise<number> {
    checkSweepLimit(limit);
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    let released = 0;
    for (const id of sale.live) {
      const hold = sale.holds.get(id) as Hold;
      if (released >= limit || hold.expiresAt > now) break;
      this.endHold(sale, hold, 'expired');
      released += 1;
    }
    return released;
  }

  async stats(saleId: string): Promise<SaleStats> {
    const sale = this.mustGet(saleId);
    const now = this.clock.now();
    return {
      total: sale.settings.totalStock,
      available: sale.available,
      held: sale.held,
      sold: sale.sold,
      waiting: sale.issued - sale.serving - sale.departed.size,
      admitted: sale.serving - sale.passed,
      active: activeShoppers(sale.windows, now, sale.settings.admission.sessionSeconds * 1000),
    };
  }

  async restoreHold(saleId: string, restored: RestoredHold): Promise<RestoreOutcome> {
    return restoreHold(this.mustGet(saleId), restored);
  }

  async restoreUnits(saleId: string, units: ReadonlyArray<readonly [string, number]>): Promise<void> {
    const sale = this.mustGet(saleId);
    for (const [userId, n] of units) addUnits(sale, userId, n);
  }

  async expireSale(saleId: string, at: number): Promise<void> {
    if (at <= this.clock.now()) this.sales.delete(saleId);
    else this.expiries.set(saleId, at);
  }

  async purgeSale(saleId: string): Promise<number> {
    this.expiries.delete(saleId);
    return this.sales.delete(saleId) ? 1 : 0;
  }

  async moveOut(saleId: string, moveId: string, toSaleId: string, units: number): Promise<number> {
    return moveOut(this.mustGet(saleId), moveId, toSaleId, units);
  }

  async moveIn(saleId: string, moveId: string, units: number): Promise<boolean> {
    return moveIn(this.mustGet(saleId), moveId, units);
  }

  async settleMove(saleId: string, moveId: string): Promise<void> {
    this.lookup(saleId)?.moves.delete(moveId);
  }

  async pendingMoves(saleId: string): Promise<PendingMove[]> {
    return [...(this.lookup(saleId)?.moves.values() ?? [])].map((move) => ({ ...move }));
  }

  async drain(saleId: string): Promise<void> {
    const sale = this.mustGet(saleId);
    if (sale.pool !== null) sale.pool.drained = true;
  }

  async peekIncarnation(): Promise<string | null> {
    return this.incarnationParent === undefined ? null : this.incarnationId;
  }

  async incarnation(parent: string | null): Promise<EngineIncarnation> {
    const created = this.incarnationParent === undefined;
    if (created) this.incarnationParent = parent;
    return { id: this.incarnationId, parent: this.incarnationParent ?? null, created };
  }

  async close(): Promise<void> {}

  private endHold(sale: MemorySale, hold: Hold, reason: ReleaseReason): void {
    hold.status = 'released';
    hold.releaseReason = reason;
    sale.live.delete(hold.id);
    sale.held -= hold.quantity;
    sale.available += hold.quantity;
    const shopper = sale.shoppers.get(hold.userId);
    if (shopper) shopper.units -= hold.quantity;
  }

  /** At the start, the pre-queue's size is fixed: its tickets are the ones the shuffle orders. */
  private freeze(sale: MemorySale, now: number): void {
    sale.prequeueSize = prequeueSizeAt(sale.prequeueSize, sale.issued, sale.settings.startsAt, now);
  }

  private state(sale: MemorySale, now: number) {
    return saleState(sale.settings, sale.flags, sale, now, sale.pool);
  }

  private snapshotAt(sale: MemorySale, now: number): QueueSnapshot {
    return queueSnapshot(sale, this.state(sale, now), sale.windows, now);
  }

  private statusAt(sale: MemorySale, userId: string, now: number): QueueStatus {
    const ticket = sale.shoppers.get(userId)?.ticket || null;
    const snapshot = this.snapshotAt(sale, now);
    const place = ticket === null ? null : placeOf(ticket, snapshot.prequeueSize, sale.shuffleKeys);
    const spent = place !== null && place <= sale.serving && sale.spent.has(place);
    return statusFromSnapshot(snapshot, ticket, now, spent);
  }

  private view(sale: MemorySale): SaleView {
    const now = this.clock.now();
    return {
      ...sale.settings,
      admission: { ...sale.settings.admission },
      state: this.state(sale, now),
      flags: { ...sale.flags },
      stock: { total: sale.settings.totalStock, available: sale.available, held: sale.held, sold: sale.sold },
      pool: sale.pool && { ...sale.pool },
    };
  }

  private lookup(saleId: string): MemorySale | undefined {
    const at = this.expiries.get(saleId);
    if (at !== undefined && at <= this.clock.now()) {
      this.expiries.delete(saleId);
      this.sales.delete(saleId);
    }
    return this.sales.get(saleId);
  }

  private mustGet(saleId: string): MemorySale {
    const sale = this.lookup(saleId);
    if (!sale) throw new FlashsaleError('SALE_NOT_FOUND');
    return sale;
  }

  private mustGetHold(sale: MemorySale, holdId: string): Hold {
    const hold = sale.holds.get(holdId);
    if (!hold) throw new FlashsaleError('HOLD_NOT_FOUND');
    return hold;
  }
}

const stockLeft = (sale: MemorySale): number => sale.available + sale.held;
