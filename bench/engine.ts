/**
 * Engine throughput: join and reserve ops/s on each adapter, next to a baseline measured in the same
 * run (an empty async call for memory, PING through the same connections for Redis). Redis rows also
 * give Redis's own CPU µs per operation (INFO cpu), which bench/capacity.ts turns into operations per
 * Redis core: the rate alone is bounded by the client sharing the machine's cores.
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
/**
 * The in-memory rows run ten times as many operations: at N they last 30-200 ms, short enough that a
 * garbage collection or a JIT tier-up moved their ratio by 2× between runs of the same code.
 */
const MEMORY_N = N * 10;
const IN_FLIGHT = Number(values['in-flight']);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Runs `measure` and, with `serverCpu`, adds the server's CPU µs per operation to the row. The shared
 * Redis also serves others: their work lands in the delta too, so the figure errs high (pessimistic).
 */
async function timed(row: () => Promise<Row>, serverCpu?: () => Promise<number>): Promise<Row> {
  const before = await serverCpu?.();
  const result = await row();
  const after = await serverCpu?.();
  if (before === undefined || after === undefined) return result;
  return { ...result, cpuUs: (after - before) / result.ops };
}

/** Redis's own CPU time so far (used_cpu_user + used_cpu_sys of INFO cpu), in µs. */
async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function engineRows(
  label: string,
  n: number,
  pick: (i: number) => SaleEngine,
  baseline: Row,
  serverCpu?: () => Promise<number>,
): Promise<Row[]> {
  const now = Date.now();
  const sale = await pick(0).createSale({
    id: `bench-${randomUUID().slice(0, 8)}`,
    totalStock: n,
    perUserLimit: 1,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 600,
    admission: { perSecond: 1000, maxActive: 100_000, sessionSeconds: 600 },
  });
  const join = await timed(
    () => measure(`${label} join`, n, IN_FLIGHT, (i) => pick(i).join(sale.id, `u${i}`)),
    serverCpu,
  );
  const reserve = await timed(
    () =>
      measure(`${label} reserve`, n, IN_FLIGHT, (i) =>
        pick(i).reserve({ saleId: sale.id, userId: `u${i}`, quantity: 1, idempotencyKey: 'k' }),
      ),
    serverCpu,
  );
  const stats = await pick(0).stats(sale.id);
  if (stats.held !== n) throw new Error(`expected ${n} holds, got ${stats.held}`);
  return [baseline, join, reserve].map((r) => ({ ...r, ratio: r.perSecond / baseline.perSecond }));
}

const rows: Row[] = [];
const memory = new MemoryEngine(systemClock);
// Ten times more again for the empty call, which is ten times faster: it too lasts a few tenths of a second.
const noop = await measure(
  'memory baseline: empty async call',
  MEMORY_N * 10,
  IN_FLIGHT,
  async () => undefined,
);
rows.push(...(await engineRows('memory', MEMORY_N, () => memory, noop)));

const prefix = `bench-${randomUUID().slice(0, 6)}:`;
const connections = Array.from({ length: 8 }, () => new Redis(REDIS_URL, { lazyConnect: true }));
try {
  await Promise.all(connections.map((c) => c.connect()));
  const engines = connections.map((c) => new RedisEngine(c, systemClock, { prefix }));
  const serverCpu = () => redisCpuMicros(connections[0] as Redis);
  const ping = await timed(
    () => measure('redis baseline: PING', N, IN_FLIGHT, (i) => (connections[i % 8] as Redis).ping()),
    serverCpu,
  );
  rows.push(...(await engineRows('redis', N, (i) => engines[i % 8] as SaleEngine, ping, serverCpu)));
  await deleteKeys(connections[0] as Redis, `${prefix}*`);
} catch (error) {
  console.warn(`redis skipped: ${String(error)}`);
} finally {
  for (const c of connections) c.disconnect();
}

printTable(
  `engine throughput (${MEMORY_N} ops in memory, ${N} on Redis, ${IN_FLIGHT} in flight, 8 Redis connections)`,
  rows,
);
await appendResults('engine', rows);
