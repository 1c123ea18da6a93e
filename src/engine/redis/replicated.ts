import { Cluster, type Redis } from 'ioredis';
import { slotOfSale } from '../../domain/parts.ts';
import { onRedis } from '../../failures/redis.ts';

/**
 * Waits until a replica has a sale's last writes (Redis `WAIT`), for the steps of a move between
 * the parts of a split sale: the other part acts on a step as soon as it returns, so a failover
 * that lost the step afterwards would lose units (or count them twice) across two masters. Bounded
 * by `timeoutMs`: a replica that lags longer leaves the step as safe as any acknowledged write.
 * A single Redis without replicas is asked once and then not waited on.
 */
export class ReplicaWait {
  /** Replicas of a single Redis (INFO replication), read on first use; null before. */
  private singleReplicas: Promise<number> | null = null;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly timeoutMs = 200,
  ) {}

  /** Answers how many replicas acknowledged the writes, or null when there was none to wait for. */
  async forSale(saleId: string): Promise<number | null> {
    const node = this.redis instanceof Cluster ? masterOf(this.redis, slotOfSale(saleId)) : this.redis;
    if (node === null) return null;
    if (!(this.redis instanceof Cluster)) {
      this.singleReplicas ??= onRedis(() => this.redis.info('replication')).then(
        (info) => Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0),
        (error: unknown) => {
          this.singleReplicas = null; // asked again next time
          throw error;
        },
      );
      if ((await this.singleReplicas) === 0) return null;
    }
    // WAIT counts the writes this connection sent before it: the cluster client's own connection
    // to the part's master, or the one connection to a single Redis.
    return Number(await onRedis(() => node.call('WAIT', 1, this.timeoutMs)));
  }
}

/** The cluster client's connection to the master serving `slot`, as its slot map says. */
function masterOf(cluster: Cluster, slot: number): Redis | null {
  const key = cluster.slots[slot]?.[0];
  if (key === undefined) return null;
  return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key) ?? null;
}
