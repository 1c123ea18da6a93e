/**
 * In-process job runner for the embedded shape: the semantics of the BullMQ runner (dedup by jobId,
 * exponential retries, concurrency, bounded completed set, kept failures, PermanentJobError, close
 * waiting for handlers in flight) without Redis. Nothing survives the process; the embedded shape
 * relies on hold deadlines to return units if it dies with work queued.
 */
import {
  backoffDelay,
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

export interface MemoryQueueOptions {
  /** Defaults for attempts/backoffMs (tests pass a small backoffMs to keep retries fast). */
  defaults?: JobDefaults;
  /** Completed jobs kept (default JOB_DEFAULTS.keepCompleted); a forgotten job's id can run again. */
  keepCompleted?: KeepCompleted;
  keepFailed?: number;
  /** Clock for the completed-age bound. */
  now?: () => number;
}

interface MemoryJob<T> {
  id: string;
  name: string;
  data: T;
  attempts: number;
  backoffMs: number;
  attemptsMade: number;
  failedReason: string | null;
  state: JobState;
  finishedAt: number;
}

export function createMemoryQueue<T>(name: string, options: MemoryQueueOptions = {}): JobQueue<T> {
  return new MemoryJobQueue<T>(name, options);
}

class MemoryJobQueue<T> implements JobQueue<T> {
  readonly name: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly keepCompleted: KeepCompleted;
  private readonly keepFailed: number;
  private readonly now: () => number;

  private readonly jobs = new Map<string, MemoryJob<T>>();
  private readonly tally: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
  /** FIFO of waiting ids; `head` avoids Array#shift's O(n) on long queues. */
  private waiting: string[] = [];
  private head = 0;
  /** Finished ids, oldest first (Set keeps insertion order), for the retention bounds. */
  private readonly completedIds = new Set<string>();
  private readonly failedIds = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private handler: JobHandler<T> | null = null;
  private concurrency = 1;
  private seq = 0;
  private pumpScheduled = false;
  private closing = false;

  constructor(name: string, options: MemoryQueueOptions) {
    this.name = name;
    this.attempts = options.defaults?.attempts ?? JOB_DEFAULTS.attempts;
    this.backoffMs = options.defaults?.backoffMs ?? JOB_DEFAULTS.backoffMs;
    checkAttempts(this.attempts, this.backoffMs);
    this.keepCompleted = options.keepCompleted ?? JOB_DEFAULTS.keepCompleted;
    this.keepFailed = options.keepFailed ?? JOB_DEFAULTS.keepFailed;
    this.now = options.now ?? Date.now;
  }

  async add(name: string, data: T, options: JobOptions = {}): Promise<string> {
    if (this.closing) throw new Error(`queue ${this.name} is closed`);
    if (options.jobId !== undefined) {
      checkJobId(options.jobId);
      if (this.jobs.has(options.jobId)) return options.jobId;
    }
    const attempts = options.attempts ?? this.attempts;
    const backoffMs = options.backoffMs ?? this.backoffMs;
    checkAttempts(attempts, backoffMs);
    // Integer ids like BullMQ's counter; custom ids can never be integers, so the two cannot collide.
    const id = options.jobId ?? String(++this.seq);
    // BullMQ stores data as JSON; copying through JSON here gives handlers the same values (a Date
    // arrives as a string, undefined fields vanish) and keeps later mutation by the caller out.
    const copy = JSON.parse(JSON.stringify(data ?? null)) as T;
    const job: MemoryJob<T> = {
      id,
      name,
      data: copy,
      attempts,
      backoffMs,
      attemptsMade: 0,
      failedReason: null,
      state: 'waiting',
      finishedAt: 0,
    };
    this.jobs.set(id, job);
    this.tally.waiting++;
    this.waiting.push(id);
    this.schedulePump();
    return id;
  }

  async state(jobId: string): Promise<JobState | null> {
    return this.jobs.get(jobId)?.state ?? null;
  }

  async addBulk(jobs: ReadonlyArray<{ name: string; data: T; options?: JobOptions }>): Promise<string[]> {
    const ids: string[] = [];
    for (const job of jobs) ids.push(await this.add(job.name, job.data, job.options));
    return ids;
  }

  process(handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.closing) throw new Error(`queue ${this.name} is closed`);
    if (this.handler) throw new Error(`queue ${this.name} already has a handler`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
    this.handler = handler;
    this.concurrency = concurrency;
    this.schedulePump();
  }

  async counts(): Promise<JobCounts> {
    return { ...this.tally };
  }

  async failed(limit: number = JOB_DEFAULTS.failedLimit): Promise<JobInfo<T>[]> {
    const ids = [...this.failedIds].reverse().slice(0, limit);
    return ids.map((id) => {
      const job = this.jobs.get(id) as MemoryJob<T>;
      return {
        id: job.id,
        name: job.name,
        data: job.data,
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason,
        state: job.state,
      };
    });
  }

  drained(timeoutMs: number = JOB_DEFAULTS.drainTimeoutMs): Promise<void> {
    return waitUntilDrained(() => this.counts(), timeoutMs, 5);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Pending retries are dropped with the process, as the embedded shape has no persistence; the
    // jobs stay 'delayed' so counts() still shows them.
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private setState(job: MemoryJob<T>, state: JobState): void {
    this.tally[job.state]--;
    this.tally[state]++;
    job.state = state;
  }

  /** Start handlers from a fresh macrotask, so add() and handler completion never re-enter a handler. */
  private schedulePump(): void {
    if (this.pumpScheduled || !this.handler || this.closing) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (!this.handler || this.closing) return;
    while (this.tally.active < this.concurrency && this.head < this.waiting.length) {
      const id = this.waiting[this.head++] as string;
      const job = this.jobs.get(id);
      if (job?.state === 'waiting') this.start(job, this.handler);
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private start(job: MemoryJob<T>, handler: JobHandler<T>): void {
    this.setState(job, 'active');
    // `.finally` always runs asynchronously, so `run` is assigned before it is deleted.
    const run: Promise<void> = this.execute(job, handler).finally(() => {
      this.inFlight.delete(run);
      this.schedulePump();
    });
    this.inFlight.add(run);
  }

  private async execute(job: MemoryJob<T>, handler: JobHandler<T>): Promise<void> {
    try {
      await handler({ id: job.id, name: job.name, data: job.data, attemptsMade: job.attemptsMade });
    } catch (err) {
      this.fail(job, err);
      return;
    }
    this.finish(job, 'completed');
  }

  private fail(job: MemoryJob<T>, err: unknown): void {
    job.attemptsMade++;
    job.failedReason = errorMessage(err);
    if (err instanceof PermanentJobError || job.attemptsMade >= job.attempts) {
      this.finish(job, 'failed');
      return;
    }
    this.setState(job, 'delayed');
    if (this.closing) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.setState(job, 'waiting');
        this.waiting.push(job.id);
        this.schedulePump();
      },
      backoffDelay(job.backoffMs, job.attemptsMade),
    );
    this.timers.add(timer);
  }

  private finish(job: MemoryJob<T>, state: 'completed' | 'failed'): void {
    this.setState(job, state);
    job.finishedAt = this.now();
    if (state === 'completed') {
      this.completedIds.add(job.id);
      const oldest = this.now() - this.keepCompleted.ageMs;
      this.trim(
        this.completedIds,
        (first) => this.completedIds.size > this.keepCompleted.count || first.finishedAt < oldest,
      );
    } else {
      this.failedIds.add(job.id);
      this.trim(this.failedIds, () => this.failedIds.size > this.keepFailed);
    }
  }

  /** Forgets the oldest finished jobs while `over` says so; a forgotten jobId can be added again. */
  private trim(ids: Set<string>, over: (first: MemoryJob<T>) => boolean): void {
    for (const id of ids) {
      const job = this.jobs.get(id) as MemoryJob<T>;
      if (!over(job)) return;
      ids.delete(id);
      this.jobs.delete(id);
      this.tally[job.state]--;
    }
  }
}
