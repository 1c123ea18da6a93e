/**
 * `flashsale worker`: order jobs, the hold sweeper, admission steps and loading sales from the
 * catalog, until SIGTERM or SIGINT; then the jobs in flight finish and the stores close.
 */
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { recover, startWorker } from '../orders/worker.ts';
import { type Command, parseCommandArgs, STORES_ENVIRONMENT } from './command.ts';

const HELP = `usage: flashsale worker [--adopt-redis]

Runs the order jobs, the reconciler, the hold sweeper, the admission steps and the loading of sales
from the catalog, after recovering the engine's state (safe on every start). Order jobs ride out
PostgreSQL and Redis outages; the reconciler finishes orders that crashes and outages left behind. Meant for the production shape (REDIS_URL or REDIS_CLUSTER_NODES):
run any number of them next to \`flashsale serve\`. In the embedded shape the engine lives inside the
\`start\` or \`serve\` process, which runs its own worker.

On SIGTERM or SIGINT it finishes the jobs in flight, closes the stores and exits 0.

A worker refuses to start (exit 1) on a Redis that belongs to another deployment, and on an empty
Redis at another address or key prefix than the one the catalog was served from (a wrong REDIS_URL):
reloading there would split the sales between two stores.

Options:
  --adopt-redis   Redis moved on purpose: accept the empty store at the configured address, reload
                  every current sale and pending order into it, and record it as the engine's store.

Environment (README.md, Configuration, has every variable):
${STORES_ENVIRONMENT}
  FLASHSALE_WORKER_CONCURRENCY   order jobs run at once (default 1000)
  FLASHSALE_OUTAGE_RETRY_MS      how long a job retries through an outage (default 600000)
  FLASHSALE_RECONCILE_INTERVAL_MS / FLASHSALE_RECONCILE_GRACE_MS   reconciler period and grace
  FLASHSALE_LOG_LEVEL    fatal, error, warn, info (default), debug, silent`;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run order jobs, the hold sweeper, admission steps and sale loading',
  help: HELP,
  async run(args) {
    const { values } = parseCommandArgs(args, { 'adopt-redis': { type: 'boolean' } });
    const app = await createApp(loadConfig());
    const recovered = await recover(app, { adoptStore: values['adopt-redis'] === true });
    const stop = startWorker(app);
    app.log.info({ shape: app.shape.name, ...recovered }, 'worker running');
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    app.log.info('worker stopping: finishing jobs in flight');
    await stop();
    await app.close();
    return 0;
  },
};
