import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { DATABASE_URL, hasPostgres } from '../support/services.ts';
import { describeDatabaseContract } from './database.contract.ts';
import { describeDurableStateContract } from './durableSaleState.contract.ts';
import { describeSaleHistoryContract } from './saleHistory.contract.ts';

// Each test gets its own schema (t_<random>) in the shared test database, dropped afterwards, so runs
// never see each other's rows. Pool of 10, as in production, so the concurrency tests really contend.
const openSchema = async () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const open = () => openPostgres({ connectionString: DATABASE_URL, schema, max: 10 });
  const db = await open();
  const others: Database[] = [];
  return {
    db,
    async another() {
      const other = await open();
      others.push(other);
      return other;
    },
    async cleanup() {
      await Promise.all(others.map((o) => o.close()));
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    },
  };
};
const skip = !(await hasPostgres());

describeDatabaseContract('PostgreSQL', openSchema, { skip });
describeDurableStateContract('PostgreSQL', openSchema, { skip });
describeSaleHistoryContract('PostgreSQL', openSchema, { skip });
