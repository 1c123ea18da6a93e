/**
 * `flashsale serve`: the HTTP API alone, as many processes as wanted in the production shape (and
 * `--processes N` of them on one port, src/cli/cluster.ts); in the embedded shape it also runs the
 * worker, since the engine and the jobs live in its process.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { isSharedByProcesses } from '../shapes/index.ts';
import { clusterStop, RESTART_FIRST_MS, RESTART_MAX_MS, reportListening, runPrimary } from './cluster.ts';
import { type Command, parseCommandArgs, SERVICE_ENVIRONMENT, UsageError } from './command.ts';
import { type Running, runService } from './service.ts';

const HELP = `usage: flashsale serve [--processes N]

The HTTP API on HOST:PORT; prints where it listens. With REDIS_URL or REDIS_CLUSTER_NODES (production
shape) run as many as wanted, next to \`flashsale worker\` processes; FLASHSALE_USER_SECRET and
FLASHSALE_ADMIN_KEY are then required, so that every process accepts the same tokens. Without either
(embedded shape) it also runs the order worker and its ticks, in one process.

In the production shape it runs one API process per core on the same HOST:PORT (node:cluster: a
primary process hands the connections out to them). A process that dies is logged and restarted after
${RESTART_FIRST_MS / 1000} s, the wait doubling up to ${RESTART_MAX_MS / 1000} s while it keeps dying.

On SIGTERM or SIGINT it stops accepting, finishes the requests and jobs in flight, closes the stores
and exits 0 (with several processes: each of them does, then the primary exits 0); a second signal,
or 30 s without finishing, forces the exit (code 1).

Options:
  --processes N   API processes on HOST:PORT (default FLASHSALE_PROCESSES, else the number of cores
                  in the production shape); 1 runs the API in this very process. The embedded shape
                  runs in one process: N above 1 is refused there.

Environment (README.md, Configuration, has every variable):
${SERVICE_ENVIRONMENT}
  FLASHSALE_PROCESSES    default of --processes
  FLASHSALE_LOG_LEVEL    fatal, error, warn, info (default), debug, silent`;

/**
 * In the production shape any number of API processes serve the same sales, so a buyer's token must
 * verify in every one of them and an operator's key must work against any of them: neither may be
 * generated per process.
 */
export function checkServeConfig(config: Readonly<Config>): void {
  if (!isSharedByProcesses(config)) return;
  const missing = [
    config.userSecret === null ? 'FLASHSALE_USER_SECRET' : null,
    config.adminKey === null ? 'FLASHSALE_ADMIN_KEY' : null,
  ].filter((name) => name !== null);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(' and ')} must be set with REDIS_URL or REDIS_CLUSTER_NODES: every API process must accept the same ` +
        'user tokens and admin key (see README.md, Configuration)',
    );
  }
}

/** --processes, else FLASHSALE_PROCESSES, else one per core where the stores are shared. */
function processCount(flag: string | undefined, config: Readonly<Config>): number {
  const shared = isSharedByProcesses(config);
  if (flag === undefined) return config.processes ?? (shared ? availableParallelism() : 1);
  const count = Number(flag);
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw new UsageError(`--processes must be a whole number from 1 to 1024 (got "${flag}")`);
  }
  if (count > 1 && !shared) {
    throw new UsageError(
      '--processes above 1 needs REDIS_URL: the embedded shape runs in one process (its engine lives there)',
    );
  }
  return count;
}

interface Listening {
  url: string;
  embedded: boolean;
  worker: boolean;
  processes: number;
  /** The admin key, when this process made it up (embedded shape without FLASHSALE_ADMIN_KEY). */
  generatedAdminKey: string | null;
}

/** What `serve` prints once listening: the address, and the admin key if this process made it up. */
function printListening({ url, embedded, worker, processes, generatedAdminKey }: Listening): void {
  const notes = [
    worker ? 'with the order worker' : null,
    processes > 1 ? `${processes} processes` : null,
  ].filter((note) => note !== null);
  console.log(
    `flashsale API listening on ${url} (${[embedded ? 'embedded shape' : 'production shape', ...notes].join(', ')})`,
  );
  console.log(`  docs ${url}/docs, OpenAPI ${url}/openapi.json, probes ${url}/healthz and ${url}/readyz`);
  if (generatedAdminKey !== null) {
    console.log(`  admin key (generated; set FLASHSALE_ADMIN_KEY to choose it): ${generatedAdminKey}`);
  }
}

const printRunning = ({ app, ctx, url, worker }: Running) =>
  printListening({
    url,
    embedded: app.shape.inProcess,
    worker,
    processes: 1,
    generatedAdminKey: app.config.adminKey === null ? ctx.adminKey : null,
  });

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the HTTP API on HOST:PORT, one process per core (embedded shape: one, with the worker)',
  help: HELP,
  async run(args) {
    const { values } = parseCommandArgs(args, { processes: { type: 'string' } });
    const config = loadConfig();
    checkServeConfig(config);
    const withWorker = !isSharedByProcesses(config);
    if (cluster.isWorker) {
      // One of the primary's processes (it re-runs this command): listen, report, stop when told.
      const stop = clusterStop();
      return runService(config, {
        withWorker,
        stop,
        checkPort: false,
        onListening: ({ url }) => reportListening(url),
      });
    }
    const processes = processCount(values.processes, config);
    if (processes === 1) return runService(config, { withWorker, onListening: printRunning });
    return runPrimary(config, processes, (url) =>
      printListening({ url, embedded: false, worker: false, processes, generatedAdminKey: null }),
    );
  },
};
