/**
 * The HTTP service's lifecycle, shared by `flashsale serve` and `flashsale start`. Listen, run until
 * SIGTERM or SIGINT, then shut down in order: stop accepting and finish the requests in flight
 * (server.close), stop the worker (its jobs in flight finish), close the stores.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type App, createApp } from '../app.ts';
import { type Config, ConfigError } from '../config.ts';
import { createHttpContext, type HttpContext } from '../http/context.ts';
import { buildServer } from '../http/server.ts';
import { recover, startWorker } from '../orders/worker.ts';

/** Past this, a shutdown that still waits (a client that never finishes its request) is cut short. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;

export interface Running {
  app: App;
  ctx: HttpContext;
  server: FastifyInstance;
  /** The listening address, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Whether this process also runs the order worker and the ticks. */
  worker: boolean;
}

/** Fails before anything is opened (a PGlite directory must not be shared by two processes). */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error) => reject(listenError(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenError(error: Error & { code?: string }, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new ConfigError(`port ${port} on ${host} is already in use: stop what runs there, or set PORT`);
  }
  if (error.code === 'EACCES') return new ConfigError(`not allowed to listen on port ${port}: set PORT`);
  if (error.code === 'EADDRNOTAVAIL')
    return new ConfigError(`HOST ${host} is not an address of this machine`);
  return error;
}

/**
 * When to stop and how to say so. A process of its own stops on the first SIGTERM or SIGINT and is
 * forced by the next one; a process of `serve --processes N` is told by its primary (src/cli/cluster.ts).
 */
export interface StopControl {
  /** Resolves with what asked for the shutdown (a signal's name, or a reason). */
  requested: Promise<string>;
  /** Signals that, once the shutdown has begun, force the exit. */
  forceOn: NodeJS.Signals[];
  /** Prints the shutdown's progress (a cluster's processes leave that to their primary). */
  say(line: string): void;
}

function signalStop(): StopControl {
  return {
    requested: new Promise((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    }),
    forceOn: ['SIGTERM', 'SIGINT'],
    say: (line) => console.log(line),
  };
}

export interface ServiceOptions {
  withWorker: boolean;
  onListening(running: Running): Promise<void> | void;
  /** Default: SIGTERM or SIGINT stops, a second one forces. */
  stop?: StopControl;
  /** Whether to check HOST:PORT is free first; a cluster's primary has already done it (default true). */
  checkPort?: boolean;
}

/**
 * Runs the service until told to stop, then shuts it down; resolves with the exit code. `withWorker`
 * also runs the order worker and the ticks in this process: required in the embedded shape, where
 * the engine and the job queue live in this process and nothing else could run them.
 */
export async function runService(config: Readonly<Config>, options: ServiceOptions): Promise<number> {
  if (options.checkPort !== false) await checkPortFree(config.host, config.port);
  const app = await createApp(config);
  let stopWorker: (() => Promise<void>) | null = null;
  let server: FastifyInstance | null = null;
  const shutdown = async () => {
    // server.close() closes idle keep-alive connections once, when called; a connection whose request
    // finishes later would hold the shutdown open until the client hangs up. Close those as they idle.
    const sweep = setInterval(() => server?.server.closeIdleConnections(), 100);
    await server?.close().finally(() => clearInterval(sweep));
    await stopWorker?.();
    await app.close();
  };
  try {
    if (options.withWorker) {
      const recovered = await recover(app);
      if (recovered.loaded + recovered.requeued > 0) app.log.info(recovered, 'engine state recovered');
      stopWorker = startWorker(app);
    }
    const ctx = await createHttpContext(app);
    server = await buildServer(ctx);
    const url = await server.listen({ host: config.host, port: config.port }).catch((error: Error) => {
      throw listenError(error, config.host, config.port);
    });
    await options.onListening({ app, ctx, server, url, worker: options.withWorker });
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }

  // A caller's StopControl listens from before the start; the signals are listened for from here on.
  const stop = options.stop ?? signalStop();
  const reason = await stop.requested;
  stop.say(`${reason}: shutting down (finishing the requests and jobs in flight; again to force)`);
  const force = (why: string) => {
    console.error(`shutdown ${why}: exiting now`);
    process.exit(1);
  };
  for (const signal of stop.forceOn) process.once(signal, () => force('forced'));
  setTimeout(() => force(`still waiting after ${SHUTDOWN_TIMEOUT_MS / 1000} s`), SHUTDOWN_TIMEOUT_MS).unref();
  await shutdown();
  stop.say('stopped');
  return 0;
}
