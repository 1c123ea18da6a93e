import { readdir, readFile } from 'node:fs/promises';
import type { Database, Queryable } from './database.ts';

export interface Migration {
  version: number;
  /** File name without `.sql`, e.g. `001_initial`. */
  name: string;
  sql: string;
}

/** Resolved from this module, not the working directory, so `flashsale` runs from anywhere. */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_PATTERN = /^(\d+)_([a-z0-9_]+)\.sql$/;

/**
 * An arbitrary fixed key ("flashsale" in spirit) shared by every process migrating any schema of one
 * database. Schemas could migrate in parallel, but migrations are rare and short, so one key is simpler.
 */
export const MIGRATION_LOCK_KEY = 7_263_487_201;

/** The migration files in version order. Throws on a stray file name or a repeated version. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (match === null) throw new Error(`migration file ${file} must be named NNN_snake_case.sql`);
    const sql = await readFile(new URL(file, dir), 'utf8');
    migrations.push({ version: Number(match[1]), name: file.slice(0, -'.sql'.length), sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && migrations[i - 1]?.version === m.version) {
      throw new Error(`two migrations share version ${m.version}`);
    }
  });
  return migrations;
}

/** Serializes migrators across processes; skipped where the function does not exist. */
async function lock(tx: Queryable): Promise<void> {
  // to_regprocedure answers NULL instead of raising, so the probe cannot abort the transaction.
  const [probe] = await tx.query<{ ok: boolean }>(
    "SELECT to_regprocedure('pg_advisory_xact_lock(bigint)') IS NOT NULL AS ok",
  );
  if (probe?.ok) await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
}

/**
 * Applies pending migrations in version order, one transaction each, and returns the names this call
 * applied. Each transaction first takes a transaction-scoped advisory lock, then re-reads what is
 * applied: when several processes start at once, one applies a migration and the others, once they
 * get the lock, see it recorded and move on. A failing migration rolls back whole and is rethrown;
 * the ones before it stay applied. Versions in the database that this code does not know (a newer
 * deployment ran first) are left alone.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  const applied: string[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      await lock(tx);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      const pending = all.find((m) => !done.has(m.version));
      if (pending === undefined) return null;
      await tx.query(pending.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        pending.version,
        pending.name,
      ]);
      return pending.name;
    });
    if (next === null) return applied;
    applied.push(next);
  }
}
