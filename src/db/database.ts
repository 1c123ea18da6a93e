/**
 * The one seam between flashsale and its SQL database. Two adapters implement it: PostgreSQL
 * (`postgres.ts`, production) and PGlite (`pglite.ts`, embedded). Everything above this file writes
 * plain parameterized SQL ($1, $2, ...) that runs unchanged on both, so one contract suite covers both.
 */
export interface Queryable {
  /**
   * Runs one statement and returns its rows. Without params the statement goes over the simple query
   * protocol on both adapters, so a migration file may hold several `;`-separated statements (the rows
   * returned are then the last statement's).
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  /**
   * Runs `fn` between BEGIN and COMMIT on one connection; a throw rolls back and is rethrown.
   * Inside `fn`, use `tx` only: on the single-connection adapter a call on the Database itself waits
   * for the transaction to end, which never happens.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Schema names reach SQL and connection options unquoted, so only plain identifiers are accepted. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One read for many keys: runs `sql` (which takes the keys as `$1::text[]`) and answers each key, in
 * order, with its row converted, or null. Batched lookups (coalesce) answer their callers with it.
 */
export async function selectByKeys<Row, Out>(
  db: Queryable,
  sql: string,
  keys: readonly string[],
  keyOf: (row: Row) => string,
  convert: (row: Row) => Out,
): Promise<(Out | null)[]> {
  const rows = await db.query<Row>(sql, [keys]);
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => {
    const row = byKey.get(key);
    return row === undefined ? null : convert(row);
  });
}
