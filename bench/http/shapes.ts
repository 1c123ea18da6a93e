/**
 * The two shapes bench/http.ts runs the service in: embedded (memory engine, PGlite in memory) and
 * production (Redis, BullMQ and PostgreSQL, under a key prefix and a schema of the run's own, removed
 * after).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeys } from '../../test/support/redisKeys.ts';

/** A shape for the service: its environment, and what removes its data after. */
export interface BenchShape {
  label: 'embedded' | 'production';
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function embeddedShape(): BenchShape {
  const outbox = join(tmpdir(), `flashsale-bench-outbox-${randomUUID().slice(0, 8)}.jsonl`);
  return {
    label: 'embedded',
    env: { FLASHSALE_DATA_DIR: 'memory', FLASHSALE_OUTBOX: outbox },
    cleanup: () => rm(outbox, { force: true }),
  };
}

/** Redis + BullMQ + PostgreSQL under a key prefix and a schema of their own, all removed after. */
export function productionShape(): BenchShape {
  const id = randomUUID().slice(0, 8);
  const outbox = join(tmpdir(), `flashsale-bench-outbox-${id}.jsonl`);
  const schema = `bench_http_${id}`;
  return {
    label: 'production',
    env: {
      REDIS_URL,
      DATABASE_URL,
      FLASHSALE_REDIS_PREFIX: `bench-http-${id}:`,
      BENCH_PG_SCHEMA: schema,
      BENCH_QUEUE_PREFIX: `{bench-http-${id}}`,
      FLASHSALE_OUTBOX: outbox,
    },
    async cleanup() {
      await rm(outbox, { force: true });
      const redis = new Redis(REDIS_URL);
      for (const pattern of [`bench-http-${id}:*`, `{bench-http-${id}}*`]) await deleteKeys(redis, pattern);
      redis.disconnect();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Both services answer (a connection is enough: the bench's own set-up reports anything else). */
export async function reachable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await redis.connect();
    await client.connect();
    return true;
  } catch (error) {
    console.warn(`production shape skipped: ${String(error)}`);
    return false;
  } finally {
    redis.disconnect();
    await client.end().catch(() => undefined);
  }
}
