/**
 * A Redis that goes away: the Redis engine and the BullMQ queue throw the registry's UNAVAILABLE with
 * the ioredis error as its cause, so the HTTP layer answers 503 without knowing about ioredis. The
 * server is the test's own redis-server, killed for real.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlashsaleError } from '../../src/domain/errors.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import { createBullQueue } from '../../src/orders/jobs/bullmqQueue.ts';
import type { JobQueue } from '../../src/orders/jobs/types.ts';
import { TestClock } from '../support/clock.ts';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/ownRedis.ts';
import { expectUnavailable, rejectionOf } from '../support/unavailable.ts';

const T0 = Date.UTC(2030, 0, 1, 12);
const saleInput = (id: string) => ({
  id,
  totalStock: 10,
  perUserLimit: 2,
  prequeueAt: T0 - 60_000,
  startsAt: T0,
  endsAt: T0 + 3_600_000,
  holdSeconds: 120,
});

describe.skipIf(!hasRedisServer())('a Redis outage, seen through the adapters', () => {
  let server: OwnRedis;
  const clients: Redis[] = [];
  beforeEach(async () => {
    server = await startOwnRedis();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await server.kill();
  });

  /** An engine connection configured as the app configures its own, plus one with the offline queue. */
  const connect = (options: { enableOfflineQueue: boolean }) => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true, ...options });
    redis.on('error', () => undefined); // reconnect failures are expected here
    clients.push(redis);
    return redis;
  };

  for (const enableOfflineQueue of [false, true]) {
    it(`the engine throws UNAVAILABLE with the ioredis error as cause (offline queue ${enableOfflineQueue ? 'on' : 'off'})`, async () => {
      const redis = connect({ enableOfflineQueue });
      await redis.connect();
      const engine = new RedisEngine(redis, new TestClock(T0), { prefix: `outage-${randomUUID()}:` });
      await engine.createSale(saleInput('s1'));
      // A refusal from a script is not an outage.
      const refusal = await rejectionOf(engine.start('no-such-sale'));
      expect(isFlashsaleError(refusal, 'SALE_NOT_FOUND')).toBe(true);

      await server.kill();
      for (const call of [
        () => engine.getSale('s1'),
        () => engine.join('s1', 'user-1'),
        () => engine.sweepExpired('s1'),
      ]) {
        expectUnavailable(await rejectionOf(call()));
      }
    });
  }

  it('the BullMQ queue throws UNAVAILABLE with the ioredis error as cause on add, counts and failed', async () => {
    const queue: JobQueue<{ n: number }> = createBullQueue('outage', {
      connection: server.url,
      prefix: `{outage-${randomUUID()}}`,
      onError: () => undefined,
    });
    try {
      expect(await queue.add('job', { n: 1 })).toEqual(expect.any(String));
      expect((await queue.counts()).waiting).toBe(1);

      await server.kill();
      expectUnavailable(await rejectionOf(queue.add('job', { n: 2 })));
      expectUnavailable(await rejectionOf(queue.counts()));
      expectUnavailable(await rejectionOf(queue.failed()));
    } finally {
      // Closing waits for nothing on a dead server, but must not fail the test either way.
      await queue.close().catch(() => undefined);
    }
  });
});
