/**
 * The record: PostgreSQL when DATABASE_URL is set, else PGlite (on disk in FLASHSALE_DATA_DIR, or in
 * memory when it is "memory"). Either shape may use either database.
 */
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { openPglite } from '../db/pglite.ts';
import { openPostgres } from '../db/postgres.ts';

export async function openDatabase(
  config: Readonly<Config>,
  options: { pgSchema?: string } = {},
): Promise<Database> {
  if (config.databaseUrl !== null) {
    return openPostgres({
      connectionString: config.databaseUrl,
      timeoutMs: config.timeouts.databaseMs,
      ...(options.pgSchema ? { schema: options.pgSchema } : {}),
    });
  }
  if (config.dataDir === 'memory') return openPglite();
  await mkdir(config.dataDir, { recursive: true });
  return openPglite({ dataDir: config.dataDir });
}
