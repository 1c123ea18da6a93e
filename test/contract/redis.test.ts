import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOf, shuffleKeys, ticketAt } from '../../src/domain/shuffle.ts';
import { holdIdOfMember, saleKeys } from '../../src/engine/redis/keys.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import { ReplicaWait } from '../../src/engine/redis/replicated.ts';
import { inlineIncludes, runScript } from '../../src/engine/redis/scripts.ts';
import type { Clock } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasRedis, REDIS_URL } from '../support/services.ts';
import { describeEngineContract } from './engine.contract.ts';
import { describeEngineDeparturesContract } from './engine.departures.contract.ts';
import { describeEnginePartsContract } from './engine.parts.contract.ts';
import { describeEngineProperties } from './engine.property.ts';
import { describeEngineRestoreContract } from './engine.restore.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

/** Each call: its own connection and key prefix, deleted afterwards. */
const factory: EngineFactory = async (clock: Clock, options = {}) => {
  const redis = new Redis(REDIS_URL);
  const prefix = `fst:${randomUUID().slice(0, 8)}:`;
  return {
    engine: new RedisEngine(redis, clock, { ...options, prefix }),
    cleanup: async () => {
      await deleteKeys(redis, `${prefix}*`);
      await redis.quit();
    },
  };
};

describe.skipIf(!(await hasRedis()))('redis engine', () => {
  describeEngineContract('redis', factory);
  describeEngineDeparturesContract('redis', factory);
  describeEngineProperties('redis', factory);
  describeEngineRestoreContract('redis', factory);
  describeEnginePartsContract('redis', factory);
  // Fewer sequences than the sale of one part above: what differs is the routing over the parts.
  for (const parts of [1, 3, 8]) describeEngineProperties('redis', factory, 300, parts);

  describe('redis specifics', () => {
    let redis: Redis;
    const prefix = `fst:${randomUUID().slice(0, 8)}:`;
    beforeAll(() => {
      redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
      await deleteKeys(redis, `${prefix}*`);
      await redis.quit();
    });

    it('a move between parts waits for no replica on a Redis that has none', async () => {
      // null: no WAIT was sent (a WAIT answers a number, after up to 200 ms without replicas).
      const wait = new ReplicaWait(redis);
      expect(await wait.forSale('any-part')).toBeNull();
      expect(await wait.forSale('another-part')).toBeNull();
    });

    it('shuffle.lua places every ticket where domain/shuffle.ts does', async () => {
      const lua = inlineIncludes(`--- @include "shuffle"
local keys = parseShuffleKeys(ARGV[1])
local out = {}
for i = 3, #ARGV do out[#out + 1] = placeOf(tonumber(ARGV[i]), tonumber(ARGV[2]), keys) end
return out`);
      for (const [seed, n] of [
        ['a', 1],
        ['a', 2],
        ['b', 50],
        ['c', 1000],
        ['d', 123_457],
        ['e', 10 ** 9],
        ['f', 2 ** 40 + 7],
      ] as const) {
        const keys = shuffleKeys(seed);
        const tickets = Array.from({ length: Math.min(n, 400) }, (_, i) => (i < 200 ? i + 1 : n - (i - 200)));
        const places = await redis.eval(lua, 0, keys.join(','), n, ...tickets);
        expect(places, `n = ${n}`).toEqual(tickets.map((t) => placeOf(t, n, keys)));
      }
    });

    it('shuffle.lua finds the ticket at every place as domain/shuffle.ts does (ticketAt inverts placeOf)', async () => {
      const lua = inlineIncludes(`--- @include "shuffle"
local keys = parseShuffleKeys(ARGV[1])
local out = {}
for i = 3, #ARGV do out[#out + 1] = ticketAt(tonumber(ARGV[i]), tonumber(ARGV[2]), keys) end
return out`);
      for (const [seed, n] of [
        ['a', 2],
        ['b', 50],
        ['c', 1000],
        ['d', 123_457],
        ['e', 10 ** 9],
      ] as const) {
        const keys = shuffleKeys(seed);
        const tickets = Array.from({ length: Math.min(n, 400) }, (_, i) => (i < 200 ? i + 1 : n - (i - 200)));
        const places = tickets.map((t) => placeOf(t, n, keys) as number);
        const found = await redis.eval(lua, 0, keys.join(','), n, ...places);
        expect(found, `n = ${n}`).toEqual(places.map((p) => ticketAt(p, n, keys)));
        expect(found, `n = ${n}`).toEqual(tickets);
      }
    });

    it('keeps every key of a sale under its hash tag, with integers written in full', async () => {
      const t = 123_456_789_012_345; // tostring() in Lua would print 1.2345678901234e+14
      const clock = new TestClock(t);
      // A prefix of its own: the other tests' sales share `prefix` and would show in the key listing.
      const own = `${prefix}tagged:`;
      const engine = new RedisEngine(redis, clock, { prefix: own });
      const sale = await engine.createSale({
        id: 'tagged',
        totalStock: 5,
        perUserLimit: 2,
        startsAt: t,
        endsAt: t + 3_600_000,
        holdSeconds: 60,
        queueing: 'shuffle',
      });
      await engine.join(sale.id, 'u1');
      await engine.admit(sale.id);
      const hold = await engine.reserve({ saleId: sale.id, userId: 'u1', quantity: 1, idempotencyKey: 'k' });
      expect(hold.expiresAt).toBe(t + 60_000);
      expect((await engine.snapshot(sale.id)).windows).toEqual([
        { at: t, fromPlace: 1, toPlace: 1, count: 1, freed: 1 },
      ]);
      const keys = await redis.keys(`${own}*`);
      expect(keys.length).toBeGreaterThan(5);
      for (const key of keys) expect(key.startsWith(`${own}{sale:tagged}:`)).toBe(true);
      expect(await redis.hget(`${own}{sale:tagged}:meta`, 'lastStepAt')).toBe(String(t));
    });

    it('expireSale gives every key of a sale, holds included, the same deadline', async () => {
      const clock = new TestClock(Date.now());
      const engine = new RedisEngine(redis, clock, { prefix });
      const sale = await engine.createSale({
        id: 'expiring',
        totalStock: 1000,
        perUserLimit: 1,
        startsAt: clock.now(),
        endsAt: clock.now() + 3_600_000,
        holdSeconds: 60,
      });
      // More holds than one HSCAN page, some released (their keys stay until the sale expires).
      for (let i = 0; i < 700; i++) {
        await engine.join(sale.id, `u${i}`);
        const hold = await engine.reserve({
          saleId: sale.id,
          userId: `u${i}`,
          quantity: 1,
          idempotencyKey: 'k',
        });
        if (i % 3 === 0) await engine.release(sale.id, hold.id, 'cancelled');
      }
      const at = Date.now() + 600_000;
      await engine.expireSale(sale.id, at);
      const keys = await redis.keys(`${prefix}{sale:expiring}:*`);
      expect(keys.length).toBeGreaterThan(700);
      for (const key of keys) {
        const deadline = await redis.pexpiretime(key);
        expect(deadline, key).toBe(at);
      }
      expect(await engine.purgeSale(sale.id)).toBe(keys.length);
      expect(await redis.keys(`${prefix}{sale:expiring}:*`)).toEqual([]);
    });

    it('sweeps only declared holds: a due hold missing from the candidates stops the script', async () => {
      const clock = new TestClock();
      const engine = new RedisEngine(redis, clock, { prefix });
      const sale = await engine.createSale({
        id: 'sweep-stop',
        totalStock: 5,
        perUserLimit: 1,
        startsAt: clock.now(),
        endsAt: clock.now() + 3_600_000,
        holdSeconds: 60,
      });
      for (const u of ['a', 'b', 'c']) {
        await engine.reserve({ saleId: sale.id, userId: u, quantity: 1, idempotencyKey: 'k' });
      }
      clock.advance(60_000);
      const k = saleKeys(prefix, sale.id);
      const [first, , third] = await redis.zrange(k.deadlines, 0, -1);
      const candidates = [first, third] as string[];
      const reply = await runScript(
        redis,
        'sweep',
        [k.meta, k.deadlines, k.units, ...candidates.map((m) => k.hold(holdIdOfMember(m)))],
        [clock.now(), 3, ...candidates],
      );
      expect(reply).toEqual([2, 1]); // SWEEP_INCOMPLETE after releasing the first
      expect(await engine.sweepExpired(sale.id)).toBe(2);
      expect(await engine.stats(sale.id)).toMatchObject({ available: 5, held: 0 });
    });

    it('leaves an injected connection open on close()', async () => {
      await new RedisEngine(redis, new TestClock(), { prefix }).close();
      expect(await redis.ping()).toBe('PONG');
    });
  });
});
