/** Helpers shared by the chaos tests: waiting on a condition, and the checks every scenario ends with. */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { expect } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { OrderStatus } from '../../src/domain/order.ts';
import { type Cli, runCli } from '../cli/child.ts';
import { TEST_ENV } from '../pipeline/shapes.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { DATABASE_URL, REDIS_URL } from '../support/services.ts';

export const ORDERS = 1000;
export const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);
/** A bound for the wait, not a figure under test: the measured time to settle is printed. */
export const SETTLE_BOUND_MS = 120_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds (errors count as "not yet"); returns the time it took. */
export async function until(
  what: string,
  boundMs: number,
  condition: () => Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > boundMs) throw new Error(`${what}: not reached after ${boundMs} ms`);
    await sleep(200);
  }
}

/** GET /readyz of a serve process: its status and the named checks. */
export async function readyz(apiUrl: string): Promise<{ status: number; checks: unknown }> {
  const response = await fetch(`${apiUrl}/readyz`);
  const body = (await response.json()) as { checks?: unknown; error?: { details?: { checks?: unknown } } };
  return { status: response.status, checks: body.checks ?? body.error?.details?.checks };
}

/**
 * Waits until `/readyz` answers 200: at a start, and after a recovery, its checks may still be timing
 * out for a moment on a loaded machine. Never reached within the bound fails the test.
 */
export function untilReady(readyzOf: () => Promise<{ status: number }>, boundMs = 30_000): Promise<number> {
  return until('readyz answering 200', boundMs, async () => (await readyzOf()).status === 200);
}

/** Waits until no order of the sale is pending and the order queue is empty; returns the time. */
export function settled(app: App, saleId: string, boundMs = SETTLE_BOUND_MS): Promise<number> {
  return until('every order settled', boundMs, async () => {
    const counts = await app.store.orderCounts(saleId);
    const jobs = await app.queues.orders.counts();
    return counts.pending === 0 && jobs.waiting + jobs.active + jobs.delayed === 0;
  });
}

/**
 * What must hold after every scenario: each accepted order ended; the charges kept are exactly the
 * confirmed orders; the engine agrees with PostgreSQL; no hold is left; `flashsale audit` exits 0.
 */
export async function expectBooksBalanced(
  app: App,
  saleId: string,
  accepted: number,
  env: Record<string, string>,
): Promise<Record<OrderStatus, number>> {
  const counts = await app.store.orderCounts(saleId);
  expect(counts.pending).toBe(0);
  expect(counts.confirmed + counts.failed + counts.expired + counts.rejected).toBe(accepted);
  expect(await app.store.charges.audit(saleId)).toEqual({
    captured: counts.confirmed,
    confirmed: counts.confirmed,
    confirmedUncharged: 0,
    chargedUnconfirmed: 0,
  });
  const stats = await app.engine.stats(saleId);
  expect(stats.sold).toBe(await app.store.soldUnits(saleId));
  expect(stats.held).toBe(0);
  const audit: Cli = runCli(['audit', saleId], env);
  expect(await audit.exited, audit.output).toBe(0);
  return counts;
}

/** Stops the scenario's processes: SIGTERM, up to 10 s to exit, then SIGKILL. */
export async function stopProcesses(processes: readonly Cli[]): Promise<void> {
  for (const p of processes) {
    p.child.kill('SIGTERM');
    await Promise.race([p.exited, sleep(10_000)]);
    p.kill();
  }
}

/**
 * One dependency down for OUTAGE_MS with orders in flight, then back: during the outage `/readyz`
 * names it (the other dependency stays ok) and no process exits; after it, every order settles, the
 * books balance, `/readyz` is 200 again and still no process has exited. Prints the figures.
 */
export async function rideOutage(scenario: {
  label: string;
  /** The dependency as a person names it, for the printed figures. */
  name: string;
  /** The `/readyz` check of the dependency that goes away, and of the one that stays. */
  away: 'database' | 'redis';
  stays: 'database' | 'redis';
  stop(): Promise<void> | void;
  start(): Promise<void>;
  readyz(): Promise<{ status: number; checks: unknown }>;
  processes: readonly Cli[];
  app: App;
  saleId: string;
  inFlight: number;
  env: Record<string, string>;
}): Promise<void> {
  const stillRunning = () => {
    for (const p of scenario.processes) expect(p.child.exitCode, p.output.slice(-3000)).toBeNull();
  };
  await scenario.stop();
  const stoppedAt = Date.now();
  // Polled until the API notices (its checks are time-boxed), not slept for.
  let during = await scenario.readyz();
  await until('readyz answering 503', OUTAGE_MS, async () => {
    during = await scenario.readyz();
    return during.status === 503;
  }).catch(() => undefined);
  expect(during.status).toBe(503);
  expect(during.checks).toMatchObject({
    [scenario.away]: expect.stringMatching(/failed|timeout/),
    [scenario.stays]: 'ok',
  });
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
  stillRunning();
  await scenario.start();
  const outageMs = Date.now() - stoppedAt;

  const settleMs = await settled(scenario.app, scenario.saleId);
  const counts = await scenario.app.store.orderCounts(scenario.saleId);
  console.log(
    `[chaos/${scenario.label}] ${ORDERS} paid orders, ${scenario.inFlight} in flight when ${scenario.name} ` +
      `stopped; outage ${(outageMs / 1000).toFixed(1)} s; every order settled ${(settleMs / 1000).toFixed(1)} s ` +
      `after recovery: ${JSON.stringify(counts)}`,
  );
  await expectBooksBalanced(scenario.app, scenario.saleId, ORDERS, scenario.env);
  await untilReady(scenario.readyz);
  stillRunning();
}

/**
 * A scenario on the shared Redis and PostgreSQL: a key prefix, a queue prefix, a schema and an
 * outbox of its own, so it can run beside other tests. `start` creates the schema and the test's own
 * app (which migrates it) and returns the environment every `flashsale` process of the scenario runs
 * with; `run` starts one; `cleanUp` (afterAll) stops them and removes all the scenario left.
 */
export function sharedScenario() {
  const id = randomUUID().slice(0, 8);
  const schema = `chaos_${id}`;
  const outbox = join(tmpdir(), `flashsale-chaos-${id}.jsonl`);
  const processes: Cli[] = [];
  let app: App | null = null;
  return {
    processes,
    /** `over`: the scenario's own settings, over the defaults every chaos scenario shares. */
    async start(over: Record<string, string> = {}): Promise<{ app: App; env: Record<string, string> }> {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.end();
      // The CLI takes no schema option: its processes select it through the URL's search_path.
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
        ...over,
      };
      app = await createApp(loadConfig(env), { log: pino({ level: 'silent' }), pgSchema: schema });
      return { app, env };
    },
    run(args: string[], env: Record<string, string>): Cli {
      const started = runCli(args, env);
      processes.push(started);
      return started;
    },
    async cleanUp(): Promise<void> {
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
    },
  };
}
