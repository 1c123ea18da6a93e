import { type Cluster, Redis } from 'ioredis';
import { onRedis } from '../../failures/redis.ts';
import type { Clock } from '../types.ts';

export interface RedisClockOptions {
  /** How often the offset to Redis's clock is measured again (default 1 s). */
  resyncMs?: number;
  /** Round trips per measurement; the fastest one is kept (default 3). */
  samples?: number;
  /** Told when resyncs start failing (once per run of failures); the last offset stays in use. */
  onSyncError?: (error: unknown) => void;
}

export interface ClockSync {
  /** Redis time minus the process clock, in ms. */
  offsetMs: number;
  /** The round trip of the sample kept: the offset is right within half of it. */
  roundTripMs: number;
}

/**
 * One clock for every process that shares a Redis: the Redis server's (`TIME`). Each process measures
 * the offset between its own clock and Redis's (the fastest of a few round trips, halved) and adds it
 * to its own clock, measuring again every second. Every "now" the engine passes to its scripts —
 * admission rate, session windows, hold deadlines, sweeps — is then Redis's time within half a round
 * trip plus a second's drift, whatever the process clocks say: two processes whose clocks differ by
 * seconds admit at the configured rate and expire a hold at its deadline. (The scripts could call
 * `TIME` themselves; the offset keeps them deterministic for the differential and property tests,
 * which drive both engines with one fake clock.)
 *
 * On a Redis Cluster every process reads the clock of the same node, the master serving slot 0 (a
 * keyless command would go to any node, and nodes' clocks differ by their NTP error); after a
 * failover that is the promoted replica, whose clock takes over.
 *
 * `now()` never runs backwards, even when a resync or the process clock would move it back: it then
 * holds still until the clock catches up.
 */
export class RedisClock implements Clock {
  private offsetMs = 0;
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private readonly resyncMs: number;
  private readonly samples: number;

  private constructor(
    private readonly redis: Redis | Cluster,
    private readonly processClock: Clock,
    private readonly options: RedisClockOptions,
  ) {
    this.resyncMs = options.resyncMs ?? 1000;
    this.samples = options.samples ?? 3;
  }

  /** Measures the offset once (so `now()` is right from the first call), then keeps it fresh. */
  static async start(
    redis: Redis | Cluster,
    processClock: Clock,
    options: RedisClockOptions = {},
  ): Promise<RedisClock> {
    const clock = new RedisClock(redis, processClock, options);
    await clock.sync();
    clock.timer = setInterval(() => {
      clock.sync().then(
        () => {
          clock.failing = false;
        },
        (error) => {
          if (!clock.failing) clock.options.onSyncError?.(error);
          clock.failing = true;
        },
      );
    }, clock.resyncMs);
    clock.timer.unref();
    return clock;
  }

  now(): number {
    const t = Math.floor(this.processClock.now() + this.offsetMs);
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Measures the offset now and starts using it. */
  async sync(): Promise<ClockSync> {
    let best: ClockSync | null = null;
    for (let i = 0; i < this.samples; i++) {
      const before = this.processClock.now();
      const [seconds, micros] = await onRedis(() => timeSource(this.redis).time());
      const after = this.processClock.now();
      const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
      const sample = { offsetMs: redisMs - (before + after) / 2, roundTripMs: after - before };
      if (best === null || sample.roundTripMs < best.roundTripMs) best = sample;
    }
    this.offsetMs = (best as ClockSync).offsetMs;
    return best as ClockSync;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The one node whose TIME every process reads: the server itself, or a cluster's slot-0 master. */
function timeSource(redis: Redis | Cluster): Redis | Cluster {
  if (redis instanceof Redis) return redis;
  const master = redis.slots[0]?.[0];
  const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
  // Slots not known yet (or being re-read): any node answers, for this one sample.
  return node ?? redis;
}
