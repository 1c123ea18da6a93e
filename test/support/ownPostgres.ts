/**
 * A PostgreSQL server of the test's own (initdb into a temporary directory, its own port), that the
 * test may stop and start: outages are tested on it, never on the machine's shared PostgreSQL. The
 * server runs as the `postgres` user (PostgreSQL refuses root), through runuser when this process is
 * root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ownRedis.ts';

const BIN = '/usr/lib/postgresql/15/bin';

function postgresUid(): { uid: number; gid: number } | null {
  const run = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (run.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(run.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export const hasOwnPostgres = (): boolean =>
  existsSync(join(BIN, 'initdb')) && (userInfo().username === 'postgres' || postgresUid() !== null);

/** Runs a PostgreSQL binary as the postgres user. */
function asPostgres(command: string, args: string[]) {
  const root = userInfo().uid === 0;
  const run = root
    ? spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { encoding: 'utf8' })
    : spawnSync(join(BIN, command), args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} failed: ${run.stdout}\n${run.stderr}`);
}

export interface OwnPostgres {
  url: string;
  /** `pg_ctl stop -m fast`: sessions are ended (57P01), as an administrator's restart does. */
  stop(): void;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'flashsale-pg-'));
  const ids = postgresUid();
  if (ids !== null && userInfo().uid === 0) await chown(dir, ids.uid, ids.gid);
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const pgCtl = (...args: string[]) =>
    asPostgres('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', join(dir, 'log'), ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ready = async () => {
    // pg_ctl -w waits for the server to accept connections; one query confirms it from here.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
  };
  pgCtl('-o', options, 'start');
  await ready();
  let running = true;
  return {
    url,
    stop() {
      pgCtl('-m', 'fast', 'stop');
      running = false;
    },
    async start() {
      pgCtl('-o', options, 'start');
      running = true;
      await ready();
    },
    async destroy() {
      if (running) pgCtl('-m', 'immediate', 'stop');
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
