/**
 * The simulated payment provider keeps the payment contract, with its real ledger: the
 * `payment_charges` table through OrderStore, on PGlite and on PostgreSQL (a schema of its own).
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OrderStore } from '../../src/db/orderStore.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { SimulatedPaymentProvider } from '../../src/orders/payments/simulated.ts';
import { DATABASE_URL, hasPostgres } from '../support/services.ts';
import { describePaymentProviderContract, type PaymentProviderFixture } from './payments.contract.ts';

async function simulatedOn(db: Database, drop: () => Promise<void>): Promise<PaymentProviderFixture> {
  await migrate(db);
  const store = new OrderStore(db);
  return {
    provider: new SimulatedPaymentProvider(store.charges),
    methods: { succeeds: 'pm_ok', declines: 'pm_decline', failsTransiently: 'pm_flaky' },
    transientFailures: 2,
    ledger: async (saleId) => ({
      charges: await store.charges.count({ saleId }),
      refunded: await store.charges.count({ saleId, status: 'refunded' }),
    }),
    close: async () => {
      await drop();
      await db.close();
    },
  };
}

describePaymentProviderContract('simulated, ledger on PGlite', async () =>
  simulatedOn(await openPglite(), async () => {}),
);

describePaymentProviderContract(
  'simulated, ledger on PostgreSQL',
  async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const db = await openPostgres({ connectionString: DATABASE_URL, schema });
    return simulatedOn(db, async () => {
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
    });
  },
  { skip: !(await hasPostgres()) },
);
