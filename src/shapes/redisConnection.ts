/**
 * The one place Redis connections of the production shape are made: one Redis (REDIS_URL) or a Redis
 * Cluster (REDIS_CLUSTER_NODES). Everything above takes `Redis | Cluster` and never asks which: every
 * script's keys share a hash tag (the engine's `{sale:<id>}`, BullMQ's queue prefix), the clock reads
 * one node's TIME through a keyed script, and rate-limit counters are one key each.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';

export type RedisClient = Redis | Cluster;

/** Where the production shape's Redis is, from the configuration; null in the embedded shape. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: ReadonlyArray<{ host: string; port: number }> };

export function redisTarget(config: Pick<Config, 'redisUrl' | 'redisClusterNodes'>): RedisTarget | null {
  if (config.redisClusterNodes !== null) return { kind: 'cluster', nodes: config.redisClusterNodes };
  if (config.redisUrl !== null) return { kind: 'single', url: config.redisUrl };
  return null;
}

/**
 * Fail fast instead of queueing commands while Redis is away, and give up on a command Redis does
 * not answer in time (a silent partition): callers answer 503, never hang.
 */
export const failFast = (timeoutMs: number): RedisOptions => ({
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  lazyConnect: true,
  commandTimeout: timeoutMs,
  connectTimeout: timeoutMs,
});

/**
 * A new connection with `options`. On a cluster they apply to each node's connection, and the
 * cluster-wide ones (offline queue, lazy connect, auto-pipelining) to the cluster client, which follows MOVED
 * replies and re-reads the slot map when a node drops, so a failover needs no restart.
 */
export function openRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  return target.kind === 'single' ? new Redis(target.url, options) : openCluster(target.nodes, options);
}

/** A Cluster client on these seed nodes; see `openRedis` for where `options` go. */
export function openCluster(
  nodes: ReadonlyArray<{ host: string; port: number }>,
  options: RedisOptions = {},
): Cluster {
  // Never auto-pipelined on a cluster: when a failover moves slots, ioredis can put commands of two
  // slot groups in one auto-pipeline and fails them all ("All keys in the pipeline should belong to
  // the same slots allocation group"), which reached buyers as 500s in the failover test.
  const { enableOfflineQueue, lazyConnect, enableAutoPipelining: _single, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: enableOfflineQueue ?? true,
    lazyConnect: lazyConnect ?? false,
    enableAutoPipelining: false,
    redisOptions: perNode,
    // Slots are re-read when a node answers MOVED or drops; this also catches a failover that
    // happened while this process sent nothing to the failed shard.
    slotsRefreshInterval: 5000,
    ...(options.connectTimeout === undefined ? {} : { slotsRefreshTimeout: options.connectTimeout }),
  };
  return new Cluster(
    nodes.map((n) => ({ host: n.host, port: n.port })),
    clusterOptions,
  );
}
