/**
 * The engine races on a real Redis Cluster of this file's own: 16 cluster clients racing, as 16 API
 * processes would. Every sale's keys live on one master, so a script is as atomic there as on one
 * Redis; this proves it under load, redirections included.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { hasClusterBinaries, type OwnCluster, startOwnCluster } from '../support/ownCluster.ts';
import { describeEngineRaces } from './engineRaces.suite.ts';

describe.skipIf(!hasClusterBinaries())('Redis Cluster', () => {
  let cluster: OwnCluster;
  beforeAll(async () => {
    cluster = await startOwnCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  describeEngineRaces('a real Redis Cluster', () => cluster.connect());
});
