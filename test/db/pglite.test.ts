import { afterAll } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { describeDatabaseContract } from './database.contract.ts';
import { describeDurableStateContract } from './durableSaleState.contract.ts';
import { describeSaleHistoryContract } from './saleHistory.contract.ts';

// Starting PGlite takes seconds, so the file shares one in-memory instance and each test isolates
// itself in a fresh schema, as the PostgreSQL tests do. PGlite has one session, so `another` hands back
// the same instance: concurrent callers are serialized inside it and the contract checks they stay correct.
let shared: Promise<Database> | undefined;
let n = 0;

afterAll(async () => {
  if (shared !== undefined) await (await shared).close();
});

const openSchema = async () => {
  shared ??= openPglite();
  const instance = await shared;
  const schema = `t_${++n}`;
  await instance.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  // The contract closes what it opened; the shared instance outlives each test, so close is a no-op.
  const db: Database = { ...instance, close: async () => {} };
  return {
    db,
    another: async () => db,
    cleanup: () => instance.query(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`).then(() => {}),
  };
};

describeDatabaseContract('PGlite', openSchema);
describeDurableStateContract('PGlite', openSchema);
describeSaleHistoryContract('PGlite', openSchema);
