/**
 * Orders persisted per second through the whole pipeline (checkout → order job → payment → engine
 * confirm → PostgreSQL confirm), on the embedded shape and, when reachable, on Redis + BullMQ +
 * PostgreSQL. Payment latency 0: this measures flashsale, not the provider.
 *   npx tsx bench/pipeline.ts [--n 10000] [--concurrency 32]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { type AppOptions, createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { checkout } from '../src/orders/checkout.ts';
import { startWorker } from '../src/orders/worker.ts';
import { publishSale } from '../src/sales/publish.ts';
import { deleteKeys } from '../test/support/redisKeys.ts';
import { appendResults, measure, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '32' } },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function run(label: string, env: Record<string, string>, options: AppOptions): Promise<Row> {
  const app = await createApp(loadConfig({ ...env, FLASHSALE_PAYMENT_LATENCY_MS: '0' }), {
    log: pino({ level: 'silent' }),
    ...options,
  });
  const stop = startWorker(app, { concurrency: CONCURRENCY, ticks: false });
  const now = Date.now();
  const sale = await publishSale(app, {
    id: `bench-${randomUUID().slice(0, 8)}`,
    name: 'bench',
    priceCents: 100,
    totalStock: N,
    perUserLimit: 1,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 600,
  });
  const deps = {
    engine: app.engine,
    store: app.store,
    catalog: app.catalog,
    orders: app.queues.orders,
    orderAttempts: app.orderAttempts,
  };
  const row = await measure(`${label}: checkout → confirmed order`, N, 200, async (i) => {
    await checkout(deps, {
      saleId: sale.id,
      userId: `u${i}`,
      quantity: 1,
      idempotencyKey: 'k',
      paymentMethod: 'pm_ok',
    });
  });
  const started = performance.now() - row.seconds * 1000;
  await app.queues.orders.drained(600_000);
  const seconds = (performance.now() - started) / 1000;
  const confirmed = (await app.store.orderCounts(sale.id)).confirmed;
  if (confirmed !== N) throw new Error(`expected ${N} confirmed orders, got ${confirmed}`);
  await stop();
  await app.close();
  return {
    name: row.name,
    ops: N,
    seconds,
    perSecond: N / seconds,
    note: `checkouts alone: ${Math.round(row.perSecond)}/s`,
  };
}

const rows: Row[] = [
  await run('embedded (memory + in-process jobs + PGlite)', { FLASHSALE_DATA_DIR: 'memory' }, {}),
];

const id = randomUUID().slice(0, 8);
const schema = `bench_${id}`;
try {
  rows.push(
    await run(
      'production (Redis + BullMQ + PostgreSQL)',
      { REDIS_URL, DATABASE_URL, FLASHSALE_REDIS_PREFIX: `bench-${id}:` },
      { pgSchema: schema, queuePrefix: `{bench-${id}}` },
    ),
  );
} catch (error) {
  console.warn(`production shape skipped: ${String(error)}`);
} finally {
  const redis = new Redis(REDIS_URL);
  for (const pattern of [`bench-${id}:*`, `{bench-${id}}*`]) await deleteKeys(redis, pattern);
  redis.disconnect();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client
    .connect()
    .then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
    .catch(() => undefined);
  await client.end().catch(() => undefined);
}

printTable(`orders persisted per second (${N} orders, worker concurrency ${CONCURRENCY})`, rows);
for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
await appendResults('pipeline', rows);
