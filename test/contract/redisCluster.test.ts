/**
 * The engine contract on a real Redis Cluster (three masters, three replicas, started by this file):
 * every script runs on a cluster node, which refuses a script whose keys are not all in one slot
 * (CROSSSLOT) or that touches a key it was not given. The same suites as redis.test.ts, with a
 * factory on the cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partSaleId, slotOfSale } from '../../src/domain/parts.ts';
import { PartedEngine } from '../../src/engine/parted/partedEngine.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import { ReplicaWait } from '../../src/engine/redis/replicated.ts';
import type { Clock } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { hasClusterBinaries, type OwnCluster, startOwnCluster } from '../support/ownCluster.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { describeEngineContract } from './engine.contract.ts';
import { describeEngineDeparturesContract } from './engine.departures.contract.ts';
import { describeEnginePartsContract } from './engine.parts.contract.ts';
import { describeEngineProperties } from './engine.property.ts';
import { describeEngineRestoreContract } from './engine.restore.contract.ts';
import type { EngineFactory } from './engineFactory.ts';

describe.skipIf(!hasClusterBinaries())('redis cluster engine', () => {
  let cluster: OwnCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startOwnCluster();
    client = cluster.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  /** Each call: its own key prefix on the file's cluster client, deleted afterwards. */
  const factory: EngineFactory = async (clock: Clock, options = {}) => {
    const prefix = `fst:${randomUUID().slice(0, 8)}:`;
    return {
      engine: new RedisEngine(client, clock, { ...options, prefix }),
      cleanup: () => deleteKeys(client, `${prefix}*`),
    };
  };

  describeEngineContract('redis cluster', factory);
  describeEngineDeparturesContract('redis cluster', factory);
  // Fewer sequences than on one Redis: the model comparison is the same; this run is for slots.
  describeEngineProperties('redis cluster', factory, 100);
  describeEngineRestoreContract('redis cluster', factory);
  describeEnginePartsContract('redis cluster', factory);
  for (const parts of [1, 3, 8]) describeEngineProperties('redis cluster', factory, 100, parts);

  describe('cluster specifics', () => {
    it("keeps every key of a sale on the master of its hash tag's slot, and spreads sales over masters", async () => {
      const clock = new TestClock(Date.now());
      const prefix = `fst:${randomUUID().slice(0, 8)}:`;
      const engine = new RedisEngine(client, clock, { prefix });
      expect(engine.location).toBe(`redis-cluster ${prefix}`);
      const slotOwners = new Set<number>();
      for (let s = 0; s < 12; s++) {
        const sale = await engine.createSale({
          id: `spread-${s}`,
          totalStock: 5,
          perUserLimit: 2,
          startsAt: clock.now(),
          endsAt: clock.now() + 3_600_000,
          holdSeconds: 60,
        });
        await engine.join(sale.id, 'u1');
        await engine.admit(sale.id);
        const hold = await engine.reserve({
          saleId: sale.id,
          userId: 'u1',
          quantity: 1,
          idempotencyKey: 'k',
        });
        await engine.confirm(sale.id, hold.id);
        const slot = Number(await client.cluster('KEYSLOT', `{sale:${sale.id}}`));
        const owner = await cluster.masterOf(slot);
        slotOwners.add(owner);
        const direct = cluster.node(owner);
        try {
          const keys = await direct.keys(`${prefix}{sale:${sale.id}}:*`);
          // The sale's hashes and sets and its hold, all on that master.
          const base = `${prefix}{sale:${sale.id}}`;
          expect(keys).toEqual(
            expect.arrayContaining([`${base}:meta`, `${base}:units`, `${base}:hold:${hold.id}`]),
          );
          expect(keys.length).toBeGreaterThanOrEqual(6);
          for (const key of keys) expect(Number(await direct.cluster('KEYSLOT', key))).toBe(slot);
        } finally {
          direct.disconnect();
        }
      }
      expect(slotOwners.size).toBeGreaterThan(1);
      await engine.incarnation(null);
      expect(await engine.peekIncarnation()).not.toBeNull();
      await deleteKeys(client, `${prefix}*`);
    });

    it('puts the three parts of a split sale on the three masters, each part with its own hash tag', async () => {
      const clock = new TestClock(Date.now());
      const prefix = `fst:${randomUUID().slice(0, 8)}:`;
      const engine = new PartedEngine(new RedisEngine(client, clock, { prefix }), clock);
      for (const id of ['hot-a', 'hot-b', 'hot-c', 'hot-d']) {
        await engine.createSale({
          id,
          totalStock: 30,
          perUserLimit: 1,
          startsAt: clock.now(),
          endsAt: clock.now() + 3_600_000,
          holdSeconds: 60,
          parts: 3,
        });
        const owners = new Set<number>();
        for (let part = 0; part < 3; part++) {
          const partId = partSaleId(id, part, 3);
          const slot = Number(await client.cluster('KEYSLOT', `${prefix}{sale:${partId}}:meta`));
          // The slot domain/parts.ts computes is the one Redis hashes the key to.
          expect(slot).toBe(slotOfSale(partId));
          owners.add(await cluster.masterOf(slot));
        }
        expect(owners.size).toBe(3);
        // A move's steps wait until the part's replica has them (its master has one replica).
        for (let part = 0; part < 3; part++)
          expect(await new ReplicaWait(client).forSale(partSaleId(id, part, 3))).toBe(1);
      }
      await deleteKeys(client, `${prefix}*`);
    });
  });
});
