import { PGlite } from '@electric-sql/pglite';
import { onDatabase } from '../failures/database.ts';
import type { Database, Queryable } from './database.ts';

export interface PgliteOptions {
  /** Directory of a persistent database. Default: in memory, gone at close. */
  dataDir?: string;
}

/** The parts of PGlite and of its transaction object that this adapter uses. */
interface PgliteRunner {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<Array<{ rows: unknown[] }>>;
}

/** One statement; connection-class SQLSTATEs surface as UNAVAILABLE, as on PostgreSQL. */
async function run<T>(runner: PgliteRunner, sql: string, params?: readonly unknown[]): Promise<T[]> {
  // Mirror node-postgres: no params → simple protocol (several statements allowed, last rows win),
  // so migrations and ad-hoc SQL behave the same on both adapters.
  if (params === undefined || params.length === 0) {
    const results = await onDatabase(() => runner.exec(sql));
    return (results.at(-1)?.rows ?? []) as T[];
  }
  const result = await onDatabase(() => runner.query<T>(sql, [...params]));
  return result.rows;
}

/**
 * PostgreSQL compiled to WASM, in this process: one session, no server. Concurrency is serialized,
 * not lost: PGlite runs every `query`/`exec` and each whole `transaction` under one internal mutex,
 * so no other caller's statement can land inside an open transaction. Row locks, CHECK constraints
 * and advisory locks behave as on PostgreSQL; they simply never contend.
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  const db = options.dataDir === undefined ? await PGlite.create() : await PGlite.create(options.dataDir);
  return {
    query: (sql, params) => run(db, sql, params),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
      db.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    close: () => db.close(),
  };
}
