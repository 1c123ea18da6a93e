/**
 * `flashsale serve --processes N` in the production shape: a primary process forks N API processes
 * with node:cluster, each building the app and listening on the same HOST:PORT (the primary accepts
 * the connections and hands them out in turn). Nothing a process keeps to itself needs the others:
 * the sales live in Redis and PostgreSQL, user tokens are checked with FLASHSALE_USER_SECRET, the
 * admission and proof-of-work keys are read from PostgreSQL (the first process stores one, the
 * others read that one: src/db/durableSaleState.ts, sharedSecret), and each process's waiting-room
 * view asks the store whenever it has not seen a buyer (src/sales/queueView.ts).
 *
 * The primary prints one "listening" line once all N listen, restarts a process that dies (after a
 * backoff), and on SIGTERM or SIGINT tells each process to shut down; each finishes its requests in
 * flight, and the primary exits 0 once all have. A second signal kills them (exit 1).
 *
 * A process of the cluster stops when its primary says so, on SIGTERM, or when the primary is gone.
 * It leaves SIGINT to the primary: Ctrl-C in a terminal reaches the whole process group, and a
 * process that counted it too would take the primary's message for a second signal and force its exit.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.ts';
import { checkPortFree, SHUTDOWN_TIMEOUT_MS, type StopControl } from './service.ts';

/** A process that dies is restarted after this, doubled at each death in a row, up to RESTART_MAX_MS. */
export const RESTART_FIRST_MS = 1000;
export const RESTART_MAX_MS = 30_000;
/** A process that stayed up this long was not crash-looping: its replacement waits RESTART_FIRST_MS. */
const RESTART_RESET_MS = 60_000;

type Message = { flashsale: 'listening'; url: string } | { flashsale: 'shutdown' };

const isMessage = <K extends Message['flashsale']>(
  value: unknown,
  kind: K,
): value is Extract<Message, { flashsale: K }> =>
  typeof value === 'object' && value !== null && (value as { flashsale?: unknown }).flashsale === kind;

const say = (line: string) => console.error(`flashsale serve: ${line}`);

/** In a process of the cluster: when to stop (see the header). Call before anything is opened. */
export function clusterStop(): StopControl {
  // A listener of its own also keeps Node's default SIGINT action (exit at once) away.
  process.on('SIGINT', () => undefined);
  const requested = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.on('message', (message) => {
      if (isMessage(message, 'shutdown')) resolve('asked by the primary');
    });
    process.once('disconnect', () => resolve('the primary is gone'));
  });
  return { requested, forceOn: ['SIGTERM'], say: () => undefined };
}

/** In a process of the cluster, once it listens: tells the primary. */
export function reportListening(url: string): void {
  const message: Message = { flashsale: 'listening', url };
  process.send?.(message);
}

interface Slot {
  worker: Worker | null;
  /** When its current process began to listen; null while it starts. */
  listeningSince: number | null;
  /** Deaths in a row, each doubling the wait before the next restart. */
  deaths: number;
  restart: ReturnType<typeof setTimeout> | null;
}

/**
 * The primary: forks `count` processes (each re-runs this command; serve.ts sends them to
 * runService), supervises them, and resolves with the exit code once all are gone. `onListening` is
 * called once, with the address, when all of them listen.
 */
export async function runPrimary(
  config: Readonly<Config>,
  count: number,
  onListening: (url: string) => void,
): Promise<number> {
  await checkPortFree(config.host, config.port);
  const slots: Slot[] = Array.from({ length: count }, () => ({
    worker: null,
    listeningSince: null,
    deaths: 0,
    restart: null,
  }));
  let started = false;
  let stopping = false;
  let failed = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const alive = () => slots.filter((slot) => slot.worker !== null);

  const stopAll = () => {
    stopping = true;
    for (const slot of slots) {
      if (slot.restart !== null) clearTimeout(slot.restart);
      slot.restart = null;
      const shutdown: Message = { flashsale: 'shutdown' };
      if (slot.worker?.isConnected()) slot.worker.send(shutdown);
    }
    if (alive().length === 0) finish(failed ? 1 : 0);
  };

  const fork = (slot: Slot, replacing: number | null) => {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.listeningSince = null;
    worker.on('message', (message) => {
      if (!isMessage(message, 'listening')) return;
      slot.listeningSince = Date.now();
      if (replacing !== null) say(`process ${worker.process.pid} listening (replaces ${replacing})`);
      if (!started && slots.every((s) => s.listeningSince !== null)) {
        started = true;
        onListening(message.url);
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = null;
      const pid = worker.process.pid;
      const how = signal === null ? `code ${code}` : `signal ${signal}`;
      if (stopping) {
        if (code !== 0) failed = true;
        if (alive().length === 0) finish(failed ? 1 : 0);
        return;
      }
      if (!started) {
        // Most likely the stores are out of reach or misconfigured: the others would fail alike.
        say(`process ${pid} exited before listening (${how}): stopping`);
        failed = true;
        stopAll();
        return;
      }
      const upFor = slot.listeningSince === null ? 0 : Date.now() - slot.listeningSince;
      if (upFor >= RESTART_RESET_MS) slot.deaths = 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** slot.deaths);
      slot.deaths += 1;
      say(`process ${pid} exited (${how}); starting another in ${delay / 1000} s`);
      slot.restart = setTimeout(() => {
        slot.restart = null;
        fork(slot, pid ?? null);
      }, delay);
    });
  };

  const force = (why: string) => {
    say(`shutdown ${why}: killing the processes, exiting now`);
    for (const slot of alive()) slot.worker?.process.kill('SIGKILL');
    process.exit(1);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return force('forced');
    console.log(
      `${signal}: shutting down ${alive().length} processes (finishing the requests in flight; again to force)`,
    );
    // Each process gives up after SHUTDOWN_TIMEOUT_MS itself; this covers one that hangs regardless.
    setTimeout(() => force('still waiting'), SHUTDOWN_TIMEOUT_MS + 5000).unref();
    stopAll();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (const slot of slots) fork(slot, null);
  const code = await finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (started) console.log(code === 0 ? 'stopped' : 'stopped (a process did not stop cleanly)');
  return code;
}
