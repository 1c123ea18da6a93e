/**
 * The production shape on one Redis or a Redis Cluster: the Redis engine (Lua scripts), BullMQ for
 * jobs, PostgreSQL (or PGlite, for a single-node trial with durable jobs) for the record. Any number
 * of API and worker processes share it. Every connection comes from `openRedis` (redisConnection.ts).
 */

import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { sharedSecret } from '../db/durableSaleState.ts';
import { PartedEngine } from '../engine/parted/partedEngine.ts';
import { RedisClock } from '../engine/redis/redisClock.ts';
import { RedisEngine } from '../engine/redis/redisEngine.ts';
import { type Clock, systemClock } from '../engine/types.ts';
import { createBullQueue } from '../orders/jobs/bullmqQueue.ts';
import type { KeepCompleted } from '../orders/jobs/types.ts';
import {
  type AnalyticsJob,
  MAIL_JOBS_KEPT,
  type MailJob,
  type OrderJob,
  QUEUE_NAMES,
} from '../orders/orderJobs.ts';
import { openDatabase } from './database.ts';
import { failFast, openCluster, openRedis, type RedisClient, redisTarget } from './redisConnection.ts';
import type { Shape, ShapeOptions } from './types.ts';

export async function openRedisShape(
  config: Readonly<Config>,
  injectedClock: Clock | undefined,
  log: Logger,
  options: ShapeOptions,
): Promise<Shape> {
  const target = redisTarget(config);
  if (target === null) throw new Error('the redis shape needs REDIS_URL or REDIS_CLUSTER_NODES');
  const db = await openDatabase(config, options);
  const redisTimeoutMs = config.timeouts.redisMs;
  // Auto-pipelining on one Redis: the script calls of the requests handled in one turn of the event
  // loop leave in one write and their replies come back in one read, rather than a syscall pair per
  // request. A cluster client never auto-pipelines (see openCluster).
  const redis = openRedis(target, { ...failFast(redisTimeoutMs), enableAutoPipelining: true });
  // Without a listener ioredis prints every failed reconnect as an "Unhandled error event".
  redis.on('error', (error) => log.warn({ err: error }, 'engine Redis connection error'));
  // Tests inject a clock to move time; processes run on Redis's clock (see RedisClock).
  let redisClock: RedisClock | null = null;
  try {
    await redis.connect();
    if (injectedClock === undefined) {
      redisClock = await RedisClock.start(redis, options.processClock ?? systemClock, {
        onSyncError: (err) => log.warn({ err }, 'could not read the Redis clock: last offset kept'),
      });
    }
  } catch (error) {
    redis.disconnect();
    await db.close();
    throw error;
  }
  const clock: Clock = injectedClock ?? (redisClock as RedisClock);
  const engine = new PartedEngine(
    new RedisEngine(redis, clock, { prefix: config.redisPrefix, heartbeatMs: config.heartbeatMs }),
    clock,
  );
  // The masters the cluster client found on connecting: a split sale's parts are spread over them.
  const shards = redis instanceof Cluster ? Math.max(1, redis.nodes('master').length) : 1;

  // Rate-limit checks get a connection of their own, opened on first use (API processes only): a
  // check must fail fast (the plugin then lets the request through) rather than queue behind the
  // engine's commands or wait for a reconnect.
  let rateLimitRedis: Promise<RedisClient> | null = null;
  const rateLimitConnection = (): Promise<RedisClient> => {
    rateLimitRedis ??= (async () => {
      const connection = openRedis(target, failFast(Math.min(redisTimeoutMs, 1000)));
      connection.on('error', (error) =>
        log.warn({ err: error }, 'rate-limit store unavailable: limits not applied'),
      );
      await connection.connect().catch(() => undefined);
      return connection;
    })();
    return rateLimitRedis;
  };

  const queue = <T>(name: string, keepCompleted?: KeepCompleted) =>
    createBullQueue<T>(name, {
      connection:
        target.kind === 'single'
          ? target.url
          : { cluster: (nodeOptions) => openCluster(target.nodes, nodeOptions) },
      defaults: options.jobDefaults,
      ...(keepCompleted ? { keepCompleted } : {}),
      prefix: options.queuePrefix ?? config.queuePrefix,
      ...options.stalledMs,
      commandTimeoutMs: redisTimeoutMs,
      onError: (err) => log.warn({ err, queue: name }, 'job queue error'),
    });
  const queues = {
    orders: queue<OrderJob>(QUEUE_NAMES.orders),
    notifications: queue<MailJob>(QUEUE_NAMES.notifications, MAIL_JOBS_KEPT),
    analytics: queue<AnalyticsJob>(QUEUE_NAMES.analytics),
  };
  return {
    name: 'redis',
    description: `${target.kind === 'cluster' ? 'Redis Cluster' : 'Redis'} engine, BullMQ jobs, ${config.databaseUrl !== null ? 'PostgreSQL' : 'PGlite'}`,
    inProcess: false,
    clock,
    engine,
    shards,
    db,
    queues,
    rateLimitStore: async (nameSpace) => ({
      redis: await rateLimitConnection(),
      nameSpace: `${config.redisPrefix}rl:${nameSpace}:`,
    }),
    // In PostgreSQL, not Redis: a key that vanished with Redis's data split the API processes in two.
    sharedAdmissionKey: (generate) => sharedSecret(db, 'admission-key', generate),
    sharedSecret: (name, generate) => sharedSecret(db, name, generate),
    readiness: () => ({
      database: () => db.query('SELECT 1'),
      // A read of an unknown sale: one script call on the engine's own Redis connection.
      redis: () => engine.getSale('readyz-probe'),
      // Checkout enqueues order jobs on BullMQ's own connections: they must be up as well.
      queue: () => queues.orders.counts(),
    }),
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      redisClock?.stop();
      await engine.close();
      (await rateLimitRedis)?.disconnect();
      await redis.quit().catch(() => undefined);
      await db.close();
    },
  };
}
