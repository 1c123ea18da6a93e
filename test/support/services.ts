/**
 * Real services for tests. Under CI=true a missing service fails the test run; on a laptop without
 * Redis or PostgreSQL the tests that need them are skipped with a loud notice.
 */
import net from 'node:net';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function available(name: string, url: string, defaultPort: number): Promise<boolean> {
  if (await reachable(url, defaultPort)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required under CI=true but ${url} is not reachable`);
  }
  console.warn(`\n!!! ${name} not reachable at ${url}: SKIPPING the tests that need it !!!\n`);
  return false;
}

/** Use as `describe.skipIf(!(await hasRedis()))`. Throws under CI when Redis is down. */
export const hasRedis = () => available('Redis', REDIS_URL, 6379);
export const hasPostgres = () => available('PostgreSQL', DATABASE_URL, 5432);
/** The production shape's two services (Redis engine, PostgreSQL); throws under CI when either is down. */
export const hasRedisAndPostgres = async () => (await hasRedis()) && (await hasPostgres());
