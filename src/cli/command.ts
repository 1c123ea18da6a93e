/**
 * What every `flashsale` subcommand is made of: a name, a one-line summary for `flashsale --help`, its
 * own help text, and a run function. main.ts answers `--help` before calling run, so asking for help
 * never reads the configuration, opens a store or a port.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type App, createApp } from '../app.ts';
import { loadConfig } from '../config.ts';

export interface Command {
  name: string;
  /** One line in `flashsale --help`. */
  summary: string;
  /** What `flashsale <name> --help` prints: usage, options, environment. */
  help: string;
  /** Resolves with the exit code. Throws UsageError on bad arguments (exit 2, with the help). */
  run(args: string[]): Promise<number>;
}

/** Bad arguments: main.ts prints the message and the command's help, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs (strict), its errors turned into UsageError. */
export function parseCommandArgs<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
}

/** For the commands that take no arguments: anything given is a mistake worth saying. */
export function expectNoArgs(args: string[]): void {
  parseCommandArgs(args, {});
}

/** Builds the app from the environment, runs `fn`, closes the app whatever happens. */
export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(loadConfig());
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** The environment the store-opening commands read; README.md, Configuration, has every variable. */
export const STORES_ENVIRONMENT = [
  '  REDIS_URL              redis://…; set: Redis engine and BullMQ jobs (production shape)',
  '  REDIS_CLUSTER_NODES    host:port,…: the same on a Redis Cluster, instead of REDIS_URL',
  '  DATABASE_URL           postgres://…; unset: PGlite in FLASHSALE_DATA_DIR',
  '  FLASHSALE_DATA_DIR     PGlite directory (default .data/pglite; "memory": in memory)',
].join('\n');

/** The environment of the commands that run the HTTP service. */
export const SERVICE_ENVIRONMENT = `${STORES_ENVIRONMENT}
  PORT / HOST            where to listen (default 3000 / 127.0.0.1; PORT=0: any free port)
  FLASHSALE_ADMIN_KEY    bearer key of the admin API (default: generated per process, printed)
  FLASHSALE_USER_SECRET  HS256 secret of the shop's user tokens (default: generated per process)`;
