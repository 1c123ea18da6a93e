/** `flashsale migrate`: applies the pending database migrations and says which. */
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { openDatabase } from '../shapes/database.ts';
import { type Command, expectNoArgs } from './command.ts';

const HELP = `usage: flashsale migrate

Applies the pending migrations (src/db/migrations/*.sql) and prints which, or that the database is up
to date. Every start migrates too; running it from several processes at once is safe.

Options: none. Environment (README.md, Configuration, has every variable):
  DATABASE_URL           postgres://…; unset: PGlite in FLASHSALE_DATA_DIR
  FLASHSALE_DATA_DIR     PGlite directory (default .data/pglite)`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  help: HELP,
  async run(args) {
    expectNoArgs(args);
    // Not through createApp: it migrates on its own, and this command should say what it applied.
    const db = await openDatabase(loadConfig());
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.close();
    }
    return 0;
  },
};
