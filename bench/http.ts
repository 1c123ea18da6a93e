/**
 * HTTP throughput: requests per second of the buyer routes, measured with autocannon (its programmatic
 * API, from this process) against the service in a child process, next to a plain `node:http`
 * hello world measured in the same run (the baseline). Rate limits off; every run bounded in time.
 *   npx tsx bench/http.ts [--duration 10] [--connections 50] [--production auto|on|off] [--embedded on|off]
 *   BENCH_CPU_PROF_DIR=<dir> also writes the API process's CPU profile there.
 *
 * Per shape (embedded; production when Redis and PostgreSQL answer, in its own key prefix and schema,
 * removed after): the sale page; the status poll of buyers already in line (the hot path); joins, each
 * by another user (a pool of user tokens signed here with the FLASHSALE_USER_SECRET given to the
 * service); checkouts, each by another admitted user with a fresh Idempotency-Key. All set-up goes
 * through the HTTP API: a sale with a generous admission rate, joins, the worker's admission ticks,
 * then status polls to collect the admission tokens.
 *
 * Checkout is measured twice, on separate buyers: with the order worker running, then paused (the
 * API's own cost; the jobs wait in the queue): the production worker process is stopped with SIGSTOP,
 * the embedded API stops its in-process worker when told to over IPC.
 *
 * Redis round trips per request (production): the API process counts the writes on its sockets to
 * Redis (a patched `net.Socket#write`; see bench/README.md) and the parent reads the count over IPC
 * before and after each route's run.
 *
 * The same file is the child process: `--serve` (API, `--with-worker` adds the order worker and
 * ticks, as the embedded shape runs them) or `--worker` (the production shape's separate worker).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type AddressInfo, Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createHttpContext } from '../src/http/context.ts';
import { buildServer } from '../src/http/server.ts';
import { recover, startWorker } from '../src/orders/worker.ts';
import { deleteKeys } from '../test/support/redisKeys.ts';
import { appendResults, cpuMicros, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    production: { type: 'string', default: 'auto' },
    embedded: { type: 'string', default: 'on' },
    serve: { type: 'boolean', default: false },
    worker: { type: 'boolean', default: false },
    'with-worker': { type: 'boolean', default: false },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
/** Distinct buyers whose status polls are measured: half waiting in line, half admitted. */
const POLLERS = 40_000;

// ---------------------------------------------------------------------------------------------
// Child process: the service (or the production worker)
// ---------------------------------------------------------------------------------------------

/** Writes (round trips) and commands this process has sent to Redis so far. */
interface RedisTraffic {
  writes: number;
  commands: number;
}

/**
 * The commands in a chunk ioredis writes: RESP arrays of bulk strings (`*<n>` then n times
 * `$<len>` and <len> bytes), a command never split over two writes.
 */
function respCommands(chunk: Buffer): number {
  let commands = 0;
  let i = 0;
  const line = () => {
    const end = chunk.indexOf('\r\n', i);
    const value = Number(chunk.toString('latin1', i + 1, end));
    i = end + 2;
    return value;
  };
  while (i < chunk.length && chunk[i] === 0x2a /* '*' */) {
    commands++;
    for (let args = line(); args > 0; args--) {
      const length = line(); // read before `i +=` reads i
      i += length + 2;
    }
  }
  return commands;
}

/**
 * Counts what this process sends on its sockets to Redis's port from now on. A write is one round
 * trip: ioredis writes one command, an auto-pipelined turn's commands or a pipeline/MULTI in one
 * `write`, then waits for the replies. A command is what Redis runs: a batch script is one.
 */
function countRedisTraffic(redisUrl: string): () => RedisTraffic {
  const port = Number(new URL(redisUrl).port || 6379);
  const traffic: RedisTraffic = { writes: 0, commands: 0 };
  const write = Socket.prototype.write;
  Socket.prototype.write = function (this: Socket, ...args: Parameters<typeof write>) {
    if (this.remotePort === port) {
      traffic.writes++;
      const [chunk] = args;
      traffic.commands += respCommands(
        typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array),
      );
    }
    return write.apply(this, args);
  } as typeof write;
  return () => ({ ...traffic });
}

type ChildRequest = { kind: 'redis-traffic' } | { kind: 'pause-worker' };

async function child(): Promise<void> {
  const redisTraffic = process.env.REDIS_URL ? countRedisTraffic(process.env.REDIS_URL) : null;
  const app = await createApp(loadConfig(process.env), {
    ...(process.env.BENCH_PG_SCHEMA ? { pgSchema: process.env.BENCH_PG_SCHEMA } : {}),
    ...(process.env.BENCH_QUEUE_PREFIX ? { queuePrefix: process.env.BENCH_QUEUE_PREFIX } : {}),
  });
  let stopWorker: (() => Promise<void>) | null = null;
  // Paused, the in-process order worker's handler waits here before each job (the jobs wait in the
  // queue; the ticks go on); stopping the worker would close the queues the checkouts write to.
  let paused: { until: Promise<void>; resume: () => void } | null = null;
  if (values.worker || values['with-worker']) {
    await recover(app);
    const orders = app.queues.orders;
    const consume = orders.process.bind(orders);
    orders.process = (handler, options) =>
      consume(async (job) => {
        await paused?.until;
        await handler(job);
      }, options);
    stopWorker = startWorker(app);
  }
  let server: FastifyInstance | null = null;
  if (values.serve) {
    server = await buildServer(await createHttpContext(app));
    await server.listen({ host: '127.0.0.1', port: 0 });
  }
  const port = server ? (server.server.address() as AddressInfo).port : null;
  process.on('message', async (request: ChildRequest) => {
    if (request.kind === 'redis-traffic') process.send?.({ redisTraffic: redisTraffic?.() ?? null });
    if (request.kind === 'pause-worker') {
      let resume = () => {};
      const until = new Promise<void>((resolve) => (resume = resolve));
      paused = { until, resume };
      process.send?.({ paused: true });
    }
  });
  process.send?.({ ready: true, port });
  // The parent gone: nothing left to serve.
  process.once('disconnect', () => process.exit(0));
  process.once('SIGTERM', async () => {
    // Finish the requests in flight before the queues close under them; idle keep-alives go at once.
    const sweep = setInterval(() => server?.server.closeIdleConnections(), 100);
    await server?.close();
    clearInterval(sweep);
    paused?.resume();
    await stopWorker?.();
    await app.close();
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: set-up through the API, then autocannon
// ---------------------------------------------------------------------------------------------

interface AutocannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  stop(): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Each route's rate at least this share of the hello world's. */
const GOALS = { '(status poll': 0.7, '(join': 0.5, 'order worker paused': 0.3 };

const SECRET = `bench-user-secret-${randomUUID()}`;
const ADMIN_KEY = `bench-admin-${randomUUID()}`;
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** An HS256 user token, as the shop's login would sign it (by hand: signing 100,000 takes a second). */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
function userToken(sub: string): string {
  const payload = Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', SECRET).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

function waitReady(proc: ChildProcess, what: string): Promise<number | null> {
  children.add(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after 60 s`)), 60_000);
    proc.once('message', (message: { port: number | null }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    proc.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** Asks a `--serve` child something over IPC and waits for its answer. */
function ask<T>(proc: ChildProcess, request: ChildRequest): Promise<T> {
  return new Promise((resolve) => {
    proc.once('message', (message: T) => resolve(message));
    proc.send(request);
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(proc);
}

/** A child process's node:http server: `handler` is the body of `(req, res) => {…}`, run after `setup`. */
const nodeServer = (handler: string, setup = '') => `${setup}
require('node:http').createServer((req, res) => { ${handler} })
  .listen(0, '127.0.0.1', function () { process.send({ port: this.address().port }); });
process.on('disconnect', () => process.exit(0));`;

const HELLO = nodeServer(`res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello world');`);

/**
 * A control: node:http answering what a waiting buyer's status poll answers, with no logic at all —
 * the poll's headers (a fresh request id among them) and a JSON body of its size. What a route that
 * must send these costs before it does any work of its own.
 */
const POLL_SHAPED = nodeServer(
  `res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store', 'x-request-id': require('node:crypto').randomUUID() });
  res.end(body);`,
  `const body = JSON.stringify({ state: 'waiting', position: 12345, ahead: 12344, etaSeconds: 1235, pollAfterMs: 2000 });`,
);

/** A measured process: its pid (CPU time) and, for the API, how to read its Redis write count. */
interface Measured {
  pid: number | undefined;
  redisTraffic?: () => Promise<RedisTraffic | null>;
}

/**
 * One autocannon run; the rate counts 2xx answers only. Stops at `DURATION` even with `amount` set.
 * The row also gives the measured process's CPU µs per request and, when it counts them, its Redis
 * round trips per request (every answer counted).
 */
async function cannon(name: string, options: Record<string, unknown>, measured: Measured): Promise<Row> {
  const pid = measured.pid;
  const trafficBefore = (await measured.redisTraffic?.()) ?? null;
  const cpuBefore = cpuMicros(pid);
  const instance = autocannon({
    connections: CONNECTIONS,
    duration: DURATION,
    pipelining: 1,
    timeout: 10,
    ...options,
  });
  const timer = setTimeout(() => instance.stop(), DURATION * 1000);
  const result = await instance;
  clearTimeout(timer);
  const others = Object.entries(result.statusCodeStats)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, { count }]) => `${count}× ${status}`);
  const problems = [
    ...others,
    result.errors ? `${result.errors} errors` : '',
    result.timeouts ? `${result.timeouts} timeouts` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const cpuAfter = cpuMicros(pid);
  const trafficAfter = (await measured.redisTraffic?.()) ?? null;
  const answered = result['2xx'] + result.non2xx;
  const cpuUs =
    cpuBefore !== null && cpuAfter !== null && answered > 0 ? (cpuAfter - cpuBefore) / answered : undefined;
  const perAnswer = (what: keyof RedisTraffic) =>
    trafficBefore !== null && trafficAfter !== null && answered > 0
      ? (trafficAfter[what] - trafficBefore[what]) / answered
      : undefined;
  const redisRoundTrips = perAnswer('writes');
  const redisCommands = perAnswer('commands');
  const note = `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${problems ? `; ${problems}` : ''}`;
  const row: Row = {
    name,
    ops: result['2xx'],
    seconds: result.duration,
    perSecond: result['2xx'] / result.duration,
    ...(cpuUs !== undefined ? { cpuUs } : {}),
    ...(redisRoundTrips !== undefined ? { redisRoundTrips } : {}),
    ...(redisCommands !== undefined ? { redisCommands } : {}),
    note,
  };
  const cpu = cpuUs !== undefined ? `, API CPU ${Math.round(cpuUs)} µs/request` : '';
  const trips =
    redisRoundTrips !== undefined
      ? `, Redis ${redisRoundTrips.toFixed(3)} round trips and ${redisCommands?.toFixed(3)} commands/request`
      : '';
  console.log(`  ${name}: ${Math.round(row.perSecond)} req/s${cpu}${trips} (${note})`);
  return row;
}

/** Runs `op(0..count-1)`, `inFlight` at a time (set-up calls, not measured). */
async function each<T>(count: number, inFlight: number, op: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await op(i);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return results;
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A shape for the service: its environment, and what removes its data after. */
interface BenchShape {
  label: 'embedded' | 'production';
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function embeddedShape(): BenchShape {
  const outbox = join(tmpdir(), `flashsale-bench-outbox-${randomUUID().slice(0, 8)}.jsonl`);
  return {
    label: 'embedded',
    env: { FLASHSALE_DATA_DIR: 'memory', FLASHSALE_OUTBOX: outbox },
    cleanup: () => rm(outbox, { force: true }),
  };
}

/** Redis + BullMQ + PostgreSQL under a key prefix and a schema of their own, all removed after. */
function productionShape(): BenchShape {
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
async function reachable(): Promise<boolean> {
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

async function benchShape(shape: BenchShape, baseline: Row): Promise<Row[]> {
  const { label } = shape;
  // The caller's REDIS_URL and DATABASE_URL name the production target: only its shape sets them.
  const { REDIS_URL: _redis, DATABASE_URL: _database, ...inherited } = process.env;
  const env = {
    ...inherited,
    ...shape.env,
    FLASHSALE_USER_SECRET: SECRET,
    FLASHSALE_ADMIN_KEY: ADMIN_KEY,
    FLASHSALE_RATE_LIMITS: 'off',
    // Joins are measured as the service's cost; the buyer's proof of work is bench/pow.ts's subject.
    FLASHSALE_POW: 'off',
    FLASHSALE_LOG_LEVEL: 'error',
    FLASHSALE_PAYMENT_LATENCY_MS: '20',
    // Admitted bench buyers do not poll between their admission and their checkout, as a page would:
    // with the default 30 s heartbeat most of them would lose their slot before the checkout run.
    FLASHSALE_HEARTBEAT_SECONDS: '3600',
  };
  const script = fileURLToPath(import.meta.url);
  const embedded = label === 'embedded';
  // BENCH_CPU_PROF_DIR=<dir>: the API process writes a CPU profile there (node --cpu-prof) on exit.
  const profile = process.env.BENCH_CPU_PROF_DIR;
  const api = fork(script, ['--serve', ...(embedded ? ['--with-worker'] : [])], {
    env,
    execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
  });
  const procs = [api];
  try {
    const port = await waitReady(api, `${label} API`);
    if (!embedded) {
      const worker = fork(script, ['--worker'], { env, execArgv: ['--import', 'tsx'] });
      procs.push(worker);
      await waitReady(worker, `${label} worker`);
    }
    const base = `http://127.0.0.1:${port}`;
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const now = Date.now();
    const sale = (id: string, admission: object) =>
      call(base, 'POST', '/api/v1/admin/sales', admin, {
        id,
        name: `bench ${id}`,
        priceCents: 100,
        totalStock: 10_000_000,
        perUserLimit: 1,
        startsAt: now,
        endsAt: now + 3_600_000,
        holdSeconds: 3600,
        admission,
      });
    // A waiting room that admits almost nobody (its buyers poll), and a sale that admits everyone at once.
    const line = `line-${randomUUID().slice(0, 8)}`;
    const open = `open-${randomUUID().slice(0, 8)}`;
    await sale(line, { perSecond: 1, maxActive: 1, sessionSeconds: 3600 });
    await sale(open, { perSecond: 1_000_000, maxActive: 100_000_000, sessionSeconds: 3600 });

    // Buyers waiting in line, each polling a handful of times in the run (as real buyers do): their
    // tokens are not one hot cache entry.
    const waiting = Array.from({ length: POLLERS / 2 }, (_, i) => `Bearer ${userToken(`poller-${i}`)}`);
    await each(waiting.length, 50, (i) =>
      call(base, 'POST', `/api/v1/sales/${line}/queue`, { authorization: waiting[i] as string }),
    );
    const joiners = Array.from({ length: 200_000 }, (_, i) => `Bearer ${userToken(`joiner-${i}`)}`);
    const url = `${base}/api/v1/sales`;
    const rows: Row[] = [];
    const named = (route: string) => `${label}: ${route}`;
    const apiPid: Measured = {
      pid: api.pid,
      ...(embedded
        ? {}
        : {
            redisTraffic: async () =>
              (await ask<{ redisTraffic: RedisTraffic | null }>(api, { kind: 'redis-traffic' })).redisTraffic,
          }),
    };

    // The API's own Redis writes with no request in flight (ticks' snapshot reads and the like): they
    // are counted in each route's round trips too, a share that shrinks as the route's rate grows.
    let background = '';
    if (apiPid.redisTraffic) {
      const before = (await apiPid.redisTraffic())?.writes ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const perSecond = (((await apiPid.redisTraffic())?.writes ?? 0) - before) / 2;
      background = `; idle, the API wrote to Redis ${perSecond.toFixed(1)} times/s`;
      console.log(`  (${label} API idle: ${perSecond.toFixed(1)} Redis round trips/s)`);
    }
    const page = await cannon(named('GET /sales/:id (sale page)'), { url: `${url}/${open}` }, apiPid);
    page.note += background;
    rows.push(page);

    let j = 0;
    const join = await cannon(
      named('POST /sales/:id/queue (join, each a new user)'),
      {
        url: `${url}/${open}/queue`,
        method: 'POST',
        requests: [
          {
            setupRequest: (req: AutocannonRequest) => {
              req.headers = { ...req.headers, authorization: joiners[j++ % joiners.length] as string };
              return req;
            },
          },
        ],
      },
      apiPid,
    );
    if (j > joiners.length) join.note += `; the ${joiners.length} users wrapped: later joins were re-joins`;
    rows.push(join);

    // Buyers: users who joined above, admitted by the worker's next tick; their admission tokens come
    // from the status poll, as a browser gets them.
    // At least half the pollers must be admitted buyers: if the timed run joined fewer, join them now
    // (joining again is idempotent for those who already joined).
    let joined = Math.min(j, joiners.length) - CONNECTIONS;
    if (joined < POLLERS / 2) {
      await each(POLLERS / 2, 50, (i) =>
        call(base, 'POST', `/api/v1/sales/${open}/queue`, { authorization: joiners[i] as string }),
      );
      joined = POLLERS / 2;
    }
    const buyersWanted = Math.min(joined, 60_000);
    const first = joiners[0] as string;
    for (let tries = 0; ; tries++) {
      const status = await call(base, 'GET', `/api/v1/sales/${open}/queue`, { authorization: first });
      if (status.state === 'admitted') break;
      if (tries > 100) throw new Error(`buyers not admitted: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the last joiners' tick
    const started = performance.now();
    const admissions = await each(buyersWanted, 50, async (i) => {
      const status = await call(base, 'GET', `/api/v1/sales/${open}/queue`, {
        authorization: joiners[i] as string,
      });
      const admission = status.admission as { token: string } | undefined;
      return admission ? { authorization: joiners[i] as string, 'x-admission-token': admission.token } : null;
    });
    const buyers = admissions.filter((b) => b !== null);
    console.log(
      `  (${buyers.length} admitted buyers ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );

    // Status polls: waiting buyers of the line and admitted buyers of the open sale, in turn.
    const pollers = waiting.flatMap((token, i) => {
      const admitted = buyers[i];
      return admitted ? [`${line} ${token}`, `${open} ${admitted.authorization}`] : [`${line} ${token}`];
    });
    let p = 0;
    const poll = await cannon(
      named('GET /sales/:id/queue (status poll, waiting and admitted)'),
      {
        url: `${url}/${line}/queue`,
        requests: [
          {
            setupRequest: (req: AutocannonRequest) => {
              const [saleId, authorization] = (pollers[p++ % pollers.length] as string).split(' Bearer ');
              req.path = `/api/v1/sales/${saleId}/queue`;
              req.headers = { ...req.headers, authorization: `Bearer ${authorization}` };
              return req;
            },
          },
        ],
      },
      apiPid,
    );
    poll.note += `; ${pollers.length} distinct buyers, each polled about ${Math.max(1, Math.round(p / pollers.length))} times`;
    rows.push(poll);

    // Two checkout runs on separate halves of the buyers: the order worker running, then paused.
    const half = Math.floor(buyers.length / 2);
    const checkouts = async (what: string, pool: Record<string, string>[]) => {
      let b = 0;
      const row = await cannon(
        named(`POST /sales/:id/checkout (each a new buyer, order worker ${what})`),
        {
          url: `${url}/${open}/checkout`,
          method: 'POST',
          // One request per buyer: the run ends when they are all served, or at the time limit.
          amount: Math.max(1, pool.length - CONNECTIONS - 10),
          requests: [
            {
              setupRequest: (req: AutocannonRequest) => {
                const i = b++;
                req.headers = {
                  ...req.headers,
                  ...(pool[i % pool.length] as Record<string, string>),
                  'content-type': 'application/json',
                  'idempotency-key': `bench-${what}-${i}`,
                };
                req.body = '{"quantity":1,"paymentMethod":"pm_ok"}';
                return req;
              },
            },
          ],
        },
        apiPid,
      );
      if (b > pool.length) row.note += `; the ${pool.length} buyers wrapped: later checkouts were refused`;
      return row;
    };
    rows.push(await checkouts('running', buyers.slice(0, half)));
    // Paused: the production worker process stopped (SIGCONT before it is stopped for good); the
    // embedded API's in-process worker stopped. Jobs wait in the queue, as they would behind a busy worker.
    const worker = procs[1];
    if (worker) worker.kill('SIGSTOP');
    else await ask(api, { kind: 'pause-worker' });
    try {
      rows.push(await checkouts('paused', buyers.slice(half)));
    } finally {
      worker?.kill('SIGCONT');
    }
    return rows.map((r) => ({ ...r, ratio: r.perSecond / baseline.perSecond }));
  } finally {
    for (const proc of procs.reverse()) await stopChild(proc);
  }
}

/**
 * Two controls, measured like the buyer routes (each request with another buyer's token, built per
 * request by autocannon's setupRequest, as the route rows are): the hello world again, which shows
 * what the load generator's own per-request work leaves of the baseline on this machine, and a
 * server sending a poll's headers and body with no logic (POLL_SHAPED).
 */
async function controls(baseline: Row): Promise<Row[]> {
  const tokens = Array.from({ length: POLLERS }, (_, i) => `Bearer ${userToken(`control-${i}`)}`);
  const rows: Row[] = [];
  for (const [name, code] of [
    ['control: hello world, another token per request', HELLO],
    ["control: node:http sending a poll's headers and JSON, another token per request", POLL_SHAPED],
  ] as const) {
    const server = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const port = await waitReady(server, name);
      let i = 0;
      const setupRequest = (req: AutocannonRequest) => {
        req.headers = { ...req.headers, authorization: tokens[i++ % tokens.length] as string };
        return req;
      };
      const row = await cannon(
        name,
        { url: `http://127.0.0.1:${port}/`, requests: [{ setupRequest }] },
        { pid: server.pid },
      );
      rows.push({ ...row, ratio: row.perSecond / baseline.perSecond });
    } finally {
      await stopChild(server);
    }
  }
  return rows;
}

/** The 1-minute load average: other work on the machine skews every figure, the baseline's too. */
const load = () => loadavg()[0]?.toFixed(2) ?? '?';

async function main(): Promise<void> {
  const loadBefore = load();
  console.log(
    `autocannon ${CONNECTIONS} connections, ${DURATION} s per route, rate limits off; load ${loadBefore}`,
  );
  const hello = spawn(process.execPath, ['-e', HELLO], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let baseline: Row;
  try {
    const port = await waitReady(hello, 'hello world');
    baseline = await cannon(
      'baseline: node:http hello world',
      { url: `http://127.0.0.1:${port}/` },
      { pid: hello.pid },
    );
  } finally {
    await stopChild(hello);
  }
  const rows: Row[] = [
    { ...baseline, ratio: 1, note: `${baseline.note}; load average ${loadBefore} at start` },
    ...(await controls(baseline)),
  ];

  const wanted = values.production;
  const shapes = values.embedded === 'off' ? [] : [embeddedShape];
  if (wanted === 'on' || (wanted === 'auto' && (await reachable()))) shapes.push(productionShape);
  for (const make of shapes) {
    const shape = make();
    try {
      rows.push(...(await benchShape(shape, baseline)));
    } finally {
      await shape.cleanup();
    }
  }

  printTable(`HTTP throughput (autocannon, ${CONNECTIONS} connections, ${DURATION} s each)`, rows);
  for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  console.log(
    `\nload average (1 min) ${loadBefore} at the start, ${load()} at the end; ${cpus().length} CPUs`,
  );
  console.log('\ngoals: status poll ≥ 0.7×, join ≥ 0.5×, checkout ≥ 0.3× the baseline');
  for (const row of rows) {
    const goal = Object.entries(GOALS).find(([what]) => row.name.includes(what))?.[1];
    if (goal === undefined) continue;
    const ratio = row.ratio ?? 0;
    console.log(`  ${ratio >= goal ? 'met   ' : 'missed'} ${row.name}: ${ratio.toFixed(2)}× (goal ${goal}×)`);
  }
  await appendResults('http', rows);
  process.exit(0);
}

if (values.serve || values.worker) await child();
else await main();
