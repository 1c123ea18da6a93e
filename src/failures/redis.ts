/**
 * The one place that knows what an ioredis connection failure looks like. The Redis engine and the
 * BullMQ job queue (which runs on ioredis too) both translate through `redisFailure`, so every layer
 * above them sees the registry's UNAVAILABLE, with the driver's error as its cause.
 */
import { failureTranslator, isSocketError } from './translate.ts';

/** Error classes ioredis (and BullMQ on top of it) throws when it has no usable connection. */
const FAILURE_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'ConnectionClosedError',
]);

/**
 * Messages of the plain Errors ioredis rejects commands with when the connection is down or gone:
 * closed ("Connection is closed."), no offline queue ("Stream isn't writeable and enableOfflineQueue
 * options is false", "Cluster isn't ready and enableOfflineQueue options is false"), the connection
 * dropped under a sent command, the cluster unreachable, and no reply within `commandTimeout` (a
 * silent partition). These carry no code, only the message. On a Redis Cluster also: a shard without
 * a master (CLUSTERDOWN, TRYAGAIN while slots move) past the client's redirection budget, and a slot
 * map that could not be read; each means "not now" during a failover, never a refusal.
 */
const FAILURE_MESSAGE =
  /^(Connection is closed|Stream isn't writeable|Cluster isn't ready|Command aborted due to connection close|None of startup nodes is available|Cluster is disconnect|Node is disconnected|connect ETIMEDOUT|Command timed out|Too many Cluster redirections|Failed to refresh slots cache|CLUSTERDOWN|TRYAGAIN)/;

/**
 * Whether ioredis failed to reach Redis, as opposed to Redis answering with an error (a script's
 * refusal, WRONGTYPE, NOSCRIPT…), which stays what it is.
 */
export function isRedisConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return FAILURE_NAMES.has(error.name) || FAILURE_MESSAGE.test(error.message) || isSocketError(error);
}

const translator = failureTranslator(isRedisConnectionFailure);

/** A connection failure becomes UNAVAILABLE (caused by it); anything else is returned unchanged. */
export const redisFailure = translator.failure;

/** Runs one Redis call and rethrows its connection failures as UNAVAILABLE. */
export const onRedis = translator.on;
