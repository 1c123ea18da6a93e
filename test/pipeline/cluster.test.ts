/**
 * The order pipeline on a Redis Cluster of this file's own (and the shared PostgreSQL): the engine,
 * BullMQ's queues and the clock on the cluster, as `REDIS_CLUSTER_NODES` configures them; and the
 * rate-limit counters two API processes share there.
 */
import { afterAll, describe, it } from 'vitest';
import { expectSharedRateLimits } from '../http/sharedRateLimits.ts';
import { hasClusterBinaries, startOwnCluster } from '../support/ownCluster.ts';
import { hasPostgres } from '../support/services.ts';
import { describePipelineContract } from './pipeline.contract.ts';
import { clusterShape } from './shapes.ts';

const ready = hasClusterBinaries() && (await hasPostgres());
// Started here rather than in a hook: the suite builds its shape from the nodes when it is declared.
const cluster = ready ? await startOwnCluster() : null;
afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(!ready)('production shape on a Redis Cluster', () => {
  // Fewer orders than on one Redis: the same path, and the throughput is measured in bench/.
  describePipelineContract(() => clusterShape(cluster?.nodes ?? ''), { orders: 1000 });

  it('counts rate limits on the cluster: API processes share them', async () => {
    const shape = clusterShape(cluster?.nodes ?? '');
    try {
      await expectSharedRateLimits(shape);
    } finally {
      await shape.cleanup();
    }
  });
});
