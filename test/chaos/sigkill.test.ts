/**
 * Chaos: real `flashsale worker` processes killed with SIGKILL in the middle of their batches, on the
 * shared Redis and PostgreSQL (a prefix and a schema of the test's own). Two workers start on 1,000
 * paid orders; one is killed after the first confirmations, the other halfway, and a fresh worker
 * takes over. BullMQ's stalled checker hands the dead workers' jobs to the live one, whose group
 * commits repeat nothing; the books must balance afterwards (see support.ts).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type Cli, runCli } from '../cli/child.ts';
import { buy, crowd, newSale } from '../pipeline/helpers.ts';
import { TEST_ENV } from '../pipeline/shapes.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { DATABASE_URL, hasPostgres, hasRedis, REDIS_URL } from '../support/services.ts';
import { expectBooksBalanced, ORDERS, settled, stopProcesses, until } from './support.ts';

const ready = (await hasRedis()) && (await hasPostgres());

describe.skipIf(!ready)('chaos: workers killed with SIGKILL in the middle of batches', () => {
  const id = randomUUID().slice(0, 8);
  const schema = `chaos_${id}`;
  const outbox = join(tmpdir(), `flashsale-chaos-${id}.jsonl`);
  let app: App | null = null;
  const processes: Cli[] = [];

  afterAll(async () => {
    await stopProcesses(processes);
    await app?.close().catch(() => undefined);
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`chaos-${id}:*`, `{chaos-${id}}*`]) await deleteKeys(redis, pattern);
    redis.disconnect();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await rm(outbox, { force: true });
  });

  it('every order settles once a fresh worker takes over, money and stock agree', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const databaseUrl = new URL(DATABASE_URL);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      ...TEST_ENV,
      REDIS_URL,
      DATABASE_URL: databaseUrl.toString(),
      FLASHSALE_REDIS_PREFIX: `chaos-${id}:`,
      FLASHSALE_QUEUE_PREFIX: `{chaos-${id}}`,
      FLASHSALE_OUTBOX: outbox,
      FLASHSALE_LOG_LEVEL: 'info',
      FLASHSALE_PAYMENT_LATENCY_MS: '20',
      FLASHSALE_WORKER_CONCURRENCY: '32',
      FLASHSALE_RECONCILE_INTERVAL_MS: '1000',
      FLASHSALE_RECONCILE_GRACE_MS: '5000',
    };
    app = await createApp(loadConfig(env), { log: pino({ level: 'silent' }), pgSchema: schema });
    const store = app.store;
    const sale = await newSale(app, { totalStock: ORDERS, holdSeconds: 600 });
    const refusals = await crowd(ORDERS, 50, (i) => buy(app as App, sale.id, `buyer-${i}`));
    expect(refusals).toEqual([]);

    const start = async () => {
      const worker = runCli(['worker'], env);
      processes.push(worker);
      await worker.waitFor(/worker running/);
      return worker;
    };
    const [first, second] = await Promise.all([start(), start()]);
    const confirmed = async () => (await store.orderCounts(sale.id)).confirmed;
    await until('first confirmations', 60_000, async () => (await confirmed()) >= 50);
    first?.child.kill('SIGKILL');
    const killedFirstAt = await confirmed();
    await until('half the orders', 120_000, async () => (await confirmed()) >= ORDERS / 2);
    second?.child.kill('SIGKILL');
    const killedSecondAt = await confirmed();
    const fresh = await start();
    const killedAt = Date.now();

    const settleMs = await settled(app, sale.id);
    const counts = await expectBooksBalanced(app, sale.id, ORDERS, env);
    console.log(
      `[chaos/sigkill] ${ORDERS} paid orders; workers killed at ${killedFirstAt} and ${killedSecondAt} ` +
        `confirmed; settled ${(settleMs / 1000).toFixed(1)} s after the fresh worker started ` +
        `(${((Date.now() - killedAt) / 1000).toFixed(1)} s): ${JSON.stringify(counts)}`,
    );
    expect(counts.confirmed).toBe(ORDERS);
    expect(fresh.child.exitCode).toBeNull();
  }, 300_000);
});
