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
 * The service runs in child processes (bench/http/service.ts); the load and its measures are in
 * bench/http/load.ts.
 */
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type AutocannonRequest,
  ask,
  call,
  cannon,
  each,
  HELLO,
  type Measured,
  POLL_SHAPED,
  stopChild,
  userToken,
  waitReady,
} from './http/load.ts';
import type { RedisTraffic } from './http/service.ts';
import { type BenchShape, embeddedShape, productionShape, reachable } from './http/shapes.ts';
import { appendResults, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    production: { type: 'string', default: 'auto' },
    embedded: { type: 'string', default: 'on' },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
/** Distinct buyers whose status polls are measured: half waiting in line, half admitted. */
const POLLERS = 40_000;

const LOAD = { connections: CONNECTIONS, duration: DURATION };
/** One measured autocannon run with this run's connections and duration (load.ts). */
const measure = (name: string, options: Record<string, unknown>, measured: Measured) =>
  cannon(LOAD, name, options, measured);
/** The service's child processes: `--serve` (the API) or `--worker` (the production worker). */
const SERVICE = fileURLToPath(new URL('./http/service.ts', import.meta.url));

/** Each route's rate at least this share of the hello world's. */
const GOALS = { '(status poll': 0.7, '(join': 0.5, 'order worker paused': 0.3 };

const SECRET = `bench-user-secret-${randomUUID()}`;
const ADMIN_KEY = `bench-admin-${randomUUID()}`;
const token = (sub: string) => userToken(SECRET, sub);

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
  const embedded = label === 'embedded';
  // BENCH_CPU_PROF_DIR=<dir>: the API process writes a CPU profile there (node --cpu-prof) on exit.
  const profile = process.env.BENCH_CPU_PROF_DIR;
  const api = fork(SERVICE, ['--serve', ...(embedded ? ['--with-worker'] : [])], {
    env,
    execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
  });
  const procs = [api];
  try {
    const port = await waitReady(api, `${label} API`);
    if (!embedded) {
      const worker = fork(SERVICE, ['--worker'], { env, execArgv: ['--import', 'tsx'] });
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
    const waiting = Array.from({ length: POLLERS / 2 }, (_, i) => `Bearer ${token(`poller-${i}`)}`);
    await each(waiting.length, 50, (i) =>
      call(base, 'POST', `/api/v1/sales/${line}/queue`, { authorization: waiting[i] as string }),
    );
    const joiners = Array.from({ length: 200_000 }, (_, i) => `Bearer ${token(`joiner-${i}`)}`);
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
    const page = await measure(named('GET /sales/:id (sale page)'), { url: `${url}/${open}` }, apiPid);
    page.note += background;
    rows.push(page);

    let j = 0;
    const join = await measure(
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
    const poll = await measure(
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
      const row = await measure(
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
  const tokens = Array.from({ length: POLLERS }, (_, i) => `Bearer ${token(`control-${i}`)}`);
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
      const row = await measure(
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
    baseline = await measure(
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

await main();
