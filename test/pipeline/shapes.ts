/**
 * The shapes of the app for pipeline tests: embedded (memory engine, in-process jobs, PGlite) and
 * production (Redis engine, BullMQ, PostgreSQL) on one Redis or on a Redis Cluster, each isolated by
 * its own prefixes and schema.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { type App, type AppOptions, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { DATABASE_URL, REDIS_URL } from '../support/services.ts';

export interface Shape {
  name: 'embedded' | 'redis' | 'redis-cluster';
  /** Environment a child worker process needs to join this shape (production only). */
  env: Record<string, string>;
  options: AppOptions;
  /** A new app on this shape's stores; `env` overrides variables (rate limits, secrets…). */
  make(extra?: AppOptions, env?: Record<string, string>): Promise<App>;
  cleanup(): Promise<void>;
}

/**
 * Known secrets so tests can sign user tokens and call the admin API; rate limits and proof of work
 * off unless a test turns them on.
 */
export const TEST_ENV = {
  FLASHSALE_USER_SECRET: 'test-user-secret-0123456789',
  FLASHSALE_ADMIN_KEY: 'test-admin-key',
  FLASHSALE_RATE_LIMITS: 'off',
  FLASHSALE_POW: 'off',
  FLASHSALE_PAYMENT_LATENCY_MS: '0',
};

/** Each shape's confirmation messages go to a file of its own, outside the repository. */
const tempOutbox = () => join(tmpdir(), `flashsale-outbox-${randomUUID().slice(0, 8)}.jsonl`);

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function embeddedShape(): Shape {
  const env = { ...TEST_ENV, FLASHSALE_DATA_DIR: 'memory', FLASHSALE_OUTBOX: tempOutbox() };
  const options: AppOptions = { log: quiet, jobDefaults: { backoffMs: 10 } };
  return {
    name: 'embedded',
    env,
    options,
    make: (extra = {}, over = {}) => createApp(loadConfig({ ...env, ...over }), { ...options, ...extra }),
    cleanup: () => rm(env.FLASHSALE_OUTBOX, { force: true }),
  };
}

export function redisShape(): Shape {
  return productionShape('redis', { REDIS_URL }, () => new Redis(REDIS_URL));
}

/** The production shape on a Redis Cluster: `nodes` as in REDIS_CLUSTER_NODES. */
export function clusterShape(nodes: string): Shape {
  const seeds = nodes.split(',').map((node) => {
    const [host = '', port = ''] = node.split(':');
    return { host, port: Number(port) };
  });
  return productionShape('redis-cluster', { REDIS_CLUSTER_NODES: nodes }, () => new Cluster(seeds));
}

function productionShape(
  name: Shape['name'],
  redisEnv: { REDIS_URL: string } | { REDIS_CLUSTER_NODES: string },
  connect: () => Redis | Cluster,
): Shape {
  const id = randomUUID().slice(0, 8);
  const schema = `t_${id}`;
  const env = {
    ...TEST_ENV,
    FLASHSALE_OUTBOX: tempOutbox(),
    ...redisEnv,
    DATABASE_URL,
    FLASHSALE_REDIS_PREFIX: `fst-${id}:`,
    TEST_PG_SCHEMA: schema,
    TEST_QUEUE_PREFIX: `{fsq-${id}}`,
  };
  const options: AppOptions = {
    log: quiet,
    pgSchema: schema,
    queuePrefix: env.TEST_QUEUE_PREFIX,
    jobDefaults: { backoffMs: 10 },
    stalledMs: { lockDurationMs: 2000, stalledIntervalMs: 500 },
  };
  return {
    name,
    env,
    options,
    make: (extra = {}, over = {}) => createApp(loadConfig({ ...env, ...over }), { ...options, ...extra }),
    async cleanup() {
      await rm(env.FLASHSALE_OUTBOX, { force: true });
      const redis = connect();
      for (const pattern of [`${env.FLASHSALE_REDIS_PREFIX}*`, `{fsq-${id}*`])
        await deleteKeys(redis, pattern);
      await redis.quit();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
