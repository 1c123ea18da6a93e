/**
 * Chaos: a PostgreSQL of the suite's own is stopped (`pg_ctl stop -m fast`: every session ends with
 * 57P01, as in the incident this guards against) while paid orders are in flight, and started again
 * after CHAOS_OUTAGE_MS (30 s by default). A real `flashsale worker` and a real `flashsale serve`
 * run against it, on the shared Redis under their own prefixes. Afterwards every accepted order must
 * end confirmed or failed-and-refunded, the charges kept must equal the confirmed orders, the engine
 * must agree with PostgreSQL, no hold may be left, `flashsale audit` must exit 0, and neither process
 * may have exited by itself. The figures (orders in flight, outage, time to settle) are printed.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type Cli, runCli } from '../cli/child.ts';
import { buy, crowd, newSale } from '../pipeline/helpers.ts';
import { TEST_ENV } from '../pipeline/shapes.ts';
import { hasOwnPostgres, type OwnPostgres, startOwnPostgres } from '../support/ownPostgres.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasRedis, REDIS_URL } from '../support/services.ts';
import {
  ORDERS,
  OUTAGE_MS,
  readyz as readyzOf,
  rideOutage,
  stopProcesses,
  until,
  untilReady,
} from './support.ts';

const ready = hasOwnPostgres() && (await hasRedis());

describe.skipIf(!ready)('chaos: PostgreSQL stopped and started with paid orders in flight', () => {
  const id = randomUUID().slice(0, 8);
  const outbox = join(tmpdir(), `flashsale-chaos-${id}.jsonl`);
  let pgServer: OwnPostgres | null = null;
  let app: App | null = null;
  const processes: Cli[] = [];

  afterAll(async () => {
    await stopProcesses(processes);
    await app?.close().catch(() => undefined);
    await pgServer?.destroy();
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`chaos-${id}:*`, `{chaos-${id}}*`]) await deleteKeys(redis, pattern);
    redis.disconnect();
    await rm(outbox, { force: true });
  });

  it(`every order settles after a ${OUTAGE_MS / 1000} s outage, money and stock agree, no process exits`, async () => {
    pgServer = await startOwnPostgres();
    const env = {
      ...TEST_ENV,
      REDIS_URL,
      DATABASE_URL: pgServer.url,
      FLASHSALE_REDIS_PREFIX: `chaos-${id}:`,
      FLASHSALE_QUEUE_PREFIX: `{chaos-${id}}`,
      FLASHSALE_OUTBOX: outbox,
      FLASHSALE_LOG_LEVEL: 'warn',
      PORT: '0',
      FLASHSALE_PAYMENT_LATENCY_MS: '20',
      FLASHSALE_WORKER_CONCURRENCY: '32',
      FLASHSALE_DB_TIMEOUT_MS: '2000',
      FLASHSALE_RETRY_MAX_DELAY_MS: '1000',
      FLASHSALE_RECONCILE_INTERVAL_MS: '1000',
      FLASHSALE_RECONCILE_GRACE_MS: '5000',
    };
    // The test's own app (migrates the schema, publishes the sale, takes the checkouts).
    app = await createApp(loadConfig(env), { log: pino({ level: 'silent' }) });
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
      label: 'postgres',
      name: 'PostgreSQL',
      away: 'database',
      stays: 'redis',
      stop: () => pgServer?.stop(),
      start: async () => {
        await pgServer?.start();
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
