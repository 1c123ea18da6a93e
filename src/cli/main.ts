/**
 * The `flashsale` command. Each subcommand reads the environment once (src/config.ts) and builds the
 * app through the composition root (src/app.ts).
 */
import { parseArgs } from 'node:util';
import { type App, createApp, openDatabase, publishSale, recover, startWorker } from '../app.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { isFlashsaleError } from '../domain/errors.ts';
import { auditSale, formatAudit } from '../orders/audit.ts';
import { runStart } from './demo.ts';
import { checkServeConfig, printListening, runService } from './serve.ts';
import { runSimulate } from './simulate.ts';

const USAGE = `usage: flashsale <command>

  start                       all-in-one: API + worker + a demo sale (what \`npm start\` runs)
  serve                       the HTTP API on HOST:PORT (embedded shape: with the worker in-process)
  worker                      run order jobs, the hold sweeper, admission steps and sale loading
  migrate                     apply pending database migrations
  sale create --id ID --name NAME --stock N --price-cents N [--limit N] [--starts-in S]
              [--duration S] [--queueing fifo|shuffle] [--hold S] [--per-second N] [--max-active N]
  sale start|pause|resume|end ID
  audit ID                    compare engine counters with the database; exits 1 on any mismatch
  simulate [options]          a flash sale of N virtual buyers against the API (--help for options)

Configuration comes from the environment: see README.md.`;

async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(loadConfig());
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

async function saleCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'create') {
    const { values } = parseArgs({
      args: rest,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        stock: { type: 'string' },
        'price-cents': { type: 'string' },
        limit: { type: 'string', default: '1' },
        'starts-in': { type: 'string', default: '0' },
        duration: { type: 'string', default: '3600' },
        queueing: { type: 'string', default: 'fifo' },
        hold: { type: 'string', default: '300' },
        'per-second': { type: 'string', default: '50' },
        'max-active': { type: 'string', default: '500' },
      },
    });
    const startsAt = Date.now() + Number(values['starts-in']) * 1000;
    const sale = await withApp((app) =>
      publishSale(app, {
        id: values.id ?? '',
        name: values.name ?? values.id ?? '',
        priceCents: Number(values['price-cents'] ?? 0),
        totalStock: Number(values.stock),
        perUserLimit: Number(values.limit),
        prequeueAt: Math.min(Date.now(), startsAt),
        startsAt,
        endsAt: startsAt + Number(values.duration) * 1000,
        queueing: values.queueing as 'fifo' | 'shuffle',
        holdSeconds: Number(values.hold),
        admission: { perSecond: Number(values['per-second']), maxActive: Number(values['max-active']) },
      }),
    );
    console.log(JSON.stringify(sale, null, 2));
    return 0;
  }
  const id = rest[0];
  if ((action === 'start' || action === 'pause' || action === 'resume' || action === 'end') && id) {
    const sale = await withApp((app) => app.engine[action](id));
    console.log(`sale ${id}: ${sale.state}`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const config = loadConfig();
      // A console for a person: their own log level if they chose one, else warnings only.
      return runStart(process.env.FLASHSALE_LOG_LEVEL ? config : { ...config, logLevel: 'warn' });
    }
    case 'serve': {
      const config = loadConfig();
      checkServeConfig(config);
      return runService(config, { withWorker: config.redisUrl === null, onListening: printListening });
    }
    case 'migrate': {
      // Not through createApp: it migrates on its own, and this command should say what it applied.
      const db = await openDatabase(loadConfig());
      try {
        const applied = await migrate(db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'worker': {
      const app = await createApp(loadConfig());
      const recovered = await recover(app);
      const stop = startWorker(app);
      app.log.info({ shape: app.config.redisUrl ? 'redis' : 'embedded', ...recovered }, 'worker running');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      app.log.info('worker stopping: finishing jobs in flight');
      await stop();
      await app.close();
      return 0;
    }
    case 'sale':
      return saleCommand(rest);
    case 'simulate':
      return runSimulate(rest);
    case 'audit': {
      const id = rest[0];
      if (!id) break;
      const report = await withApp((app) => auditSale(app.engine, app.store, id));
      console.log(formatAudit(report));
      return report.ok ? 0 : 1;
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
    else if (isFlashsaleError(error)) {
      // An UNAVAILABLE at start carries the driver's error (which host, which port): the operator needs it.
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      console.error(`${error.code}: ${error.message}${cause}`);
    } else console.error(error);
    process.exit(1);
  },
);
