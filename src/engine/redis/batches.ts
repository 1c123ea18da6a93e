import type { Cluster, Redis } from 'ioredis';
import { coalesceBy } from '../../domain/coalesce.ts';
import { onRedis } from '../../failures/redis.ts';
import { checkReply } from './codes.ts';
import { decodeSale, type StoredSale } from './decode.ts';
import type { SaleKeys } from './keys.ts';
import { runScript, type ScriptName } from './scripts.ts';

/**
 * The group commits of the calls a sale's rush is made of, one per sale (`coalesceBy`): joins and
 * reservations from the buyers, reads and confirmations of holds from the order workers. Those made
 * while a batch of the sale is in Redis go together in the next one, as one script call
 * (joinMany.lua, reserveMany.lua, readHoldMany.lua, endHoldMany.lua) that runs each request in call
 * order with the now of its call and answers each on its own, so the batch means what its calls one
 * after another would, and one request's refusal is its own. A lone call goes out after one turn of
 * the event loop, as a batch of one. Each caller gets its request's raw reply and checks it
 * (`checkReply`) itself; only a failure of the whole call (a lost connection) fails the whole batch.
 * The join and reservation scripts read the sale once per batch; a join's batch also sends it once
 * for all its joins (joinMany.lua), decoded here once.
 */

/**
 * Most calls of one sale sent as one script: bounds the time one batch blocks Redis
 * (each request is a few hash reads and writes) and the size of its reply.
 */
export const MAX_BATCH = 128;

/** One join: the caller's now and user. */
export interface JoinCall {
  now: number;
  userId: string;
}

/** One reservation, with the id its hold will have if taken. */
export interface ReserveCall {
  now: number;
  userId: string;
  quantity: number;
  /** "userId\nidempotencyKey" */
  idemField: string;
  holdId: string;
}

/** One end of a hold: a confirmation with the caller's now, or a release with its reason. */
export type HoldEndCall =
  | { holdId: string; end: 'confirm'; now: number }
  | { holdId: string; end: 'release'; reason: string };

/**
 * One join's answer: the sale after the join's batch, shared by the batch's joins and decoded once
 * (null: no such sale), and the join's own reply (joinMany.lua).
 */
export interface JoinReply {
  sale: StoredSale | null;
  reply: unknown;
}

type Connection = Redis | Cluster;
type Batched<C, R> = (saleId: string, call: C) => Promise<R>;

/**
 * How one kind of call goes to Redis: the script that runs a batch (a lone call is a batch of one),
 * the keys (the sale's fixed keys first, then any key of each call's own) and the arguments of each
 * call.
 */
interface BatchedScript<C, R> {
  many: ScriptName;
  keys: (k: SaleKeys, calls: readonly C[]) => string[];
  args: (call: C) => (string | number)[];
  /** The batch's payload as one reply per call, in call order (absent: the payload is that list). */
  replies?: (payload: unknown[]) => R[];
}

function scriptBatches<C, R = unknown>(
  redis: Connection,
  keysOf: (saleId: string) => SaleKeys,
  script: BatchedScript<C, R>,
): Batched<C, R> {
  const replies = script.replies ?? ((payload: unknown[]) => payload as R[]);
  return coalesceBy<string, C, R>(async (saleId, calls) => {
    const keys = script.keys(keysOf(saleId), calls);
    const args = calls.flatMap(script.args);
    // The batch's per-request replies: `{ OK, reply 1, reply 2, ... }`.
    const { payload } = checkReply(
      await onRedis(() => runScript(redis, script.many, keys, args)),
      script.many,
    );
    return replies(payload);
  }, MAX_BATCH);
}

export const joinBatches = (redis: Connection, keysOf: (saleId: string) => SaleKeys) =>
  scriptBatches<JoinCall, JoinReply>(redis, keysOf, {
    many: 'joinMany',
    keys: (k) => [k.meta, k.tickets, k.spent, k.windows],
    args: (c) => [c.now, c.userId],
    replies: ([meta, ...replies]) => {
      const sale = meta === null ? null : decodeSale(meta);
      return replies.map((reply) => ({ sale, reply }));
    },
  });

export const reserveBatches = (redis: Connection, keysOf: (saleId: string) => SaleKeys) =>
  scriptBatches<ReserveCall>(redis, keysOf, {
    many: 'reserveMany',
    // Each new hold's key is a KEY: a cluster node must be told every key a script touches.
    keys: (k, calls) => [
      ...[k.meta, k.tickets, k.units, k.leases, k.idem, k.deadlines, k.windows, k.spent],
      ...calls.map((c) => k.hold(c.holdId)),
    ],
    args: (c) => [c.now, c.userId, c.quantity, c.idemField, c.holdId],
  });

/**
 * Confirmations and releases of holds, in one batch so that they meet in call order (a confirm and a
 * release of one hold race as they would one after another). The order workers end most holds.
 */
export const holdEndBatches = (redis: Connection, keysOf: (saleId: string) => SaleKeys) =>
  scriptBatches<HoldEndCall>(redis, keysOf, {
    many: 'endHoldMany',
    keys: (k, calls) => [k.meta, k.deadlines, k.units, ...calls.map((c) => k.hold(c.holdId))],
    args: (c) => [c.end, c.end === 'confirm' ? c.now : c.reason],
  });

/** Reads of holds by id (each order job reads its hold first). */
export const readHoldBatches = (redis: Connection, keysOf: (saleId: string) => SaleKeys) =>
  scriptBatches<string>(redis, keysOf, {
    many: 'readHoldMany',
    keys: (k, holdIds) => [k.meta, ...holdIds.map((holdId) => k.hold(holdId))],
    args: () => [],
  });
