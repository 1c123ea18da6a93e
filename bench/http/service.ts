/**
 * The service under bench/http.ts's load, as a child process of it: `--serve` runs the API
 * (`--with-worker` adds the order worker and the ticks in the same process, as the embedded shape runs
 * them), `--worker` the production shape's separate worker. Built from `createApp`,
 * `createHttpContext` and `buildServer`, configured by the environment the parent gives it.
 *
 * Over IPC it answers the parent's requests (ChildRequest): how many writes and commands it has sent
 * to Redis so far (a patched `net.Socket#write`; see bench/README.md), and pausing its in-process
 * order worker.
 */

import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createHttpContext } from '../../src/http/context.ts';
import { buildServer } from '../../src/http/server.ts';
import { recover, startWorker } from '../../src/orders/worker.ts';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    worker: { type: 'boolean', default: false },
    'with-worker': { type: 'boolean', default: false },
  },
});

/** Writes (round trips) and commands this process has sent to Redis so far. */
export interface RedisTraffic {
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

/** What the parent asks over IPC. */
export type ChildRequest = { kind: 'redis-traffic' } | { kind: 'pause-worker' };

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

await child();
