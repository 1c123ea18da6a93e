/**
 * Chaos: a Redis of the suite's own (append-only file, fsync always) is stopped while paid orders
 * are in flight and started again after CHAOS_OUTAGE_MS (30 s by default). A real `flashsale worker`
 * and `flashsale serve` run against it and the shared PostgreSQL (a schema of the test's own). The
 * worker's job locks expire during the outage, so jobs are re-run by BullMQ's stalled checker or
 * finished by the reconciler; either way the books must balance afterwards (see support.ts), /readyz
 * must name Redis during the outage, and neither process may exit by itself.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type Cli, runCli } from '../cli/child.ts';
import { buy, crowd, newSale } from '../pipeline/helpers.ts';
import { TEST_ENV } from '../pipeline/shapes.ts';
import { hasRedisServer, type RestartableRedis, startRestartableRedis } from '../support/ownRedis.ts';
import { DATABASE_URL, hasPostgres } from '../support/services.ts';
import {
  ORDERS,
  OUTAGE_MS,
  readyz as readyzOf,
  rideOutage,
  stopProcesses,
  until,
  untilReady,
} from './support.ts';

const ready = hasRedisServer() && (await hasPostgres());

describe.skipIf(!ready)('chaos: Redis stopped and started with paid orders in flight', () => {
  const id = randomUUID().slice(0, 8);
  const schema = `chaos_${id}`;
  const outbox = join(tmpdir(), `flashsale-chaos-${id}.jsonl`);
  let redisServer: RestartableRedis | null = null;
  let app: App | null = null;
  const processes: Cli[] = [];

  afterAll(async () => {
    await stopProcesses(processes);
    await app?.close().catch(() => undefined);
    await redisServer?.destroy();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await rm(outbox, { force: true });
  });

  it(`every order settles after a ${OUTAGE_MS / 1000} s Redis outage, money and stock agree, no process exits`, async () => {
    redisServer = await startRestartableRedis(await mkdtemp(join(tmpdir(), 'flashsale-redis-')));
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const databaseUrl = new URL(DATABASE_URL);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      ...TEST_ENV,
      REDIS_URL: redisServer.url,
      DATABASE_URL: databaseUrl.toString(),
      FLASHSALE_OUTBOX: outbox,
      FLASHSALE_LOG_LEVEL: 'warn',
      PORT: '0',
      FLASHSALE_PAYMENT_LATENCY_MS: '20',
      FLASHSALE_WORKER_CONCURRENCY: '32',
      FLASHSALE_REDIS_TIMEOUT_MS: '2000',
      FLASHSALE_RETRY_MAX_DELAY_MS: '1000',
      FLASHSALE_RECONCILE_INTERVAL_MS: '1000',
      FLASHSALE_RECONCILE_GRACE_MS: '5000',
    };
    app = await createApp(loadConfig(env), { log: pino({ level: 'silent' }), pgSchema: schema });
    const worker = runCli(['worker'], { ...env, FLASHSALE_LOG_LEVEL: 'info' });
    const serve = runCli(['serve'], env);
    processes.push(worker, serve);
    await worker.waitFor(/worker running/);
    const apiUrl = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1] as string;
    const readyz = () => readyzOf(apiUrl);
    await untilReady(readyz);

    const store = app.store;
    const sale = await newSale(app, { totalStock: ORDERS, holdSeconds: 600 });
    const refusals = await crowd(ORDERS, 50, (i) => buy(app as App, sale.id, `buyer-${i}`));
    expect(refusals).toEqual([]);
    await until(
      'first confirmations',
      60_000,
      async () => (await store.orderCounts(sale.id)).confirmed >= 20,
    );

    const inFlight = ORDERS - (await store.orderCounts(sale.id)).confirmed;
    await rideOutage({
      label: 'redis',
      name: 'Redis',
      away: 'redis',
      stays: 'database',
      stop: () => redisServer?.stop(),
      start: async () => {
        await redisServer?.start();
      },
      readyz,
      processes: [worker, serve],
      app,
      saleId: sale.id,
      inFlight,
      env,
    });
  }, 300_000);
});
