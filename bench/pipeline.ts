/**
 * Orders persisted per second by the order workers (order job → payment → engine confirm →
 * PostgreSQL confirm), on the embedded shape and, when reachable, on Redis + BullMQ + PostgreSQL.
 * The checkouts are taken first (their rate is in the notes), then the workers start and the clock
 * runs until every order is confirmed in the database. Baseline: the same run with group commit off
 * (confirmations one transaction each), so the ratio is what group commit buys on this machine.
 * Payment latency 0: this measures flashsale, not the provider.
 *   npx tsx bench/pipeline.ts [--n 10000] [--concurrency N (default: FLASHSALE_WORKER_CONCURRENCY's default)] [--shapes embedded,production]
 *     [--baseline on|off]
 * The CPU column is this process's own (user + sys) per order while the workers ran; Redis and
 * PostgreSQL run in their own processes and are not in it. `npm run bench` runs it with the
 * Dockerfile's NODE_OPTIONS (a larger young generation); run alone, pass them the same way to compare.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { type AppOptions, createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { checkout } from '../src/orders/checkout.ts';
import { createBullQueue } from '../src/orders/jobs/bullmqQueue.ts';
import { startWorker } from '../src/orders/worker.ts';
import { publishSale } from '../src/sales/publish.ts';
import { deleteKeys } from '../test/support/redisKeys.ts';
import { appendResults, cpuMicrosOf, measure, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: String(loadConfig({}).workerConcurrency) },
    shapes: { type: 'string', default: 'embedded,production' },
    baseline: { type: 'string', default: 'on' },
  },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const SHAPES = new Set(values.shapes.split(','));
const BASELINE = values.baseline !== 'off';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function run(label: string, env: Record<string, string>, options: AppOptions, maxBatch: number) {
  const app = await createApp(
    loadConfig({ ...env, FLASHSALE_PAYMENT_LATENCY_MS: '0', FLASHSALE_LOG_LEVEL: 'silent' }),
    { log: pino({ level: 'silent' }), ...options },
  );
  const now = Date.now();
  const sale = await publishSale(app, {
    id: `bench-${randomUUID().slice(0, 8)}`,
    name: 'bench',
    priceCents: 100,
    totalStock: N,
    perUserLimit: 1,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 3600,
  });
  const checkouts = await measure(`${label}: checkouts`, N, 200, (i) =>
    checkout(app, {
      saleId: sale.id,
      userId: `u${i}`,
      quantity: 1,
      idempotencyKey: 'k',
      paymentMethod: 'pm_ok',
    }),
  );
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const redisBefore = cpuMicrosOf('redis-server');
  const pgBefore = cpuMicrosOf('postgres');
  const stop = startWorker(app, { concurrency: CONCURRENCY, ticks: false, reconcile: false, maxBatch });
  await app.queues.orders.drained(600_000);
  const seconds = (performance.now() - started) / 1000;
  // The confirmation mails' jobs run beside the orders' (the buyers here have no address, so each
  // job only finds that out); when the last one is done says how far they lag behind the orders.
  await app.queues.notifications.drained(600_000);
  const mailsDone = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisUs = (cpuMicrosOf('redis-server') - redisBefore) / N;
  const pgUs = (cpuMicrosOf('postgres') - pgBefore) / N;
  const confirmed = (await app.store.orderCounts(sale.id)).confirmed;
  await stop();
  await app.close();
  if (confirmed !== N) throw new Error(`${label}: expected ${N} confirmed orders, got ${confirmed}`);
  const mode = maxBatch === 1 ? 'order by order (baseline)' : 'group commit';
  return {
    name: `${label}: orders persisted, ${mode}`,
    ops: N,
    seconds,
    perSecond: N / seconds,
    // This process's CPU (user + sys) while the workers ran: Redis and PostgreSQL are not in it.
    cpuUs: (cpu.user + cpu.system) / N,
    note:
      `checkouts before the workers started: ${Math.round(checkouts.perSecond)}/s; ` +
      `server CPU per order: redis-server ${Math.round(redisUs)} µs, postgres ${Math.round(pgUs)} µs; ` +
      `mail jobs all done ${mailsDone.toFixed(1)} s after the workers started`,
  } satisfies Row;
}

/** Baseline and group commit on one shape; the ratio is group commit over the baseline. */
async function shapeRows(label: string, fresh: () => { env: Record<string, string>; options: AppOptions }) {
  const b = fresh();
  const grouped = await run(label, b.env, b.options, 500);
  if (!BASELINE) return [grouped];
  const a = fresh();
  const baseline = await run(label, a.env, a.options, 1);
  return [
    { ...baseline, ratio: 1 },
    { ...grouped, ratio: grouped.perSecond / baseline.perSecond },
  ];
}

const rows: Row[] = [];
if (SHAPES.has('embedded')) {
  rows.push(
    ...(await shapeRows('embedded (memory + in-process jobs + PGlite)', () => ({
      env: { FLASHSALE_DATA_DIR: 'memory' },
      options: {},
    }))),
  );
}

/**
 * The machine's ceiling for any BullMQ pipeline: the same number of jobs, with the same queue options
 * and concurrency, through a handler that does nothing. Orders cannot go faster than their jobs.
 */
async function bullmqAlone(prefix: string): Promise<Row> {
  const queue = createBullQueue<{ i: number }>('empty', { connection: REDIS_URL, prefix });
  for (let i = 0; i < N; i += 500) {
    const size = Math.min(500, N - i);
    await queue.addBulk(Array.from({ length: size }, (_, j) => ({ name: 'empty', data: { i: i + j } })));
  }
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const redisBefore = cpuMicrosOf('redis-server');
  queue.process(async () => {}, { concurrency: CONCURRENCY });
  await queue.drained(600_000);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisUs = (cpuMicrosOf('redis-server') - redisBefore) / N;
  await queue.close();
  return {
    name: 'BullMQ alone: empty jobs, same queue options and concurrency (the ceiling)',
    ops: N,
    seconds,
    perSecond: N / seconds,
    cpuUs: (cpu.user + cpu.system) / N,
    note: `server CPU per job: redis-server ${Math.round(redisUs)} µs`,
  };
}

const ids: string[] = [];
try {
  if (SHAPES.has('production')) {
    const id = randomUUID().slice(0, 8);
    ids.push(id);
    rows.push(await bullmqAlone(`{bench-${id}}`));
    rows.push(
      ...(await shapeRows('production (Redis + BullMQ + PostgreSQL)', () => {
        const id = randomUUID().slice(0, 8);
        ids.push(id);
        return {
          env: { REDIS_URL, DATABASE_URL, FLASHSALE_REDIS_PREFIX: `bench-${id}:` },
          options: { pgSchema: `bench_${id}`, queuePrefix: `{bench-${id}}` },
        };
      })),
    );
  }
} catch (error) {
  console.warn(`production shape skipped: ${String(error)}`);
} finally {
  const redis = new Redis(REDIS_URL);
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect().catch(() => undefined);
  for (const id of ids) {
    for (const pattern of [`bench-${id}:*`, `{bench-${id}}*`]) await deleteKeys(redis, pattern);
    await client.query(`DROP SCHEMA IF EXISTS bench_${id} CASCADE`).catch(() => undefined);
  }
  redis.disconnect();
  await client.end().catch(() => undefined);
}

const nodeOptions = process.env.NODE_OPTIONS
  ? `, NODE_OPTIONS=${process.env.NODE_OPTIONS}`
  : ', no NODE_OPTIONS';
printTable(
  `orders persisted per second (${N} orders, worker concurrency ${CONCURRENCY}${nodeOptions})`,
  rows,
);
for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
await appendResults('pipeline', rows);
