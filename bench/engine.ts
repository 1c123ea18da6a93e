/**
 * Engine throughput: join and reserve ops/s on each adapter, next to a baseline measured in the same
 * run (an empty async call for memory, PING through the same connections for Redis).
 *   npx tsx bench/engine.ts [--n 20000] [--in-flight 64]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { MemoryEngine } from '../src/engine/memory/memoryEngine.ts';
import { RedisEngine } from '../src/engine/redis/redisEngine.ts';
import { type SaleEngine, systemClock } from '../src/engine/types.ts';
import { deleteKeys } from '../test/support/redisKeys.ts';
import { appendResults, measure, printTable, type Row } from './lib.ts';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '20000' }, 'in-flight': { type: 'string', default: '64' } },
});
const N = Number(values.n);
const IN_FLIGHT = Number(values['in-flight']);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function engineRows(label: string, pick: (i: number) => SaleEngine, baseline: Row): Promise<Row[]> {
  const now = Date.now();
  const sale = await pick(0).createSale({
    id: `bench-${randomUUID().slice(0, 8)}`,
    totalStock: N,
    perUserLimit: 1,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 600,
    admission: { perSecond: 1000, maxActive: 100_000, sessionSeconds: 600 },
  });
  const join = await measure(`${label} join`, N, IN_FLIGHT, (i) => pick(i).join(sale.id, `u${i}`));
  const reserve = await measure(`${label} reserve`, N, IN_FLIGHT, (i) =>
    pick(i).reserve({ saleId: sale.id, userId: `u${i}`, quantity: 1, idempotencyKey: 'k' }),
  );
  const stats = await pick(0).stats(sale.id);
  if (stats.held !== N) throw new Error(`expected ${N} holds, got ${stats.held}`);
  return [baseline, join, reserve].map((r) => ({ ...r, ratio: r.perSecond / baseline.perSecond }));
}

const rows: Row[] = [];
const memory = new MemoryEngine(systemClock);
const noop = await measure('memory baseline: empty async call', N, IN_FLIGHT, async () => undefined);
rows.push(...(await engineRows('memory', () => memory, noop)));

const prefix = `bench-${randomUUID().slice(0, 6)}:`;
const connections = Array.from({ length: 8 }, () => new Redis(REDIS_URL, { lazyConnect: true }));
try {
  await Promise.all(connections.map((c) => c.connect()));
  const engines = connections.map((c) => new RedisEngine(c, systemClock, { prefix }));
  const ping = await measure('redis baseline: PING', N, IN_FLIGHT, (i) =>
    (connections[i % 8] as Redis).ping(),
  );
  rows.push(...(await engineRows('redis', (i) => engines[i % 8] as SaleEngine, ping)));
  await deleteKeys(connections[0] as Redis, `${prefix}*`);
} catch (error) {
  console.warn(`redis skipped: ${String(error)}`);
} finally {
  for (const c of connections) c.disconnect();
}

printTable(`engine throughput (${N} ops, ${IN_FLIGHT} in flight, 8 Redis connections)`, rows);
await appendResults('engine', rows);
