/**
 * For the tests of the compiled command (dist/, the package's bin): build it, run it as a real
 * process, follow what it prints, and tell whether a port is free again.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run build`, once per test file: a no-op when dist/ is newer than every source. */
export function buildDist(): void {
  const run = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`npm run build failed:\n${run.stdout}${run.stderr}`);
}

/** Only what the test passes (plus PATH and HOME): the developer's own settings must not leak in. */
export function bareEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

export interface Followed {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  readonly output: string;
  /** Resolves with the first match of `pattern`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited, with its code and the signal that ended it, if any. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }) {
  return follow(spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Follows a child's output; `waitFor` waits `defaultTimeoutMs` unless told otherwise. */
export function follow(child: ChildProcess, defaultTimeoutMs = 90_000): Followed {
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    get output() {
      return output;
    },
    exited,
    waitFor(pattern, timeoutMs = defaultTimeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match === null) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} after ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`exited before printing ${pattern}; output:\n${output}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Whether this process can listen on `port` (and then lets it go). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
