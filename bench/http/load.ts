/**
 * bench/http.ts's tools: autocannon runs that report rate, latency, the measured process's CPU per
 * request and its Redis round trips; child processes (the service, node:http controls) and their
 * IPC; set-up calls; user tokens signed as the shop's login would.
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpuMicros, type Row } from '../lib.ts';
import type { ChildRequest, RedisTraffic } from './service.ts';

interface AutocannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
}
export interface AutocannonRequest {
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

/** Every child process started, killed if this process exits first. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * An HS256 user token signed with `secret`, as the shop's login would sign it (by hand: signing
 * 100,000 takes a second).
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
export function userToken(secret: string, sub: string): string {
  const payload = Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

export function waitReady(proc: ChildProcess, what: string): Promise<number | null> {
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
export function ask<T>(proc: ChildProcess, request: ChildRequest): Promise<T> {
  return new Promise((resolve) => {
    proc.once('message', (message: T) => resolve(message));
    proc.send(request);
  });
}

export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(proc);
}

/** A child process's node:http server: `handler` is the body of `(req, res) => {…}`, run after `setup`. */
export const nodeServer = (handler: string, setup = '') => `${setup}
require('node:http').createServer((req, res) => { ${handler} })
  .listen(0, '127.0.0.1', function () { process.send({ port: this.address().port }); });
process.on('disconnect', () => process.exit(0));`;

export const HELLO = nodeServer(
  `res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello world');`,
);

/**
 * A control: node:http answering what a waiting buyer's status poll answers, with no logic at all —
 * the poll's headers (a fresh request id among them) and a JSON body of its size. What a route that
 * must send these costs before it does any work of its own.
 */
export const POLL_SHAPED = nodeServer(
  `res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store', 'x-request-id': require('node:crypto').randomUUID() });
  res.end(body);`,
  `const body = JSON.stringify({ state: 'waiting', position: 12345, ahead: 12344, etaSeconds: 1235, pollAfterMs: 2000 });`,
);

/** A measured process: its pid (CPU time) and, for the API, how to read its Redis write count. */

export interface Measured {
  pid: number | undefined;
  redisTraffic?: () => Promise<RedisTraffic | null>;
}

/** Connections and seconds of every autocannon run. */
export interface LoadSettings {
  connections: number;
  duration: number;
}

/**
 * One autocannon run; the rate counts 2xx answers only. Stops at `duration` even with `amount` set.
 * The row also gives the measured process's CPU µs per request and, when it counts them, its Redis
 * round trips per request (every answer counted).
 */
export async function cannon(
  load: LoadSettings,
  name: string,
  options: Record<string, unknown>,
  measured: Measured,
): Promise<Row> {
  const pid = measured.pid;
  const trafficBefore = (await measured.redisTraffic?.()) ?? null;
  const cpuBefore = cpuMicros(pid);
  const instance = autocannon({
    connections: load.connections,
    duration: load.duration,
    pipelining: 1,
    timeout: 10,
    ...options,
  });
  const timer = setTimeout(() => instance.stop(), load.duration * 1000);
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

export async function each<T>(count: number, inFlight: number, op: (i: number) => Promise<T>): Promise<T[]> {
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

/** A set-up call to the service: its JSON answer, or an error for any status from 300 up. */
export async function call(
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
