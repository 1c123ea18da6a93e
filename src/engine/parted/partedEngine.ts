import { randomBytes, randomUUID } from 'node:crypto';
import { FlashsaleError, isFlashsaleError } from '../../domain/errors.ts';
import type { ConfirmEnd, Hold, HoldEnd, ReleaseReason, ReserveRequest } from '../../domain/hold.ts';
import { holdIdForPart, partOfHold, partSaleId, shares } from '../../domain/parts.ts';
import { type QueueSnapshot, type QueueStatus, statusAsSale } from '../../domain/queue.ts';
import { normalizeSale, type SaleInput } from '../../domain/sale.ts';
import type {
  AdmitResult,
  Clock,
  CreateSaleOptions,
  EngineIncarnation,
  PartStore,
  RestoredHold,
  RestoreOutcome,
  SaleEngine,
  SaleStats,
  SaleView,
} from '../types.ts';
import { checkSold } from '../validate.ts';
import { combineSnapshots, combineStats, combineViews, mustExist, sum } from './combine.ts';
import { byPart, inPartOf, inPartOfHold } from './partOf.ts';
import { PartStock } from './partStock.ts';

/**
 * Reserving in a part that ran short: move units to it (or wait for the move under way), then try
 * again, at most this often. Near the end of a sale many buyers of a part run short at once, and
 * units are on their way between parts; a reservation is refused only when the whole sale lacks the
 * units, or after this many tries.
 */
const RESERVE_ATTEMPTS = 8;

/**
 * The sale engine for sales split into parts (domain/parts.ts), over an engine that stores each part
 * as a sale of its own. A sale of one part (the default) goes straight to the engine below, as
 * before; the number of parts is read from the sale's part 0 (which is the sale itself) once per
 * process and kept.
 *
 * For a sale of K parts: a buyer's calls go to their part; hold ids and tickets name their part;
 * operator switches, admission steps, sweeps and reads go to every part. A reservation that finds
 * its part short moves available units from the parts that have the most (PartStore: a move is
 * recorded on the giving part until it is finished, so one interrupted by a crash is finished by
 * the next `admit` or `stats`), then tries again. The sale is sold out when the parts' sold units
 * add up to its stock — sold units never come back, so the sum cannot overstate — and then every
 * part is marked drained, so each one tells its waiters and refuses further tickets.
 */
export class PartedEngine implements SaleEngine {
  /** Sale id → its parts' sale ids (one entry: a sale of one part). Fixed when a sale is published. */
  private readonly partIds = new Map<string, readonly string[]>();
  /** Reads of part 0 under way, so that a burst of first calls for a sale makes one. */
  private readonly lookups = new Map<string, Promise<readonly string[]>>();

  /** Units moved between a sale's parts, and the whole sale's stock read across them. */
  private readonly stock: PartStock;

  constructor(
    /** The engine that stores each part as a sale. */
    readonly inner: PartStore,
    private readonly clock: Clock,
  ) {
    this.stock = new PartStock(inner);
  }

  get location(): string {
    return this.inner.location;
  }

  async createSale(input: SaleInput, options: CreateSaleOptions = {}): Promise<SaleView> {
    const parts = input.parts ?? 1;
    if (parts === 1) return this.inner.createSale(input, options);
    const now = this.clock.now();
    // Validated once for the whole sale; every part shares its seed, so each shuffles alike.
    const sale = normalizeSale(input, () => randomBytes(16).toString('hex'), now);
    let soldLeft = checkSold(options.sold, sale.totalStock);
    const ids = this.idsOf(sale.id, parts);
    const stock = shares(sale.totalStock, parts);
    const perSecond = shares(sale.admission.perSecond, parts);
    const maxActive = shares(sale.admission.maxActive, parts);
    const pool = { parts, total: sale.totalStock };
    const created = ids.map((id, i) => {
      const sold = Math.min(soldLeft, stock[i] as number);
      soldLeft -= sold;
      const partInput: SaleInput = {
        ...sale,
        id,
        parts: 1,
        totalStock: stock[i] as number,
        admission: { ...sale.admission, perSecond: perSecond[i], maxActive: maxActive[i] },
      };
      return { partInput, partOptions: { ...options, sold, pool } };
    });
    // Part 0 last: it is how the sale is found, so a sale half created by a crash is created again.
    for (const { partInput, partOptions } of created.slice(1)) {
      try {
        await this.inner.createSale(partInput, partOptions);
      } catch (error) {
        if (!isFlashsaleError(error, 'SALE_EXISTS')) throw error;
      }
    }
    const first = created[0] as (typeof created)[0];
    await this.inner.createSale(first.partInput, first.partOptions);
    return this.mustGetSale(sale.id);
  }

  async getSale(saleId: string): Promise<SaleView | null> {
    const first = await this.inner.getSale(saleId);
    if (first === null) return null;
    const ids = this.idsOf(saleId, first.parts);
    if (ids.length === 1) return first;
    const rest = await Promise.all(ids.slice(1).map((id) => this.inner.getSale(id)));
    return combineViews(saleId, [first, ...rest.map((view) => mustExist(view))], this.clock.now());
  }

  start(saleId: string): Promise<SaleView> {
    return this.everyPart(saleId, (id) => this.inner.start(id));
  }

  pause(saleId: string): Promise<SaleView> {
    return this.everyPart(saleId, (id) => this.inner.pause(id));
  }

  resume(saleId: string): Promise<SaleView> {
    return this.everyPart(saleId, (id) => this.inner.resume(id));
  }

  end(saleId: string): Promise<SaleView> {
    return this.everyPart(saleId, (id) => this.inner.end(id));
  }

  join(saleId: string, userId: string): Promise<QueueStatus> {
    return this.route(
      saleId,
      () => this.inner.join(saleId, userId),
      async (ids) => {
        const { id, part } = inPartOf(ids, userId);
        return statusAsSale(await this.inner.join(id, userId), part, ids.length);
      },
    );
  }

  leave(saleId: string, userId: string): Promise<boolean> {
    return this.route(
      saleId,
      () => this.inner.leave(saleId, userId),
      (ids) => this.inner.leave(inPartOf(ids, userId).id, userId),
    );
  }

  heartbeat(saleId: string, userIds: readonly string[]): Promise<string[]> {
    return this.route(
      saleId,
      () => this.inner.heartbeat(saleId, userIds),
      async (ids) => {
        const groups = byPart(ids, userIds, (userId) => userId);
        return (await Promise.all(groups.map(([id, users]) => this.inner.heartbeat(id, users)))).flat();
      },
    );
  }

  status(saleId: string, userId: string): Promise<QueueStatus> {
    return this.route(
      saleId,
      () => this.inner.status(saleId, userId),
      async (ids) => {
        const { id, part } = inPartOf(ids, userId);
        return statusAsSale(await this.inner.status(id, userId), part, ids.length);
      },
    );
  }

  snapshot(saleId: string): Promise<QueueSnapshot> {
    return this.route(
      saleId,
      () => this.inner.snapshot(saleId),
      async (ids) => combineSnapshots(saleId, await Promise.all(ids.map((id) => this.inner.snapshot(id)))),
    );
  }

  admit(saleId: string): Promise<AdmitResult> {
    return this.route(
      saleId,
      () => this.inner.admit(saleId),
      async (ids) => {
        // The admission loop calls this a few times a second: it also finishes what a crash interrupted.
        await this.stock.finishMoves(ids);
        await this.stock.readAndDrain(ids);
        const steps = await Promise.all(ids.map((id) => this.inner.admit(id)));
        return {
          admitted: sum(steps.map((s) => s.admitted)),
          serving: sum(steps.map((s) => s.serving)),
          active: sum(steps.map((s) => s.active)),
        };
      },
    );
  }

  reserve(request: ReserveRequest): Promise<Hold> {
    return this.route(
      request.saleId,
      () => this.inner.reserve(request),
      (ids) => this.reserveInPart(ids, request),
    );
  }

  confirm(saleId: string, holdId: string): Promise<ConfirmEnd> {
    return this.route(
      saleId,
      () => this.inner.confirm(saleId, holdId),
      async (ids) => {
        const end = await this.inner.confirm(inPartOfHold(ids, holdId).id, holdId);
        // The last units of a part sold: when they were the sale's last, every part must say so.
        const whole = end.stockLeft === 0 ? (await this.stock.readAndDrain(ids)).left : null;
        const stockLeft = whole === null ? end.stockLeft : whole.available + whole.held;
        return { ...end, hold: { ...end.hold, saleId }, stockLeft };
      },
    );
  }

  release(saleId: string, holdId: string, reason: ReleaseReason): Promise<HoldEnd> {
    return this.route(
      saleId,
      () => this.inner.release(saleId, holdId, reason),
      async (ids) => {
        const end = await this.inner.release(inPartOfHold(ids, holdId).id, holdId, reason);
        return { ...end, hold: { ...end.hold, saleId } };
      },
    );
  }

  getHold(saleId: string, holdId: string): Promise<Hold | null> {
    return this.route(
      saleId,
      () => this.inner.getHold(saleId, holdId),
      async (ids) => {
        const part = partOfHold(String(holdId), ids.length);
        if (part === null) return null;
        const hold = await this.inner.getHold(ids[part] as string, holdId);
        return hold && { ...hold, saleId };
      },
    );
  }

  sweepExpired(saleId: string, limit = 100): Promise<number> {
    return this.route(
      saleId,
      () => this.inner.sweepExpired(saleId, limit),
      async (ids) => {
        let released = 0;
        // Part by part, up to the limit: what the first parts released now they will not find
        // again, so the next sweeps (the sweeper runs every few seconds) reach the later parts.
        for (const id of ids) {
          if (released >= limit) break;
          released += await this.inner.sweepExpired(id, limit - released);
        }
        return released;
      },
    );
  }

  stats(saleId: string): Promise<SaleStats> {
    return this.route(
      saleId,
      () => this.inner.stats(saleId),
      async (ids) => {
        await this.stock.finishMoves(ids);
        return combineStats(await Promise.all(ids.map((id) => this.inner.stats(id))));
      },
    );
  }

  restoreHold(saleId: string, hold: RestoredHold): Promise<RestoreOutcome> {
    return this.route(
      saleId,
      () => this.inner.restoreHold(saleId, hold),
      async (ids) => {
        const { id, part } = inPartOfHold(ids, hold.id);
        const outcome = await this.inner.restoreHold(id, hold);
        if (outcome !== 'no_stock') return outcome;
        const refill = await this.stock.refill(ids, part, hold.quantity);
        return refill.moved ? this.inner.restoreHold(id, hold) : outcome;
      },
    );
  }

  restoreUnits(saleId: string, units: ReadonlyArray<readonly [string, number]>): Promise<void> {
    return this.route(
      saleId,
      () => this.inner.restoreUnits(saleId, units),
      async (ids) => {
        const groups = byPart(ids, units, ([userId]) => userId);
        await Promise.all(groups.map(([id, some]) => this.inner.restoreUnits(id, some)));
      },
    );
  }

  incarnation(parent: string | null): Promise<EngineIncarnation> {
    return this.inner.incarnation(parent);
  }

  peekIncarnation(): Promise<string | null> {
    return this.inner.peekIncarnation();
  }

  async expireSale(saleId: string, at: number): Promise<void> {
    // Part 0 last, so that an interrupted call still finds the other parts through it.
    for (const id of [...(await this.ids(saleId))].reverse()) await this.inner.expireSale(id, at);
  }

  async purgeSale(saleId: string): Promise<number> {
    let removed = 0;
    for (const id of [...(await this.ids(saleId))].reverse()) removed += await this.inner.purgeSale(id);
    this.partIds.delete(saleId);
    return removed;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Runs `one` for a sale of one part and `parted` with the parts' sale ids for a split sale. A sale
   * this process has seen is routed from memory, so an unsplit sale's calls go straight to the
   * engine below, with nothing added on the hot paths.
   */
  private route<T>(
    saleId: string,
    one: () => Promise<T>,
    parted: (ids: readonly string[]) => Promise<T>,
  ): Promise<T> {
    const ids = this.partIds.get(saleId);
    if (ids !== undefined) return ids.length === 1 ? one() : parted(ids);
    return this.lookup(saleId).then((found) => (found.length === 1 ? one() : parted(found)));
  }

  /** The sale ids of a sale's parts; one (the sale's own) when it is one part or is not found. */
  private async ids(saleId: string): Promise<readonly string[]> {
    return this.partIds.get(saleId) ?? this.lookup(saleId);
  }

  /** Reads part 0 for the number of parts; the first calls for a sale share one read. */
  private lookup(saleId: string): Promise<readonly string[]> {
    let lookup = this.lookups.get(saleId);
    if (lookup === undefined) {
      lookup = this.inner
        .getSale(saleId)
        .then((first) => (first === null ? [saleId] : this.idsOf(saleId, first.parts)))
        .finally(() => this.lookups.delete(saleId));
      this.lookups.set(saleId, lookup);
    }
    return lookup;
  }

  /**
   * A reservation in the buyer's part of a split sale. A part that ran short gets units moved to it
   * (or waits for the move under way) and is asked again.
   */
  private async reserveInPart(ids: readonly string[], request: ReserveRequest): Promise<Hold> {
    const { id, part } = inPartOf(ids, request.userId);
    const partRequest = { ...request, saleId: id, holdId: holdIdForPart(randomUUID(), part) };
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.inner.reserve(partRequest)), saleId: request.saleId };
      } catch (error) {
        const short = isFlashsaleError(error, 'SOLD_OUT') || isFlashsaleError(error, 'INSUFFICIENT_STOCK');
        if (!short) throw error;
        const refill = await this.stock.refill(ids, part, request.quantity);
        // A refill joined midway read the parts before this attempt: look again rather than refuse.
        if (attempt < RESERVE_ATTEMPTS && (refill.moved || refill.joined)) continue;
        // No move served it: refused as the whole sale would refuse it, unless the sale has the
        // units after all (on their way between parts): then try again.
        if (refill.available === 0) throw new FlashsaleError('SOLD_OUT');
        if (refill.available < request.quantity) throw new FlashsaleError('INSUFFICIENT_STOCK');
        // The sale has the units but this part could not get them in time: a 503, asked again, rather
        // than a refusal the sale as a whole would not give.
        if (attempt >= RESERVE_ATTEMPTS) {
          throw new FlashsaleError(
            'UNAVAILABLE',
            "The sale's units are moving between its parts; try again shortly.",
          );
        }
      }
    }
  }

  private idsOf(saleId: string, parts: number): readonly string[] {
    let ids = this.partIds.get(saleId);
    if (ids === undefined || ids.length !== parts) {
      ids = Array.from({ length: parts }, (_, i) => partSaleId(saleId, i, parts));
      this.partIds.set(saleId, ids);
    }
    return ids;
  }

  private async everyPart(saleId: string, change: (id: string) => Promise<SaleView>): Promise<SaleView> {
    const ids = await this.ids(saleId);
    if (ids.length === 1) return change(saleId);
    await Promise.all(ids.map(change));
    return this.mustGetSale(saleId);
  }

  private async mustGetSale(saleId: string): Promise<SaleView> {
    const view = await this.getSale(saleId);
    if (view === null) throw new FlashsaleError('SALE_NOT_FOUND');
    return view;
  }
}
