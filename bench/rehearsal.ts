/**
 * A rehearsal at the brief's scale on the production shape: `flashsale serve --processes N` and one
 * `flashsale worker` (compiled JavaScript, as deployed) on the machine's Redis and PostgreSQL, in a
 * key prefix and schema of their own (removed after), driven by `flashsale simulate` with buyers whose
 * tokens it signs with the shared secret, buyers in line served before new arrivals (`--priority
 * in-line`). Rate limits and proof of work are off: it measures the service, not the protections.
 *   npx tsx bench/rehearsal.ts [--buyers 100000] [--stock 1000] [--processes 2] [--ramp-seconds 30]
 *     [--limit 1] [--max-seconds 600] [-- <more simulate options>]
 * `BENCH_CPU_PROF_DIR=<dir>` writes the CPU profiles of the serve processes and the simulator there (read them with
 * bench/profile.ts). Prints the simulator's own summary (time, requests/s, latency per route, what limited the run, the
 * invariants) and the CPU seconds each process used, so the bottleneck is named from measurements.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeys } from '../test/support/redisKeys.ts';
import { cpuMicros, pids, procStat } from './lib.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    buyers: { type: 'string', default: '100000' },
    stock: { type: 'string', default: '1000' },
    processes: { type: 'string', default: '2' },
    'ramp-seconds': { type: 'string', default: '30' },
    limit: { type: 'string', default: '1' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = new URL('..', import.meta.url);
const CLI = new URL('dist/cli/main.js', ROOT).pathname;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Fields of /proc/<pid>/stat after "pid (comm) " (bench/lib.ts procStat); none when gone. */
const statFields = (pid: number): string[] => procStat(pid)?.fields ?? [];

/** user + sys CPU seconds of a process and every live descendant (its API processes, for serve). */
function treeCpuSeconds(root: number | undefined): number {
  if (root === undefined) return 0;
  const parents = new Map<number, number>();
  for (const pid of pids()) parents.set(pid, Number(statFields(pid)[1]));
  const inTree = (pid: number): boolean => pid === root || (pid > 1 && inTree(parents.get(pid) ?? 0));
  let micros = 0;
  for (const pid of parents.keys()) if (inTree(pid)) micros += cpuMicros(pid) ?? 0;
  return micros / 1e6;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(info.match(new RegExp(`${name}:([0-9.]+)`))?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}

function run(args: string[], env: NodeJS.ProcessEnv, name: string, echo: boolean): ChildProcess {
  // BENCH_CPU_PROF_DIR: CPU profiles of the serve processes (node:cluster passes the flags on) and
  // of the simulator.
  const profile = (name === 'serve' || name === 'simulate') && process.env.BENCH_CPU_PROF_DIR;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (echo) process.stdout.write(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`));
  return child;
}

const waitForLine = (child: ChildProcess, pattern: RegExp, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}`)));
  });

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

// Compiled JavaScript, as deployed (tsx's loader would be in every profile).
await exited(spawn(process.execPath, [new URL('scripts/build.mjs', ROOT).pathname], { stdio: 'inherit' }));

const id = randomUUID().slice(0, 8);
const schema = `rehearsal_${id}`;
const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
await client.query(`CREATE SCHEMA ${schema}`);
const databaseUrl = new URL(DATABASE_URL);
databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
// The PostgreSQL server's processes: the parent of this connection's backend, and its children.
const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
const postmaster = Number(statFields(backend)[1] ?? 0) || undefined;
const port = await freePort();
const adminKey = randomBytes(16).toString('hex');
const userSecret = randomBytes(24).toString('hex');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  REDIS_URL,
  DATABASE_URL: databaseUrl.toString(),
  FLASHSALE_REDIS_PREFIX: `rehearsal-${id}:`,
  FLASHSALE_QUEUE_PREFIX: `{rehearsal-${id}}`,
  FLASHSALE_ADMIN_KEY: adminKey,
  FLASHSALE_USER_SECRET: userSecret,
  FLASHSALE_RATE_LIMITS: 'off',
  FLASHSALE_POW: 'off',
  FLASHSALE_LOG_LEVEL: 'warn',
  FLASHSALE_OUTBOX: join(tmpdir(), `rehearsal-${id}.jsonl`),
  HOST: '127.0.0.1',
  PORT: String(port),
};
const redis = new Redis(REDIS_URL);
const processes: ChildProcess[] = [];
try {
  await exited(run(['migrate'], env, 'migrate', false));
  const serve = run(['serve', '--processes', values.processes], env, 'serve', false);
  processes.push(serve);
  const worker = run(['worker'], env, 'worker', false);
  processes.push(worker);
  await waitForLine(serve, /listening|127\.0\.0\.1:\d+/i, 60_000);
  const cpuBefore = {
    serve: treeCpuSeconds(serve.pid),
    worker: treeCpuSeconds(worker.pid),
    redis: await redisCpuSeconds(redis),
    postgres: treeCpuSeconds(postmaster),
  };
  const started = performance.now();
  const sim = run(
    [
      'simulate',
      '--url',
      `http://127.0.0.1:${port}`,
      '--admin-key',
      adminKey,
      '--user-secret',
      userSecret,
      '--buyers',
      values.buyers,
      '--stock',
      values.stock,
      '--limit',
      values.limit,
      '--arrival',
      'ramp',
      '--ramp-seconds',
      values['ramp-seconds'],
      '--max-seconds',
      values['max-seconds'],
      '--report',
      join(tmpdir(), `rehearsal-${id}`),
      // Buyers in line go before new arrivals, as with a connection per buyer (see src/sim/runner.ts).
      '--priority',
      'in-line',
      ...positionals,
    ],
    env,
    'simulate',
    true,
  );
  const code = await exited(sim);
  const seconds = (performance.now() - started) / 1000;
  const used = {
    serve: treeCpuSeconds(serve.pid) - cpuBefore.serve,
    worker: treeCpuSeconds(worker.pid) - cpuBefore.worker,
    redis: (await redisCpuSeconds(redis)) - cpuBefore.redis,
    postgres: treeCpuSeconds(postmaster) - cpuBefore.postgres,
  };
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.map(exited));
  console.log(`\nrehearsal: simulate exited ${code} after ${seconds.toFixed(1)} s`);
  console.log(
    `CPU seconds over the run: serve (${values.processes} processes) ${used.serve.toFixed(1)}, worker ${used.worker.toFixed(1)}, redis ${used.redis.toFixed(1)}, postgres ${used.postgres.toFixed(1)} (live processes only; cores: ${(cpus().length * seconds).toFixed(0)} CPU seconds in all)`,
  );
  process.exitCode = code ?? 1;
} finally {
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  for (const pattern of [`rehearsal-${id}:*`, `{rehearsal-${id}}*`]) await deleteKeys(redis, pattern);
  redis.disconnect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
