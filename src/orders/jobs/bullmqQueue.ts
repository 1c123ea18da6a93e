/**
 * JobQueue on BullMQ (production shape). The Queue (producer, inspection) and the Worker (consumer)
 * hold separate Redis connections: the Worker blocks on Redis waiting for jobs, and must wait out a
 * Redis outage rather than fail (maxRetriesPerRequest null), while the producer should fail fast so
 * an HTTP checkout can answer 503 instead of hanging (enableOfflineQueue false).
 *
 * Crash recovery: a Worker holds a lock per active job for lockDuration and renews it every
 * lockDuration / 2. If its process dies, the lock expires; every Worker's stalled checker runs each
 * stalledInterval and, in two passes (mark active jobs, then move those still unlocked), puts the job
 * back in wait for another worker. So a job of a dead worker runs again within roughly
 * lockDuration + 2 * stalledInterval. A job that stalls more than maxStalledCount times is failed
 * ("job stalled more than allowable limit"). A re-run after a stall does not count as an attempt.
 *
 * The producer calls (add, counts, failed) rethrow a lost Redis connection as UNAVAILABLE, with the
 * ioredis error as its cause, as the Redis engine does (src/failures/redis.ts).
 *
 * `add` is a group commit (src/domain/coalesce.ts): the adds of concurrent checkouts go to Redis as
 * one `addBulk` (one MULTI/EXEC round trip) while the previous batch is on its way; each caller's
 * promise settles when its own job is stored, so a 202 still means the job is in Redis.
 */
import { type JobsOptions, Queue, type RedisOptions, UnrecoverableError, Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import { coalesce } from '../../domain/coalesce.ts';
import { onRedis } from '../../failures/redis.ts';
import {
  checkAttempts,
  checkJobId,
  errorMessage,
  JOB_DEFAULTS,
  type JobCounts,
  type JobDefaults,
  type JobHandler,
  type JobInfo,
  type JobOptions,
  type JobQueue,
  type JobState,
  type KeepCompleted,
  PermanentJobError,
  waitUntilDrained,
} from './types.ts';

/**
 * Opens a Redis Cluster client whose nodes' connections get `nodeOptions`. BullMQ opens connections
 * itself only from options naming one server; on a cluster it is handed clients, which this queue
 * then owns and closes.
 */
export type ClusterFactory = (nodeOptions: RedisOptions) => Cluster;

export interface BullQueueOptions {
  /**
   * A redis:// URL or ioredis options (each Queue and Worker opens its own connections from them), or
   * a factory of Redis Cluster clients.
   */
  connection: string | RedisOptions | { cluster: ClusterFactory };
  /**
   * Key prefix: keys are `<prefix>:<queue>:…`. The default is hash-tagged so every key of every queue
   * lands in one Redis Cluster slot, as BullMQ's Lua scripts require on a Cluster.
   */
  prefix?: string;
  defaults?: JobDefaults;
  /** Completed jobs kept (default JOB_DEFAULTS.keepCompleted); a forgotten job's id can run again. */
  keepCompleted?: KeepCompleted;
  /** How long a worker's lock on an active job lasts without renewal (15 s here; BullMQ's default 30 s). */
  lockDurationMs?: number;
  /** How often each worker looks for jobs whose lock expired (10 s here; BullMQ's default 30 s). */
  stalledIntervalMs?: number;
  /** Stalls tolerated before the job is failed instead of re-run (BullMQ default 1). */
  maxStalledCount?: number;
  /**
   * Longest a producer command (add, counts, failed) may wait for Redis; beyond it the call fails as
   * UNAVAILABLE. The worker's connections get none: they block on Redis by design.
   */
  commandTimeoutMs?: number;
  /** Connection and worker errors; BullMQ reconnects by itself, so these are for logs. */
  onError?: (err: Error) => void;
}

export const DEFAULT_PREFIX = '{flashsale}';

/**
 * A dead worker's jobs run again within about lockDuration + 2 × stalledInterval: 35 s with these,
 * 90 s with BullMQ's defaults (30 s each), too slow for orders whose buyers wait on the page. A live
 * worker renews its locks every 7.5 s; only an event loop blocked for 15 s would lose one, and a job
 * run twice repeats nothing (group commit, one charge per hold).
 */
const LOCK_DURATION_MS = 15_000;
const STALLED_INTERVAL_MS = 10_000;

/** Most jobs in one addBulk: bounds one MULTI's size and the time Redis spends on it. */
const ADD_BATCH = 256;

export function createBullQueue<T>(name: string, options: BullQueueOptions): JobQueue<T> {
  return new BullJobQueue<T>(name, options);
}

/** A job as BullMQ's addBulk takes it, options already checked and translated. */
type BullJob<T> = { name: string; data: T; opts: JobsOptions };

/** BullMQ's typings infer job names and data from the generic; this runner only needs strings and T. */
type AnyQueue = Queue<unknown, unknown, string>;

class BullJobQueue<T> implements JobQueue<T> {
  readonly name: string;
  private readonly options: BullQueueOptions;
  private readonly connection: RedisOptions;
  private readonly cluster: ClusterFactory | null;
  /** The cluster clients this queue opened for BullMQ, quit on close (BullMQ leaves them open). */
  private readonly clusterClients: Cluster[] = [];
  private readonly prefix: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly onError: (err: Error) => void;
  private readonly queue: AnyQueue;
  private worker: Worker | null = null;
  private closing: Promise<void> | null = null;
  /** Adds gathered into one addBulk per round trip (see the header). */
  private readonly addInBatch = coalesce((bulk: BullJob<T>[]) => this.store(bulk), ADD_BATCH);

  constructor(name: string, options: BullQueueOptions) {
    this.name = name;
    this.options = options;
    const { connection } = options;
    this.cluster = typeof connection === 'object' && 'cluster' in connection ? connection.cluster : null;
    this.connection =
      typeof connection === 'string'
        ? { url: connection }
        : 'cluster' in connection
          ? {}
          : { ...(connection as RedisOptions) };
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.attempts = options.defaults?.attempts ?? JOB_DEFAULTS.attempts;
    this.backoffMs = options.defaults?.backoffMs ?? JOB_DEFAULTS.backoffMs;
    checkAttempts(this.attempts, this.backoffMs);
    const keepCompleted = options.keepCompleted ?? JOB_DEFAULTS.keepCompleted;
    this.onError = options.onError ?? ((err) => console.error(`[jobs:${name}]`, err));
    this.queue = new Queue(name, {
      connection: this.connectionFor({
        enableOfflineQueue: false,
        ...(options.commandTimeoutMs === undefined
          ? {}
          : { commandTimeout: options.commandTimeoutMs, connectTimeout: options.commandTimeoutMs }),
        ...this.connection,
      }),
      prefix: this.prefix,
      defaultJobOptions: {
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: this.backoffMs },
        // BullMQ's age is in seconds. Completed jobs are trimmed when later jobs complete.
        removeOnComplete: { count: keepCompleted.count, age: keepCompleted.ageMs / 1000 },
        removeOnFail: { count: JOB_DEFAULTS.keepFailed },
      },
    });
    // An EventEmitter 'error' without a listener would crash the process on a Redis hiccup.
    this.queue.on('error', (err) => this.onError(err));
  }

  /** The options themselves, or on a cluster a client opened with them (closed with the queue). */
  private connectionFor(options: RedisOptions): RedisOptions | Cluster {
    if (this.cluster === null) return options;
    const client = this.cluster(options);
    this.clusterClients.push(client);
    return client;
  }

  async add(name: string, data: T, options: JobOptions = {}): Promise<string> {
    // With a jobId already present, BullMQ adds nothing and returns that id. Options are checked
    // here, so a bad one fails its own caller rather than the batch it would have joined.
    return this.addInBatch({ name, data, opts: this.jobsOptions(options) });
  }

  async addBulk(jobs: ReadonlyArray<{ name: string; data: T; options?: JobOptions }>): Promise<string[]> {
    if (jobs.length === 0) return [];
    return this.store(
      jobs.map((job) => ({ name: job.name, data: job.data, opts: this.jobsOptions(job.options) })),
    );
  }

  /** One addBulk (MULTI/EXEC) of jobs whose options are already checked; their ids, in order. */
  private async store(bulk: BullJob<T>[]): Promise<string[]> {
    const added = await onRedis(() => this.queue.addBulk(bulk));
    return added.map((job) => job.id as string);
  }

  private jobsOptions(options: JobOptions = {}): JobsOptions {
    const opts: JobsOptions = {};
    if (options.jobId !== undefined) {
      checkJobId(options.jobId);
      opts.jobId = options.jobId;
    }
    if (options.attempts !== undefined || options.backoffMs !== undefined) {
      const attempts = options.attempts ?? this.attempts;
      const backoffMs = options.backoffMs ?? this.backoffMs;
      checkAttempts(attempts, backoffMs);
      opts.attempts = attempts;
      opts.backoff = { type: 'exponential', delay: backoffMs };
    }
    return opts;
  }

  process(handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.closing) throw new Error(`queue ${this.name} is closed`);
    if (this.worker) throw new Error(`queue ${this.name} already has a handler`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
    this.worker = new Worker(
      this.name,
      async (job) => {
        try {
          await handler({
            id: job.id as string,
            name: job.name,
            data: job.data as T,
            attemptsMade: job.attemptsMade,
          });
        } catch (err) {
          throw toBullError(err);
        }
      },
      {
        // BullMQ would force this for a blocking connection anyway (and requires it of a client).
        connection: this.connectionFor({ ...this.connection, maxRetriesPerRequest: null }),
        prefix: this.prefix,
        concurrency,
        lockDuration: this.options.lockDurationMs ?? LOCK_DURATION_MS,
        stalledInterval: this.options.stalledIntervalMs ?? STALLED_INTERVAL_MS,
        maxStalledCount: this.options.maxStalledCount ?? 1,
      },
    );
    this.worker.on('error', (err) => this.onError(err));
  }

  async counts(): Promise<JobCounts> {
    const c = await onRedis(() =>
      this.queue.getJobCounts(
        'waiting',
        'paused',
        'prioritized',
        'waiting-children',
        'delayed',
        'active',
        'completed',
        'failed',
      ),
    );
    const n = (key: string) => c[key] ?? 0;
    return {
      // Paused, prioritized and waiting-children jobs are all "not yet started" to this abstraction.
      waiting: n('waiting') + n('paused') + n('prioritized') + n('waiting-children'),
      delayed: n('delayed'),
      active: n('active'),
      completed: n('completed'),
      failed: n('failed'),
    };
  }

  async state(jobId: string): Promise<JobState | null> {
    const state = await onRedis(() => this.queue.getJobState(jobId));
    switch (state) {
      case 'unknown':
        return null;
      case 'completed':
      case 'failed':
      case 'active':
      case 'delayed':
        return state;
      default:
        // waiting, paused, prioritized, waiting-children: not yet started.
        return 'waiting';
    }
  }

  async failed(limit: number = JOB_DEFAULTS.failedLimit): Promise<JobInfo<T>[]> {
    if (limit <= 0) return [];
    const jobs = await onRedis(() => this.queue.getFailed(0, limit - 1));
    return jobs.map((job) => ({
      id: job.id as string,
      name: job.name,
      data: job.data as T,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || null,
      state: 'failed' as const,
    }));
  }

  drained(timeoutMs: number = JOB_DEFAULTS.drainTimeoutMs): Promise<void> {
    return waitUntilDrained(() => this.counts(), timeoutMs, 25);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Worker.close() (not forced) waits for the active handlers, then releases its connections.
      await this.worker?.close();
      await this.queue.close();
      await Promise.all(this.clusterClients.map((c) => c.quit().catch(() => c.disconnect())));
    })();
    return this.closing;
  }
}

/**
 * BullMQ skips retries only for its own UnrecoverableError, and needs Error instances to record a
 * failedReason, so handler errors are translated at this one boundary.
 */
function toBullError(err: unknown): Error {
  if (err instanceof PermanentJobError) {
    const unrecoverable = new UnrecoverableError(err.message);
    unrecoverable.stack = err.stack ?? unrecoverable.stack;
    return unrecoverable;
  }
  return err instanceof Error ? err : new Error(errorMessage(err));
}
