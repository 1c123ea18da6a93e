import type { Cluster, Redis } from 'ioredis';
import { onRedis } from '../../failures/redis.ts';
import { holdIdOfMember, type SaleKeys } from './keys.ts';

/**
 * Every key of a sale, in batches, for expiring or purging it: each hold's first (hold ids are read
 * from the idempotency hash and the deadlines set with HSCAN/ZSCAN, never in one blocking call),
 * then the fixed keys, the meta hash last. Hold keys come before the hashes that name them, so an
 * interrupted purge can run again.
 */
export async function forEachSaleKeyBatch(
  redis: Redis | Cluster,
  k: SaleKeys,
  fn: (keys: string[]) => Promise<unknown>,
): Promise<void> {
  const holdKeys = async (
    key: string,
    scan: 'hscan' | 'zscan',
    holdIdOf: (field: string, value: string) => string,
  ) => {
    let cursor = '0';
    do {
      const [next, flat] = await onRedis(() => redis[scan](key, cursor, 'COUNT', 500));
      cursor = next;
      const batch: string[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2)
        batch.push(k.hold(holdIdOf(flat[i] as string, flat[i + 1] as string)));
      if (batch.length > 0) await fn(batch);
    } while (cursor !== '0');
  };
  await holdKeys(k.idem, 'hscan', (_field, holdId) => holdId);
  await holdKeys(k.deadlines, 'zscan', (member) => holdIdOfMember(member));
  const fixed = [k.tickets, k.units, k.leases, k.departed, k.spent, k.idem, k.deadlines, k.windows];
  await fn([...fixed, k.moves, k.movedIn, k.meta]);
}
