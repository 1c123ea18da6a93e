import type { Cluster, Redis } from 'ioredis';
import { coalesceBy } from '../../domain/coalesce.ts';
import { onRedis } from '../../failures/redis.ts';
import { checkReply } from './codes.ts';
import type { SaleKeys } from './keys.ts';
import { runScript } from './scripts.ts';

/**
 * The group commits of the calls a sale's rush is made of, joins and reservations, one per sale
 * (`coalesceBy`): those made while a batch of the sale is in Redis go together in the next one, as
 * one script call (joinMany.lua, reserveMany.lua) that runs each request in call order with the now
 * of its call and answers each on its own, so the batch means what its calls one after another
 * would, and one request's refusal is its own. A lone call goes out after one turn of the event loop,
 * as the single script (join.lua, reserve.lua). Each caller gets its request's raw reply and checks it
 * (`checkReply`) itself; only a failure of the whole call (a lost connection) fails the whole batch.
 */

/**
 * Most joins or reservations of one sale sent as one script: bounds the time one batch blocks Redis
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

type Connection = Redis | Cluster;
type Batched<C> = (saleId: string, call: C) => Promise<unknown>;

/** A batch script's per-request replies: `{ OK, reply 1, reply 2, ... }`. */
async function replies(
  redis: Connection,
  name: 'joinMany' | 'reserveMany',
  keys: string[],
  args: (string | number)[],
): Promise<unknown[]> {
  return checkReply(await onRedis(() => runScript(redis, name, keys, args)), name).payload;
}

export function joinBatches(redis: Connection, keysOf: (saleId: string) => SaleKeys): Batched<JoinCall> {
  return coalesceBy<string, JoinCall, unknown>(async (saleId, calls) => {
    const k = keysOf(saleId);
    const keys = [k.meta, k.tickets, k.spent, k.windows];
    const args = calls.flatMap((c) => [c.now, c.userId]);
    if (calls.length === 1) return [await onRedis(() => runScript(redis, 'join', keys, args))];
    return replies(redis, 'joinMany', keys, args);
  }, MAX_BATCH);
}

export function reserveBatches(
  redis: Connection,
  keysOf: (saleId: string) => SaleKeys,
): Batched<ReserveCall> {
  return coalesceBy<string, ReserveCall, unknown>(async (saleId, calls) => {
    const k = keysOf(saleId);
    // Each new hold's key is a KEY: a cluster node must be told every key a script touches.
    const keys = [k.meta, k.tickets, k.units, k.leases, k.idem, k.deadlines, k.windows, k.spent];
    keys.push(...calls.map((c) => k.hold(c.holdId)));
    const args = calls.flatMap((c) => [c.now, c.userId, c.quantity, c.idemField, c.holdId]);
    if (calls.length === 1) return [await onRedis(() => runScript(redis, 'reserve', keys, args))];
    return replies(redis, 'reserveMany', keys, args);
  }, MAX_BATCH);
}
