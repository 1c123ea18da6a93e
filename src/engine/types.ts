import type { ConfirmEnd, Hold, HoldEnd, ReleaseReason, ReserveRequest } from '../domain/hold.ts';
import type { QueueSnapshot, QueueStatus } from '../domain/queue.ts';
import type {
  PartOfPool,
  SaleFlags,
  SaleInput,
  SaleSettings,
  SaleState,
  StockCounts,
} from '../domain/sale.ts';

/** Time as epoch milliseconds. Injected so tests move time without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SaleView extends SaleSettings {
  state: SaleState;
  flags: SaleFlags;
  stock: StockCounts;
  /** Set on a part of a sale split into several (domain/parts.ts), null otherwise. */
  pool: PartOfPool | null;
}

export interface SaleStats extends StockCounts {
  /** Joined, not yet admitted, and still in line (those who left are not counted). */
  waiting: number;
  /** Admitted since the sale began: the serving counter, less the places of buyers who had left. */
  admitted: number;
  /** Admitted users whose session is running and who have not checked out. */
  active: number;
}

export interface CreateSaleOptions {
  sold?: number;
  /** The operator's switches as PostgreSQL records them (a reload restores them); default both off. */
  flags?: SaleFlags;
  /**
   * Creates one part of a sale split into several (engine/parted): how many parts, and the whole
   * sale's stock. Such a part is never sold out by its own counts, only once drained (PartStore.drain).
   */
  pool?: { parts: number; total: number };
}

/**
 * A hold put back after the engine lost it: a pending order PostgreSQL recorded. Its units move from
 * available to held, count against the user's limit, and its idempotency key names it again.
 */
export interface RestoredHold {
  id: string;
  userId: string;
  quantity: number;
  expiresAt: number;
  /** Null for orders written before idempotency keys were recorded. */
  idempotencyKey: string | null;
}

export interface EngineIncarnation {
  id: string;
  /** The incarnation PostgreSQL had recorded when this one was created (null: none). */
  parent: string | null;
  /** This call created it. */
  created: boolean;
}

/** restored: this call put it back. exists: the engine has this hold already. no_stock: not enough available. */
export type RestoreOutcome = 'restored' | 'exists' | 'no_stock';

/** Units on their way from one part of a sale to another (PartStore.moveOut), not yet settled. */
export interface PendingMove {
  moveId: string;
  toSaleId: string;
  units: number;
}

/**
 * What an engine offers so that engine/parted can split a sale into parts: moving available units
 * between parts without ever losing or doubling one, and marking the parts sold out. A move is
 * three steps, each atomic on one part: `moveOut` takes the units off the giving part and records
 * the move there; `moveIn` adds them to the receiving part once per move id; `settleMove` forgets
 * the record. A move interrupted between the steps stays recorded on the giving part
 * (`pendingMoves`), and finishing it again is harmless, so whoever finds it completes it.
 */
export interface PartStore extends SaleEngine {
  /** Takes up to `units` available units off a part; answers how many it took (0: none). Idempotent by move id. */
  moveOut(saleId: string, moveId: string, toSaleId: string, units: number): Promise<number>;
  /** Adds a move's units to a part, once per move id; true when this call added them. */
  moveIn(saleId: string, moveId: string, units: number): Promise<boolean>;
  settleMove(saleId: string, moveId: string): Promise<void>;
  pendingMoves(saleId: string): Promise<PendingMove[]>;
  /** Marks a part sold out: every unit of the whole sale is sold. */
  drain(saleId: string): Promise<void>;
}

/** How an engine treats admitted shoppers' slots. */
export interface EngineOptions {
  /**
   * An admitted shopper holds their slot for this long after each heartbeat (and after admission,
   * plus MAX_POLL_AFTER_MS: they may have been told to poll that far apart while waiting); then the
   * next admission step gives it to the next in line and their session is over. Null: the slot
   * lasts the whole session (only a checkout or leaving gives it back).
   */
  heartbeatMs?: number | null;
}

/** Lapsed slots one admission step frees at most (the next step goes on); Lua uses the same number. */
export const LAPSED_LIMIT = 1000;

export interface AdmitResult {
  admitted: number;
  serving: number;
  active: number;
}

/**
 * The sale engine: waiting room + inventory. Adapters: `memory/` (one process) and `redis/`.
 * Both pass `test/contract/engine.contract.ts`. Every method is one atomic step on the store.
 *
 * Refusals are thrown as `FlashsaleError` with a code from `domain/errors.ts`:
 * SALE_NOT_FOUND, SALE_EXISTS, INVALID_SALE, NOT_LIVE, SOLD_OUT, INSUFFICIENT_STOCK, LIMIT_EXCEEDED,
 * INVALID_QUANTITY, IDEMPOTENCY_CONFLICT, NOT_ADMITTED (reserve after one's session ended early), HOLD_NOT_FOUND, HOLD_EXPIRED, HOLD_RELEASED, HOLD_CONFIRMED.
 */
export interface SaleEngine {
  /**
   * Creates a sale's counters. `sold`: units the database already counts as sold — when a sale is
   * loaded again after a restart or a Redis data loss, they must not go back on sale.
   */
  createSale(input: SaleInput, options?: CreateSaleOptions): Promise<SaleView>;
  getSale(saleId: string): Promise<SaleView | null>;
  /** Opens the sale now (moves startsAt and prequeueAt back to now if they are later). */
  start(saleId: string): Promise<SaleView>;
  pause(saleId: string): Promise<SaleView>;
  resume(saleId: string): Promise<SaleView>;
  end(saleId: string): Promise<SaleView>;

  /**
   * Takes a ticket, or returns the user's existing one. A user whose session is over (expired, left
   * or lapsed) or who left the line gets a new ticket at the back. Refused with NOT_LIVE before the
   * pre-queue opens.
   */
  join(saleId: string, userId: string): Promise<QueueStatus>;
  /**
   * The user leaves. A waiter's ticket stops counting as waiting and admission passes over it
   * without a slot; their status is then NOT_IN_QUEUE. An admitted user gives their slot back at once
   * and their session ends (status `expired`). Idempotent: true when this call changed something.
   */
  leave(saleId: string, userId: string): Promise<boolean>;
  /**
   * Admitted users still on the page: each one's slot is kept `heartbeatMs` from now. Users without a
   * slot are left alone. Answers those of `userIds` whose session ended early (left or lapsed), so a
   * process answering polls from its cache can tell them.
   */
  heartbeat(saleId: string, userIds: readonly string[]): Promise<string[]>;
  status(saleId: string, userId: string): Promise<QueueStatus>;
  /** Everything a status poll needs; cache it for a fraction of a second and use `statusFromSnapshot`. */
  snapshot(saleId: string): Promise<QueueSnapshot>;
  /**
   * One admission step: free the slots whose heartbeat lapsed, expire sessions, then advance
   * `serving` within the rate and the free slots, passing over those who left the line.
   */
  admit(saleId: string): Promise<AdmitResult>;

  /** Reserves units: a hold with a deadline. The same (user, idempotency key) returns the same hold. */
  reserve(request: ReserveRequest): Promise<Hold>;
  /** Sells a hold's units. Idempotent; refused once the hold is released or past its deadline. */
  confirm(saleId: string, holdId: string): Promise<ConfirmEnd>;
  /** Puts a hold's units back. Idempotent; refused (HOLD_CONFIRMED) once the hold is confirmed. */
  release(saleId: string, holdId: string, reason: ReleaseReason): Promise<HoldEnd>;
  getHold(saleId: string, holdId: string): Promise<Hold | null>;
  /** Releases up to `limit` holds past their deadline; returns how many. */
  sweepExpired(saleId: string, limit?: number): Promise<number>;
  stats(saleId: string): Promise<SaleStats>;

  /**
   * After a loss: puts back a pending order's hold (see RestoredHold). Idempotent by hold id.
   * Refused with SALE_NOT_FOUND when the sale is not loaded.
   */
  restoreHold(saleId: string, hold: RestoredHold): Promise<RestoreOutcome>;
  /**
   * After a loss: adds units a user already bought (confirmed in PostgreSQL) to their per-user count.
   * Not idempotent: call it once, right after the sale was loaded by this caller.
   */
  restoreUnits(saleId: string, units: ReadonlyArray<readonly [userId: string, units: number]>): Promise<void>;
  /**
   * The engine's incarnation: a random id the store keeps for as long as it keeps its data, created
   * on first use with `parent` (the incarnation PostgreSQL recorded then) stored beside it. A new id
   * whose parent is the recorded one means the store lost its data (or is new); any other id means
   * the store belongs to another deployment.
   */
  incarnation(parent: string | null): Promise<EngineIncarnation>;
  /**
   * Makes everything the store keeps for a sale disappear at `at` (epoch ms): called once a sale has
   * ended, with its retention added. A sale loaded again afterwards starts a new retention.
   */
  expireSale(saleId: string, at: number): Promise<void>;
  /** Removes everything the store keeps for a sale now; returns how many keys (or records) went. */
  purgeSale(saleId: string): Promise<number>;
  /**
   * Where the store is: for Redis its host, port, database and key prefix (no credentials); `memory`
   * for the memory engine. PostgreSQL records it with the incarnation, so that an empty store at
   * another address (a REDIS_URL pointing at a Redis that has never seen the catalog) is told apart
   * from the same store having lost its data.
   */
  readonly location: string;
  /** The incarnation id if one exists, without creating one (API processes watch it for resets). */
  peekIncarnation(): Promise<string | null>;
  close(): Promise<void>;
}
