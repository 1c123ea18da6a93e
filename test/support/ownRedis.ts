/**
 * A redis-server of the test's own, on a free port, that the test may kill: outages are tested on it,
 * never on the machine's shared Redis.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';

export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version']).status === 0;

/** A port nothing listens on right now (the OS picks it; nothing holds it afterwards). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface OwnRedis {
  url: string;
  port: number;
  /** SIGKILL: the server vanishes as in a crash, its clients see their sockets close. */
  kill(): Promise<void>;
}

/** On a free port, or on `port` again: a restart of a server without persistence comes back empty. */
export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  port ??= await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  // Ready once it answers PING; the client retries its connection until then.
  const probe = new Redis(url, { retryStrategy: (times) => (times > 100 ? null : 50) });
  probe.on('error', () => undefined); // refused until the server listens
  try {
    await probe.ping();
  } finally {
    probe.disconnect();
  }
  return {
    url,
    port,
    async kill() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    },
  };
}

export interface RestartableRedis {
  url: string;
  /** SIGTERM: Redis writes its append-only file and exits, as a restart by an operator does. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory: the data comes back from the AOF. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A redis-server of the test's own with the append-only file on (fsync every write), in a temporary
 * directory, that the test may stop and start again.
 */
export async function startRestartableRedis(dir: string): Promise<RestartableRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | null = null;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const start = async () => {
    server = spawn('redis-server', [...args, '--appendonly', 'yes', '--appendfsync', 'always'], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { retryStrategy: (times) => (times > 200 ? null : 50) });
    probe.on('error', () => undefined);
    try {
      await probe.ping();
    } finally {
      probe.disconnect();
    }
  };
  const stop = async () => {
    const running = server;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
    server = null;
  };
  await start();
  return {
    url,
    start,
    stop,
    async destroy() {
      await stop();
      const { rm } = await import('node:fs/promises');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
