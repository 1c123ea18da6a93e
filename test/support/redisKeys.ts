import { once } from 'node:events';
import { Cluster, type Redis } from 'ioredis';

/**
 * Deletes every key matching a glob (SCAN is for tests and benches only; the engine never scans). On
 * a cluster, each live master is scanned for the keys it holds, and they are deleted one by one: one DEL
 * may not name keys of different slots.
 */
export async function deleteKeys(redis: Redis | Cluster, pattern: string): Promise<void> {
  // Until a new cluster client has read the slot map, its masters are the seed nodes, dead ones too.
  if (redis instanceof Cluster && redis.status !== 'ready') await once(redis, 'ready');
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      if (redis instanceof Cluster) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.del(key);
        await pipeline.exec();
      } else {
        await node.del(...keys);
      }
    } while (cursor !== '0');
  }
}
