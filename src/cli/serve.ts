/**
 * `flashsale serve`: the HTTP API alone, as many processes as wanted in the production shape; in the
 * embedded shape it also runs the worker, since the engine and the jobs live in its process.
 */
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { isSharedByProcesses } from '../shapes/index.ts';
import { type Command, expectNoArgs, SERVICE_ENVIRONMENT } from './command.ts';
import { type Running, runService } from './service.ts';

const HELP = `usage: flashsale serve

The HTTP API on HOST:PORT; prints where it listens. With REDIS_URL (production shape) run as many as
wanted, next to \`flashsale worker\` processes; FLASHSALE_USER_SECRET and FLASHSALE_ADMIN_KEY are then
required, so that every process accepts the same tokens. Without REDIS_URL (embedded shape) it also
runs the order worker and its ticks.

On SIGTERM or SIGINT it stops accepting, finishes the requests and jobs in flight, closes the stores
and exits 0; a second signal, or 30 s without finishing, forces the exit (code 1).

Options: none. Environment (README.md, Configuration, has every variable):
${SERVICE_ENVIRONMENT}
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
      `${missing.join(' and ')} must be set when REDIS_URL is set: every API process must accept the same ` +
        'user tokens and admin key (see README.md, Configuration)',
    );
  }
}

/** What `serve` prints once listening: the address, and the admin key if this process made it up. */
function printListening({ app, ctx, url, worker }: Running): void {
  console.log(
    `flashsale API listening on ${url} (${app.shape.inProcess ? 'embedded' : 'production'} shape${worker ? ', with the order worker' : ''})`,
  );
  console.log(`  docs ${url}/docs, OpenAPI ${url}/openapi.json, probes ${url}/healthz and ${url}/readyz`);
  if (app.config.adminKey === null) {
    console.log(`  admin key (generated; set FLASHSALE_ADMIN_KEY to choose it): ${ctx.adminKey}`);
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'the HTTP API on HOST:PORT (embedded shape: with the worker in-process)',
  help: HELP,
  async run(args) {
    expectNoArgs(args);
    const config = loadConfig();
    checkServeConfig(config);
    return runService(config, { withWorker: !isSharedByProcesses(config), onListening: printListening });
  },
};
