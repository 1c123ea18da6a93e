import { randomBytes, randomUUID } from 'node:crypto';
import { type Cluster, Redis } from 'ioredis';
import { FlashsaleError, isFlashsaleError } from '../../domain/errors.ts';
import type { ConfirmEnd, Hold, HoldEnd, ReleaseReason, ReserveRequest } from '../../domain/hold.ts';
import {
  activeShoppers,
  MAX_POLL_AFTER_MS,
  type QueueSnapshot,
  type QueueStatus,
  statusFromSnapshot,
} from '../../domain/queue.ts';
import { normalizeSale, type SaleInput } from '../../domain/sale.ts';
import { shuffleKeys } from '../../domain/shuffle.ts';
import { onRedis } from '../../failures/redis.ts';
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
import { holdEndBatches, joinBatches, readHoldBatches, reserveBatches } from './batches.ts';
import { checkReply, IDEM_REPEAT, SWEEP_INCOMPLETE } from './codes.ts';
import {
  decodeHold,
  decodeSale,
  decodeWindows,
  encodeNewSale,
  type StoredSale,
  saleSnapshot,
  saleView,
} from './decode.ts';
import { DEFAULT_PREFIX, holdIdOfMember, type SaleKeys, saleKeys } from './keys.ts';
import { ReplicaWait } from './replicated.ts';
import { forEachSaleKeyBatch } from './saleKeyBatches.ts';
import { defineScripts, runScript, type ScriptName } from './scripts.ts';

export interface RedisEngineOptions extends EngineOptions {
  /** Prefix of every key (default `fs:`); the sale's hash tag follows it. */
  prefix?: string;
  /**
   * Quit the connection in `close()`. Default false: an injected connection belongs to whoever
   * created it (several engines may share it). `RedisEngine.connect()` creates one and owns it.
   */
  ownsConnection?: boolean;
}

/** Reading a few more sweep candidates than the limit absorbs holds ended concurrently. */
const SWEEP_SLACK = 32;
const SWEEP_ATTEMPTS = 5;
const RESTORE_BATCH = 500;

/**
 * The sale engine on Redis or Redis Cluster. Each mutating method is one Lua script (`lua/*.lua`),
 * so it is one atomic step however many processes share the store; time is the injected clock's,
 * passed to the scripts. Views, snapshots and statuses are derived in TypeScript from what the scripts
 * return, with the same domain functions the memory engine uses. Every Redis call goes through
 * `onRedis`: a lost connection surfaces as UNAVAILABLE (the ioredis error as its cause). Joins and
 * reservations are group commits per sale (batches.ts): those made together go as one script.
 */
export class RedisEngine implements PartStore {
  private readonly prefix: string;
  private readonly ownsConnection: boolean;
  readonly location: string;
  /** The lease arguments of the heartbeat and admit scripts: '' when heartbeats are off. */
  private readonly heartbeatArg: string;
  private readonly admissionLeaseArg: string;
  private readonly joinInBatch: ReturnType<typeof joinBatches>;
  private readonly reserveInBatch: ReturnType<typeof reserveBatches>;
  private readonly endInBatch: ReturnType<typeof holdEndBatches>;
  private readonly readHoldInBatch: ReturnType<typeof readHoldBatches>;
  /** A move's steps wait for a replica (replicated.ts). */
  private readonly replicas: ReplicaWait;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly clock: Clock,
    options: RedisEngineOptions = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.ownsConnection = options.ownsConnection ?? false;
    this.location = locationOf(redis, this.prefix);
    const heartbeatMs = options.heartbeatMs ?? null;
    this.heartbeatArg = heartbeatMs === null ? '' : String(heartbeatMs);
    this.admissionLeaseArg = heartbeatMs === null ? '' : String(heartbeatMs + MAX_POLL_AFTER_MS);
    defineScripts(redis);
    this.joinInBatch = joinBatches(redis, (saleId) => this.keys(saleId));
    this.reserveInBatch = reserveBatches(redis, (saleId) => this.keys(saleId));
    this.endInBatch = holdEndBatches(redis, (saleId) => this.keys(saleId));
    this.readHoldInBatch = readHoldBatches(redis, (saleId) => this.keys(saleId));
    this.replicas = new ReplicaWait(redis);
  }

  /** An engine on a connection of its own, quit by `close()`. */
  static connect(url: string, clock: Clock, options: Omit<RedisEngineOptions, 'ownsConnection'> = {}) {
    return new RedisEngine(new Redis(url), clock, { ...options, ownsConnection: true });
  }

  async createSale(input: SaleInput, options: CreateSaleOptions = {}): Promise<SaleView> {
    const settings = normalizeSale(input, () => randomBytes(16).toString('hex'), this.clock.now());
    const sold = checkSold(options.sold, settings.totalStock);
    const keys = settings.queueing === 'shuffle' ? shuffleKeys(settings.shuffleSeed) : null;
    const k = this.keys(settings.id);
    const args = encodeNewSale(settings, keys, sold, options.flags, options.pool);
    const { payload } = await this.run('createSale', [k.meta], args);
    return saleView(decodeSale(payload[0]), this.clock.now());
  }

  async getSale(saleId: string): Promise<SaleView | null> {
    try {
      const { sale } = await this.read(saleId, false);
      return saleView(sale, this.clock.now());
    } catch (error) {
      if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
      throw error;
    }
  }

  async start(saleId: string): Promise<SaleView> {
    return this.saleCommand('start', saleId, [this.clock.now()]);
  }

  async pause(saleId: string): Promise<SaleView> {
    return this.saleCommand('setFlag', saleId, ['paused', '1']);
  }

  async resume(saleId: string): Promise<SaleView> {
    return this.saleCommand('setFlag', saleId, ['paused', '0']);
  }

  async end(saleId: string): Promise<SaleView> {
    return this.saleCommand('setFlag', saleId, ['ended', '1']);
  }

  async join(saleId: string, userId: string): Promise<QueueStatus> {
    checkUserId(userId);
    const now = this.clock.now();
    const { sale, reply } = await this.joinInBatch(saleId, { now, userId });
    const [windows, ticket, spent, issued, prequeueSize] = checkReply(reply, 'join').payload;
    if (sale === null) throw new Error('flashsale: a join answered without its sale');
    // The batch's sale, as it was right after this join (joinMany.lua).
    const atJoin: StoredSale = {
      ...sale,
      issued: Number(issued),
      prequeueSize: prequeueSize === null ? null : Number(prequeueSize),
    };
    return this.statusOf(atJoin, windows, ticket, spent, now);
  }

  async leave(saleId: string, userId: string): Promise<boolean> {
    checkUserId(userId);
    const k = this.keys(saleId);
    const { payload } = await this.run(
      'leave',
      [k.meta, k.tickets, k.leases, k.departed, k.spent, k.windows],
      [this.clock.now(), userId],
    );
    return payload[0] === 1;
  }

  async heartbeat(saleId: string, userIds: readonly string[]): Promise<string[]> {
    for (const userId of userIds) checkUserId(userId);
    const k = this.keys(saleId);
    const ended: string[] = [];
    // Batches keep each script's argument list (and its time blocking Redis) small.
    for (let i = 0; i === 0 || i < userIds.length; i += RESTORE_BATCH) {
      const { payload } = await this.run(
        'heartbeat',
        [k.meta, k.tickets, k.leases, k.spent],
        [this.clock.now(), this.heartbeatArg, ...userIds.slice(i, i + RESTORE_BATCH)],
      );
      ended.push(...(payload[0] as string[]));
    }
    return ended;
  }

  async status(saleId: string, userId: string): Promise<QueueStatus> {
    checkUserId(userId);
    const now = this.clock.now();
    const k = this.keys(saleId);
    const { payload } = await this.run(
      'readSale',
      [k.meta, k.windows, k.tickets, k.spent],
      ['status', userId, now],
    );
    return this.statusOf(decodeSale(payload[0]), payload[1], payload[2], payload[3], now);
  }

  async snapshot(saleId: string): Promise<QueueSnapshot> {
    const now = this.clock.now();
    const { sale, windows } = await this.read(saleId, true);
    return saleSnapshot(sale, windows, now);
  }

  async admit(saleId: string): Promise<AdmitResult> {
    const k = this.keys(saleId);
    const { payload } = await this.run(
      'admit',
      [k.meta, k.windows, k.leases, k.departed, k.spent],
      [this.clock.now(), this.admissionLeaseArg],
    );
    const [admitted, serving, active] = payload as [number, number, number];
    return { admitted, serving, active };
  }

  async reserve(request: ReserveRequest): Promise<Hold> {
    checkReserve(request);
    const { saleId, userId, quantity } = request;
    const idemField = `${userId}\n${request.idempotencyKey}`;
    const holdId = request.holdId ?? randomUUID();
    const call = { now: this.clock.now(), userId, quantity, idemField, holdId };
    const { status, payload } = checkReply(await this.reserveInBatch(saleId, call), 'reserve');
    if (status !== IDEM_REPEAT) return decodeHold(saleId, payload[0]);
    // A repeat: answer with the earlier hold as it is now. Idempotency entries never change, so
    // reading the hold after the script is the same as reading it inside.
    const earlier = await this.getHold(saleId, String(payload[0]));
    if (earlier === null) throw new Error(`flashsale: idempotency entry names a missing hold ${payload[0]}`);
    if (earlier.quantity !== quantity) throw new FlashsaleError('IDEMPOTENCY_CONFLICT');
    return earlier;
  }

  async confirm(saleId: string, holdId: string): Promise<ConfirmEnd> {
    const reply = await this.endInBatch(saleId, { holdId, end: 'confirm', now: this.clock.now() });
    const { payload } = checkReply(reply, 'confirm');
    return { ...decodeEnd(saleId, payload), stockLeft: Number(payload[2]) };
  }

  async release(saleId: string, holdId: string, reason: ReleaseReason): Promise<HoldEnd> {
    const reply = await this.endInBatch(saleId, { holdId, end: 'release', reason });
    return decodeEnd(saleId, checkReply(reply, 'release').payload);
  }

  async getHold(saleId: string, holdId: string): Promise<Hold | null> {
    const { payload } = checkReply(await this.readHoldInBatch(saleId, holdId), 'readHold');
    return payload[0] === null || payload[0] === undefined ? null : decodeHold(saleId, payload[0]);
  }

  async sweepExpired(saleId: string, limit = 100): Promise<number> {
    checkSweepLimit(limit);
    const now = this.clock.now();
    const k = this.keys(saleId);
    const want = limit;
    let released = 0;
    for (let attempt = 1; ; attempt++) {
      const left = want - released;
      const members =
        left > 0
          ? await onRedis(() =>
              this.redis.zrangebyscore(k.deadlines, '-inf', now, 'LIMIT', 0, left + SWEEP_SLACK),
            )
          : [];
      const holdKeys = members.map((member) => k.hold(holdIdOfMember(member)));
      const { status, payload } = await this.run(
        'sweep',
        [k.meta, k.deadlines, k.units, ...holdKeys],
        [now, left, ...members],
      );
      released += payload[0] as number;
      if (status !== SWEEP_INCOMPLETE || released >= want || attempt >= SWEEP_ATTEMPTS) return released;
    }
  }

  async stats(saleId: string): Promise<SaleStats> {
    const now = this.clock.now();
    const { sale, windows } = await this.read(saleId, true);
    return {
      ...sale.stock,
      waiting: sale.issued - sale.serving - sale.departed,
      admitted: sale.serving - sale.passed,
      active: activeShoppers(windows, now, sale.settings.admission.sessionSeconds * 1000),
    };
  }

  async restoreHold(saleId: string, hold: RestoredHold): Promise<RestoreOutcome> {
    const k = this.keys(saleId);
    const idemField = hold.idempotencyKey === null ? '' : `${hold.userId}\n${hold.idempotencyKey}`;
    const { payload } = await this.run(
      'restoreHold',
      [k.meta, k.units, k.idem, k.deadlines, k.hold(hold.id)],
      [hold.id, hold.userId, hold.quantity, hold.expiresAt, idemField],
    );
    return payload[0] as RestoreOutcome;
  }

  async restoreUnits(saleId: string, units: ReadonlyArray<readonly [string, number]>): Promise<void> {
    const k = this.keys(saleId);
    // Batches keep each script's argument list (and its time blocking Redis) small.
    for (let i = 0; i < units.length; i += RESTORE_BATCH) {
      const args = units.slice(i, i + RESTORE_BATCH).flat();
      await this.run('restoreUnits', [k.meta, k.units], args);
    }
  }

  async expireSale(saleId: string, at: number): Promise<void> {
    await forEachSaleKeyBatch(this.redis, this.keys(saleId), (keys) =>
      onRedis(() => {
        const pipeline = this.redis.pipeline();
        for (const key of keys) pipeline.pexpireat(key, at);
        return pipeline.exec();
      }),
    );
  }

  async purgeSale(saleId: string): Promise<number> {
    let removed = 0;
    await forEachSaleKeyBatch(this.redis, this.keys(saleId), async (keys) => {
      removed += await onRedis(() => this.redis.del(...keys));
    });
    return removed;
  }

  async moveOut(saleId: string, moveId: string, toSaleId: string, units: number): Promise<number> {
    const k = this.keys(saleId);
    const { payload } = await this.run('moveOut', [k.meta, k.moves], [moveId, toSaleId, units]);
    await this.replicas.forSale(saleId);
    return Number(payload[0]);
  }

  async moveIn(saleId: string, moveId: string, units: number): Promise<boolean> {
    const k = this.keys(saleId);
    const added = (await this.run('moveIn', [k.meta, k.movedIn], [moveId, units])).payload[0] === 1;
    await this.replicas.forSale(saleId);
    return added;
  }

  async settleMove(saleId: string, moveId: string): Promise<void> {
    await onRedis(() => this.redis.hdel(this.keys(saleId).moves, moveId));
  }

  async pendingMoves(saleId: string): Promise<PendingMove[]> {
    const moves = await onRedis(() => this.redis.hgetall(this.keys(saleId).moves));
    return Object.entries(moves).map(([moveId, value]) => {
      const [toSaleId = '', units = '0'] = value.split(' ');
      return { moveId, toSaleId, units: Number(units) };
    });
  }

  async drain(saleId: string): Promise<void> {
    await this.saleCommand('setFlag', saleId, ['drained', '1']);
  }

  async peekIncarnation(): Promise<string | null> {
    const value = await onRedis(() => this.redis.get(this.incarnationKey));
    return value === null ? null : (value.split(' ')[0] ?? null);
  }

  async incarnation(parent: string | null): Promise<EngineIncarnation> {
    const key = this.incarnationKey;
    // "<id> <parent>" in one string, so one SET NX creates both; ids and parents never hold spaces.
    const fresh = `${randomUUID()} ${parent ?? ''}`;
    const set = await onRedis(() => this.redis.set(key, fresh, 'NX'));
    const value = set === 'OK' ? fresh : await onRedis(() => this.redis.get(key));
    // Deleted between the two calls: the store is being reset right now; ask again.
    if (value === null) return this.incarnation(parent);
    const [id = '', stored = ''] = value.split(' ');
    return { id, parent: stored === '' ? null : stored, created: set === 'OK' };
  }

  /** Quits the connection only if this engine owns it (see `ownsConnection`). */
  async close(): Promise<void> {
    if (this.ownsConnection) await onRedis(() => this.redis.quit());
  }

  /** Outside every sale's hash tag: one key for the whole store. */
  private get incarnationKey(): string {
    return `${this.prefix}engine:incarnation`;
  }

  private keys(saleId: string): SaleKeys {
    return saleKeys(this.prefix, saleId);
  }

  private async run(name: ScriptName, keys: string[], args: (string | number)[]) {
    return checkReply(await onRedis(() => runScript(this.redis, name, keys, args)), name);
  }

  private async read(saleId: string, withWindows: boolean) {
    const k = this.keys(saleId);
    const args = [withWindows ? 'all' : 'none', '', 0];
    const { payload } = await this.run('readSale', [k.meta, k.windows, k.tickets, k.spent], args);
    return { sale: decodeSale(payload[0]), windows: decodeWindows(payload[1]) };
  }

  private async saleCommand(name: ScriptName, saleId: string, args: (string | number)[]) {
    const { payload } = await this.run(name, [this.keys(saleId).meta], args);
    return saleView(decodeSale(payload[0]), this.clock.now());
  }

  /**
   * A user's status from the sale and a reply's 'status' windows: only those the status depends on,
   * with fillers between them (lua/includes/windows.lua), so a join or status reads O(log windows).
   */
  private statusOf(
    sale: StoredSale,
    windows: unknown,
    ticket: unknown,
    spent: unknown,
    now: number,
  ): QueueStatus {
    const snapshot = saleSnapshot(sale, decodeWindows(windows), now);
    return statusFromSnapshot(snapshot, Number(ticket ?? 0) || null, now, spent === 1);
  }
}

/**
 * host:port/db and the key prefix, never the password. A cluster's nodes change with failovers, so it
 * is named by its key prefix alone.
 */
function locationOf(redis: Redis | Cluster, prefix: string): string {
  if (!(redis instanceof Redis)) return `redis-cluster ${prefix}`;
  const { host, port, db, path } = redis.options;
  return `redis://${path ?? `${host}:${port}`}/${db ?? 0} ${prefix}`;
}

/** A hold end's reply payload: { hold pairs, changed (1 | 0), ... }. */
function decodeEnd(saleId: string, payload: unknown[]): HoldEnd {
  return { hold: decodeHold(saleId, payload[0]), changed: payload[1] === 1 };
}
