/**
 * Redis memory per waiting buyer and per hold, measured on an empty Redis given as REDIS_URL (it is
 * flushed: never point it at a shared one). `node --import tsx bench/redisMemory.ts`
 */
import { Redis } from 'ioredis';
import { RedisEngine } from '../src/engine/redis/redisEngine.ts';
import { systemClock } from '../src/engine/types.ts';

const url = process.env.REDIS_URL;
if (url === undefined) throw new Error('REDIS_URL: an empty Redis of your own (it is flushed)');
const BUYERS = Number(process.env.BUYERS ?? 100_000);
const HOLDS = Number(process.env.HOLDS ?? 20_000);

const redis = new Redis(url);
await redis.flushall();
const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
const engine = new RedisEngine(redis, systemClock);
const now = Date.now();
await engine.createSale({
  id: 'mem',
  totalStock: HOLDS,
  perUserLimit: 1,
  startsAt: now,
  endsAt: now + 3_600_000,
  holdSeconds: 600,
  admission: { perSecond: 1_000_000, maxActive: 1_000_000, sessionSeconds: 3600 },
});
const base = await used();
const lanes = 64;
const inLanes = async (n: number, fn: (i: number) => Promise<unknown>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) await fn(next++);
    }),
  );
};
// Waiting buyers: user ids as a shop would send them (a 36-character UUID-like id).
const userId = (i: number) => `user-${String(i).padStart(31, '0')}`;
await inLanes(BUYERS, (i) => engine.join('mem', userId(i)));
const afterJoin = await used();
await engine.admit('mem');
await inLanes(HOLDS, (i) =>
  engine.reserve({
    saleId: 'mem',
    userId: userId(i),
    quantity: 1,
    idempotencyKey: `checkout-${i}-0123456789abcdef`,
  }),
);
const afterHolds = await used();
const perBuyer = (afterJoin - base) / BUYERS;
const perHold = (afterHolds - afterJoin) / HOLDS;
console.log(
  JSON.stringify({
    buyers: BUYERS,
    holds: HOLDS,
    bytesPerWaitingBuyer: Math.round(perBuyer),
    bytesPerHold: Math.round(perHold),
  }),
);
console.log(`10,000,000 waiting buyers ≈ ${((perBuyer * 1e7) / 2 ** 30).toFixed(2)} GiB`);
await redis.flushall();
await redis.quit();
