/**
 * `flashsale serve` (two) and `flashsale worker` on a Redis Cluster of this file's own, selling out a
 * sale over HTTP while the master holding the sale's keys is killed with SIGKILL: its replica takes
 * the slots over, the processes carry on without a restart, and every unit is still sold exactly
 * once, within every buyer's limit, with `flashsale audit` exiting 0.
 */
import { afterAll, describe, expect } from 'vitest';
import { partSaleId, slotOfSale } from '../../src/domain/parts.ts';
import { clusterShape } from '../pipeline/shapes.ts';
import { hasClusterBinaries, type OwnCluster, startOwnCluster } from '../support/ownCluster.ts';
import { hasPostgres } from '../support/services.ts';
import { describeSellout } from './sellout.suite.ts';

const ready = hasClusterBinaries() && (await hasPostgres());
// Started here rather than in a hook: the suite builds its shape from the nodes when it is declared.
const cluster = ready ? await startOwnCluster() : null;
/** The slot of the suite's sale, found before the sale so that the kill is not delayed by it. */
const saleSlot = async (saleId: string) => {
  const node = (cluster as OwnCluster).node((cluster as OwnCluster).ports[0] as number);
  try {
    return Number(await node.cluster('KEYSLOT', `{sale:${saleId}}`));
  } finally {
    node.disconnect();
  }
};
const slot = ready ? await saleSlot('sellout') : 0;
/** The split sale's part 1 (another master than part 0's): its master is the one killed. */
const partSlot = slotOfSale(partSaleId('sellout-parts', 1, 3));
/** The split sale gets a cluster of its own: after the first kill, one master has no replica left. */
const splitCluster = ready ? await startOwnCluster() : null;
afterAll(async () => {
  await cluster?.stop();
  await splitCluster?.stop();
});

describe.skipIf(!ready)('production shape on a Redis Cluster', () => {
  describeSellout(
    "two APIs and a worker sell out a sale while the sale's master is killed",
    () => clusterShape(cluster?.nodes ?? ''),
    {
      midSale: async (saleId) => {
        if (cluster === null) return;
        expect(saleId).toBe('sellout');
        const started = performance.now();
        const { killed, promoted } = await cluster.killMasterOf(slot);
        const ms = Math.round(performance.now() - started);
        console.log(
          `killed the master of slot ${slot} (port ${killed}); port ${promoted} took over in ${ms} ms`,
        );
        expect(promoted).not.toBe(killed);
      },
    },
  );
  describeSellout(
    'a sale split over the three masters sells out while the master of one of its parts is killed',
    () => clusterShape(splitCluster?.nodes ?? ''),
    {
      saleId: 'sellout-parts',
      parts: 3,
      midSale: async () => {
        if (splitCluster === null) return;
        const { killed, promoted } = await splitCluster.killMasterOf(partSlot);
        console.log(`split sale: killed the master of part 1 (port ${killed}); port ${promoted} took over`);
        expect(promoted).not.toBe(killed);
      },
    },
  );
});
