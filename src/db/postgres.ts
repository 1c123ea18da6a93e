import pg from 'pg';
import { databaseFailure, onDatabase } from '../failures/database.ts';
import { type Database, type Queryable, SCHEMA_NAME_PATTERN } from './database.ts';

export interface PostgresOptions {
  connectionString: string;
  /**
   * Every connection's search_path is set to this schema (created if missing), so a test run or a
   * second deployment can isolate itself in one database. Default: the server's search_path.
   */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
  /**
   * Longest a statement, or getting a connection, may take; beyond it the call fails as UNAVAILABLE
   * (a silent partition answers instead of hanging). Enforced twice: by the client (the reply must
   * arrive in time; the connection is then discarded) and by the server (statement_timeout, so a
   * statement whose client gave up does not keep running). Default: no limit.
   */
  timeoutMs?: number;
}

type Runner = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** One statement; a lost connection surfaces as UNAVAILABLE (see src/failures/database.ts). */
async function run<T>(runner: Runner, sql: string, params?: readonly unknown[]): Promise<T[]> {
  // Without values node-postgres uses the simple protocol, which allows several statements and then
  // resolves to one result per statement (its typings do not say so).
  const result = (await onDatabase(() =>
    runner.query(sql, params === undefined ? undefined : [...params]),
  )) as pg.QueryResult | pg.QueryResult[];
  const last = Array.isArray(result) ? result.at(-1) : result;
  return (last?.rows ?? []) as T[];
}

/**
 * Opens a pool and checks that the server answers (and that the schema exists), so startup fails fast:
 * an unreachable server is UNAVAILABLE, with the driver's error (host, port) as its cause.
 */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(`schema must match ${SCHEMA_NAME_PATTERN}, got ${JSON.stringify(schema)}`);
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    ...(options.timeoutMs === undefined
      ? {}
      : {
          query_timeout: options.timeoutMs,
          statement_timeout: options.timeoutMs,
          connectionTimeoutMillis: options.timeoutMs,
        }),
    // A startup parameter rather than a SET after connect: it holds for every pooled connection,
    // including ones the pool opens later, with no extra round trip.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection (server restart) emits 'error' on the pool; unhandled, that
  // would kill the process. The pool drops that client and the next query reports any lasting outage.
  pool.on('error', () => {});
  try {
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    else await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw databaseFailure(error);
  }

  return {
    query: (sql, params) => run(pool, sql, params),

    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await onDatabase(() => pool.connect());
      // The pool listens for errors on idle clients only. A checked-out client whose session the
      // server ends between two statements emits 'error' too, which unheard would kill the process;
      // the next statement on it rejects, and that rejection is what the caller gets (UNAVAILABLE).
      const ignore = () => {};
      client.on('error', ignore);
      let broken = false;
      try {
        await run(client, 'BEGIN');
        const value = await fn({ query: (sql, params) => run(client, sql, params) });
        await run(client, 'COMMIT');
        return value;
      } catch (error) {
        // A failed ROLLBACK means the connection is unusable; destroy it instead of pooling it.
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.off('error', ignore);
        client.release(broken);
      }
    },

    close: () => pool.end(),
  };
}
