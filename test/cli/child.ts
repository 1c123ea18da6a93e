/** Runs the `flashsale` command as a real child process and follows what it prints. */
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import { type Shape, TEST_ENV } from '../pipeline/shapes.ts';
import { DATABASE_URL, REDIS_URL } from '../support/services.ts';
import { bareEnv, follow, ROOT } from './compiled.ts';

export interface Cli {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  readonly output: string;
  /** Resolves with the first match of `pattern` in the output, waiting for it up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  kill(): void;
}

/**
 * Only what the test passes (plus PATH and HOME): a developer's own REDIS_URL or FLASHSALE_* must not
 * leak into the child.
 */
export function runCli(args: string[], env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: bareEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const followed = follow(child, 45_000);
  return {
    child,
    get output() {
      return followed.output;
    },
    waitFor: followed.waitFor,
    exited: followed.exited.then(({ code }) => code),
    kill: followed.kill,
  };
}

/**
 * Environment for `flashsale` processes on a production test shape. The CLI takes no schema option,
 * so the shape's PostgreSQL schema is created here and selected through the URL's search_path.
 */
export async function productionCliEnv(shape: Shape): Promise<Record<string, string>> {
  const schema = shape.env.TEST_PG_SCHEMA as string;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.end();
  const databaseUrl = new URL(DATABASE_URL);
  databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
  const nodes = shape.env.REDIS_CLUSTER_NODES;
  return {
    ...(nodes === undefined ? { REDIS_URL } : { REDIS_CLUSTER_NODES: nodes }),
    DATABASE_URL: databaseUrl.toString(),
    FLASHSALE_REDIS_PREFIX: shape.env.FLASHSALE_REDIS_PREFIX as string,
    FLASHSALE_QUEUE_PREFIX: shape.env.TEST_QUEUE_PREFIX as string,
    FLASHSALE_OUTBOX: shape.env.FLASHSALE_OUTBOX as string,
    FLASHSALE_USER_SECRET: TEST_ENV.FLASHSALE_USER_SECRET,
    FLASHSALE_ADMIN_KEY: TEST_ENV.FLASHSALE_ADMIN_KEY,
    FLASHSALE_LOG_LEVEL: 'warn',
    // Proof of work at join is test/http/pow.*'s subject; these processes' buyers join without it.
    FLASHSALE_POW: 'off',
    PORT: '0',
    // One API process per `serve`, as these tests count them (serve.processes.test.ts asks for more).
    FLASHSALE_PROCESSES: '1',
  };
}
