/**
 * A worker pointed at a Redis that has never seen the catalog (here: the right server, another key
 * prefix — as a wrong REDIS_URL database or prefix would be) refuses loudly and writes nothing there,
 * while the same empty store at the recorded location would be reloaded as a loss. `--adopt-redis`
 * accepts the new location on purpose: the current sale is loaded into it, and workers on the old
 * location then refuse it as another deployment's.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { publishSale } from '../../src/sales/publish.ts';
import { productionCliEnv, runCli } from '../cli/child.ts';
import { redisShape } from '../pipeline/shapes.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasPostgres, hasRedis, REDIS_URL } from '../support/services.ts';

const ready = (await hasRedis()) && (await hasPostgres());
const MOVED = 'fst-moved-';

describe.skipIf(!ready)('a worker on a Redis that has never seen the catalog', () => {
  const shape = redisShape();
  const redis = new Redis(REDIS_URL);
  let movedPrefix = '';
  afterAll(async () => {
    await deleteKeys(redis, `${movedPrefix}*`);
    await redis.quit();
    await shape.cleanup();
  });

  it('refuses it loudly, writes no sale there, and adopts it only when told', async () => {
    const env: Record<string, string> = { ...(await productionCliEnv(shape)), FLASHSALE_LOG_LEVEL: 'info' };
    movedPrefix = `${MOVED}${env.FLASHSALE_REDIS_PREFIX}`;
    const app = await shape.make();
    const now = app.clock.now();
    try {
      await publishSale(app, {
        id: 'moved',
        name: 'Moved',
        totalStock: 5,
        perUserLimit: 1,
        holdSeconds: 300,
        priceCents: 100,
        startsAt: now - 1000,
        endsAt: now + 3_600_000,
      });
    } finally {
      await app.close();
    }
    // A first worker records the engine's store where the catalog is served from.
    const first = runCli(['worker'], env);
    await first.waitFor(/worker running/);
    first.kill();
    await first.exited;

    const elsewhere = { ...env, FLASHSALE_REDIS_PREFIX: movedPrefix };
    const refused = runCli(['worker'], elsewhere);
    expect(await refused.exited, refused.output).toBe(1);
    expect(refused.output).toMatch(/has never seen this catalog/);
    expect(refused.output).toContain('--adopt-redis');
    // Nothing but the incarnation key it read was written there: no sale was loaded.
    expect(await redis.keys(`${movedPrefix}*`)).toEqual([`${movedPrefix}engine:incarnation`]);

    const adopting = runCli(['worker', '--adopt-redis'], elsewhere);
    await adopting.waitFor(/worker running/);
    adopting.kill();
    await adopting.exited;
    expect(await redis.keys(`${movedPrefix}{sale:moved}*`)).not.toEqual([]);

    // The old location is now another deployment's store as far as this catalog knows.
    const old = runCli(['worker'], env);
    expect(await old.exited, old.output).toBe(1);
    expect(old.output).toMatch(/another deployment's Redis/);
  }, 120_000);
});
