/** Shared bench helpers: run N operations with a fixed number in flight, print, append to results. */
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import os from 'node:os';

export interface Row {
  name: string;
  ops: number;
  seconds: number;
  perSecond: number;
  ratio?: number;
  /** CPU time (user + sys) the measured process spent per request, in µs. */
  cpuUs?: number;
  /** Redis round trips the measured process made per request (bench/http.ts: writes on its Redis sockets). */
  redisRoundTrips?: number;
  /** Redis commands it sent per request (a batch script, or each command of a pipeline, counts one). */
  redisCommands?: number;
  note?: string;
}

/** Runs op(0..count-1) with `inFlight` at a time; returns ops per second. */
export async function measure(
  name: string,
  count: number,
  inFlight: number,
  op: (i: number) => Promise<unknown>,
): Promise<Row> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await op(i).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  return { name, ops: count, seconds, perSecond: count / seconds };
}

export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    // V8 flags set at start (`npm run bench` passes the Dockerfile's): they change the collector's cost.
    nodeOptions: process.env.NODE_OPTIONS ?? '',
  };
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const trips = rows.some((r) => r.redisRoundTrips !== undefined);
  console.log(
    `| measure | ops | seconds | ops/s | ratio to baseline | CPU µs per op |${trips ? ' Redis round trips per op | Redis commands per op |' : ''}`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|${trips ? '---:|---:|' : ''}`);
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`;
    const cpu = r.cpuUs === undefined ? '' : Math.round(r.cpuUs);
    const fixed = (n: number | undefined) => (n === undefined ? '' : n.toFixed(3));
    const rt = !trips ? '' : ` ${fixed(r.redisRoundTrips)} | ${fixed(r.redisCommands)} |`;
    console.log(
      `| ${r.name} | ${r.ops} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${ratio} | ${cpu} |${rt}`,
    );
  }
}

export async function appendResults(suite: string, rows: Row[]): Promise<void> {
  // The arguments the script ran with: bench/capacity.ts names the command each figure came from.
  const line = { suite, at: new Date().toISOString(), args: process.argv.slice(2), machine: machine(), rows };
  await appendFile(new URL('./results.jsonl', import.meta.url), `${JSON.stringify(line)}\n`);
}

/** A process's /proc/<pid>/stat: its command name, and the fields after it (ppid is [1], utime and stime [11] and [12]); null when gone or off Linux. */
export function procStat(pid: number): { comm: string; fields: string[] } | null {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ") " do not.
    const end = line.lastIndexOf(') ');
    return { comm: line.slice(line.indexOf('(') + 1, end), fields: line.slice(end + 2).split(' ') };
  } catch {
    return null;
  }
}

/** user + sys CPU µs of a stat's process so far (10 ms ticks). */
const statCpuMicros = (fields: string[]) => (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10_000;

/** CPU time (user + sys) a process has used so far, in µs: steadier than req/s on a shared machine. Null when unknown. */
export function cpuMicros(pid: number | undefined): number | null {
  const stat = pid === undefined ? null : procStat(pid);
  return stat === null ? null : statCpuMicros(stat.fields);
}

/** The pids of /proc (empty off Linux). */
export function pids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * user + sys CPU µs used so far by every process named `comm` on this machine, e.g. 'redis-server'
 * or 'postgres' (its backends included): what the servers spent on a run, read before and after
 * it. Processes that end in between are not counted. 0 off Linux.
 */
export function cpuMicrosOf(comm: string): number {
  let total = 0;
  for (const pid of pids()) {
    const stat = procStat(pid);
    if (stat?.comm === comm) total += statCpuMicros(stat.fields);
  }
  return total;
}
