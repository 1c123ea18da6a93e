/**
 * One clock for processes whose own clocks disagree: two engines on one real Redis, as two processes
 * whose clocks are 5 s apart, take turns admitting and sweeping. With the Redis clock (what the redis
 * shape runs) the admission rate and hold deadlines are those of the sale; with each process's own
 * clock (the control, what the engine did before) the same steps admit many times the rate and
 * expire a fresh hold at once — so the test can tell the two apart.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClock } from '../../src/engine/redis/redisClock.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import type { Clock } from '../../src/engine/types.ts';
import { redisShape } from '../pipeline/shapes.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasRedis, REDIS_URL } from '../support/services.ts';

const SKEW_MS = 5000;
const PER_SECOND = 20;
const HOLD_SECONDS = 2;
const prefix = `clock:${randomUUID().slice(0, 8)}:`;

/** A process clock `offset` ms away from the machine's. */
const skewed = (offset: number): Clock => ({ now: () => Date.now() + offset });

async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

describe.skipIf(!(await hasRedis()))('one clock across processes whose clocks differ by 5 s', () => {
  const connections: Redis[] = [];
  const clocks: RedisClock[] = [];
  let admin: Redis;

  const connection = () => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    return redis;
  };

  /** Engines "behind" and "ahead", on their own connections, with the Redis clock or their own. */
  async function pair(useRedisClock: boolean): Promise<[RedisEngine, RedisEngine]> {
    const make = async (offset: number) => {
      const redis = connection();
      let clock: Clock = skewed(offset);
      if (useRedisClock) {
        const synced = await RedisClock.start(redis, clock);
        clocks.push(synced);
        clock = synced;
      }
      return new RedisEngine(redis, clock, { prefix });
    };
    return [await make(-SKEW_MS / 2), await make(SKEW_MS / 2)];
  }

  async function liveSale(engine: RedisEngine): Promise<string> {
    const now = await redisNow(admin);
    const sale = await engine.createSale({
      id: `c-${randomUUID().slice(0, 8)}`,
      totalStock: 100,
      perUserLimit: 1,
      // Live for both processes whatever their clocks say.
      startsAt: Math.floor(now) - 60_000,
      endsAt: Math.floor(now) + 3_600_000,
      holdSeconds: HOLD_SECONDS,
      admission: { perSecond: PER_SECOND, maxActive: 100_000, sessionSeconds: 600 },
    });
    return sale.id;
  }

  /**
   * Both processes run the admission tick in turns for about 2 s with 2,000 buyers waiting; returns
   * how many were admitted and the most the sale's rate allows over the time that passed on Redis
   * (the bucket starts full: one second's worth, plus the rate times the elapsed time).
   */
  async function admitInTurns(engines: [RedisEngine, RedisEngine]) {
    const saleId = await liveSale(engines[0]);
    for (let i = 0; i < 2000; i += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          (engines[(i + j) % 2] as RedisEngine).join(saleId, `u${i + j}`),
        ),
      );
    }
    const started = await redisNow(admin);
    let admitted = 0;
    for (let step = 0; step < 20; step++) {
      admitted += (await (engines[step % 2] as RedisEngine).admit(saleId)).admitted;
      await sleep(100);
    }
    const elapsedSeconds = ((await redisNow(admin)) - started) / 1000;
    const allowed = Math.ceil(PER_SECOND * (1 + elapsedSeconds));
    return { admitted, allowed };
  }

  /** "Behind" reserves; "ahead" sweeps at once, then after the deadline. */
  async function holdSweptBy(engines: [RedisEngine, RedisEngine]) {
    const [behind, ahead] = engines;
    const saleId = await liveSale(behind);
    const before = await redisNow(admin);
    const hold = await behind.reserve({ saleId, userId: 'buyer', quantity: 1, idempotencyKey: 'k' });
    const after = await redisNow(admin);
    const sweptAtOnce = await ahead.sweepExpired(saleId);
    return { hold, before, after, sweptAtOnce, saleId };
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    for (const clock of clocks) clock.stop();
    await deleteKeys(admin, `${prefix}*`);
    await admin.quit();
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('the Redis clock keeps the admission rate; process clocks multiply it (control)', async () => {
    const synced = await admitInTurns(await pair(true));
    expect(synced.admitted).toBeGreaterThan(0);
    expect(synced.admitted).toBeLessThanOrEqual(synced.allowed);

    const own = await admitInTurns(await pair(false));
    expect(own.admitted).toBeGreaterThan(own.allowed);
  });

  it('the Redis clock stamps and sweeps holds by one deadline; process clocks expire them early (control)', async () => {
    const synced = await holdSweptBy(await pair(true));
    // The deadline is Redis's time at the reservation plus the hold's length (the offset is right
    // within half a loopback round trip; a second of slack leaves the 2.5 s skew far outside).
    expect(synced.hold.expiresAt).toBeGreaterThanOrEqual(synced.before + HOLD_SECONDS * 1000 - 1000);
    expect(synced.hold.expiresAt).toBeLessThanOrEqual(synced.after + HOLD_SECONDS * 1000 + 1000);
    expect(synced.sweptAtOnce).toBe(0);
    const [, ahead] = await pair(true);
    await sleep(synced.hold.expiresAt - (await redisNow(admin)) + 50);
    expect(await ahead.sweepExpired(synced.saleId)).toBe(1);

    const own = await holdSweptBy(await pair(false));
    expect(own.sweptAtOnce).toBe(1);
  });

  it('the redis shape runs on the Redis clock, whatever the process clock says', async () => {
    const shape = redisShape();
    const apps = [
      await shape.make({ processClock: skewed(-SKEW_MS / 2) }),
      await shape.make({ processClock: skewed(SKEW_MS / 2) }),
    ];
    try {
      for (const app of apps) {
        const redis = await redisNow(admin);
        expect(Math.abs(app.clock.now() - redis)).toBeLessThan(1000);
      }
    } finally {
      for (const app of apps) await app.close();
      await shape.cleanup();
    }
  });
});
