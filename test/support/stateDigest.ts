/**
 * The whole content of a store, reduced to one digest per key, so a test can tell "nothing changed"
 * from "the same number of keys": a field written into an existing hash or sorted set changes its
 * key's digest. For the Redis engine every key under a prefix; for the memory engine its sales.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { PartedEngine } from '../../src/engine/parted/partedEngine.ts';
import type { SaleEngine } from '../../src/engine/types.ts';

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** JSON with Maps and Sets spelled out and object keys sorted, so equal states print the same. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map)
      return { '<Map>': [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)) };
    if (v instanceof Set) return { '<Set>': [...v].sort() };
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

async function contentOf(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return `string ${await redis.get(key)}`;
    case 'hash':
      return `hash ${canonical(await redis.hgetall(key))}`;
    case 'zset':
      return `zset ${JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'))}`;
    case 'set':
      return `set ${JSON.stringify((await redis.smembers(key)).sort())}`;
    case 'list':
      return `list ${JSON.stringify(await redis.lrange(key, 0, -1))}`;
    case 'stream':
      return `stream ${JSON.stringify(await redis.xrange(key, '-', '+'))}`;
    case 'none':
      return 'none';
    default:
      throw new Error(`key ${key} has type ${type}, which this digest does not read`);
  }
}

/** key → digest of its type and content, for every key matching `pattern`, sorted by key. */
export async function redisDigests(
  redis: Redis,
  pattern: string,
  skip: (key: string) => boolean = () => false,
): Promise<Record<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found.filter((k) => !skip(k)));
  } while (cursor !== '0');
  keys.sort();
  const out: Record<string, string> = {};
  for (const key of keys) out[key] = digest(await contentOf(redis, key));
  return out;
}

/**
 * The memory engine's whole state (every sale with its shoppers, holds and idempotency keys) as one
 * digest. It reads a private field: a test of "nothing changed" needs all of it, not the public reads.
 */
export function memoryEngineDigest(engine: SaleEngine): string {
  // The shapes put a PartedEngine over the memory engine: the state is the memory engine's.
  const memory = engine instanceof PartedEngine ? engine.inner : engine;
  if (!(memory instanceof MemoryEngine)) throw new Error('not a MemoryEngine');
  const { sales } = memory as unknown as { sales: Map<string, unknown> };
  if (!(sales instanceof Map)) throw new Error('MemoryEngine no longer keeps its sales in `sales`');
  return digest(canonical(sales));
}

/** The keys whose digests differ between two readings (added, removed or changed). */
export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}
