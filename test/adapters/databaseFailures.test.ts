/**
 * The database adapters translate a lost or refused connection into UNAVAILABLE (the driver's error as
 * its cause), and nothing else: a constraint violation or bad SQL stays the driver's error. PostgreSQL
 * is the real server (its own schema per run); the lost session is a real pg_terminate_backend.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { isFlashsaleError } from '../../src/domain/errors.ts';
import { freePort } from '../support/ownRedis.ts';
import { DATABASE_URL, hasPostgres } from '../support/services.ts';
import { expectUnavailable, rejectionOf } from '../support/unavailable.ts';

/** What both adapters must leave alone: the database answered, the statement was refused. */
function describeRefusalsStayDriverErrors(name: string, open: () => Promise<Database>) {
  describe(`${name}: refusals are not outages`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
      await db.query('CREATE TABLE things (id int PRIMARY KEY, n int CHECK (n >= 0))');
      await db.query('INSERT INTO things (id, n) VALUES ($1, $2)', [1, 1]);
    });

    it('a unique violation stays the driver error (23505)', async () => {
      const error = await rejectionOf(db.query('INSERT INTO things (id, n) VALUES ($1, $2)', [1, 2]));
      expect(isFlashsaleError(error)).toBe(false);
      expect(error).toMatchObject({ code: '23505' });
    });

    it('a check violation inside a transaction stays the driver error (23514)', async () => {
      const error = await rejectionOf(
        db.transaction((tx) => tx.query('UPDATE things SET n = $1 WHERE id = $2', [-1, 1])),
      );
      expect(isFlashsaleError(error)).toBe(false);
      expect(error).toMatchObject({ code: '23514' });
    });

    it('bad SQL stays the driver error (42601)', async () => {
      const error = await rejectionOf(db.query('SELEKT 1'));
      expect(isFlashsaleError(error)).toBe(false);
      expect(error).toMatchObject({ code: '42601' });
    });
  });
}

describe.skipIf(!(await hasPostgres()))('PostgreSQL adapter', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const opened: Database[] = [];
  const open = async () => {
    const db = await openPostgres({ connectionString: DATABASE_URL, schema, max: 2 });
    opened.push(db);
    return db;
  };
  afterAll(async () => {
    const [first] = opened;
    if (first !== undefined) await first.query(`DROP SCHEMA ${schema} CASCADE`);
    await Promise.all(opened.map((db) => db.close()));
  });

  it('opening a database where nothing listens throws UNAVAILABLE caused by the refused connection', async () => {
    const url = new URL(DATABASE_URL);
    url.port = String(await freePort());
    const cause = expectUnavailable(await rejectionOf(openPostgres({ connectionString: url.toString() })));
    expect(cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a session terminated by the server (pg_terminate_backend) throws UNAVAILABLE, and the pool recovers', async () => {
    const db = await open();
    const admin = await open();
    const error = await rejectionOf(
      db.transaction(async (tx) => {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [row?.pid]);
        await tx.query('SELECT 1');
      }),
    );
    const cause = expectUnavailable(error);
    // Depending on which the client reads first: the server's 57P01 (admin shutdown), the closed
    // socket, or the client already marked broken by either. All three are a lost session.
    const seen = (cause as Error & { code?: string }).code ?? cause.message;
    expect([
      '57P01',
      'Connection terminated unexpectedly',
      'Client has encountered a connection error and is not queryable',
    ]).toContain(seen);
    expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  describeRefusalsStayDriverErrors('PostgreSQL', open);
});

describe('PGlite adapter', () => {
  let shared: Database | undefined;
  afterAll(async () => {
    await shared?.close();
  });
  describeRefusalsStayDriverErrors('PGlite', async () => {
    shared = await openPglite();
    return shared;
  });
});
