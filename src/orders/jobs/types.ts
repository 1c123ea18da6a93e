/**
 * One job-queue abstraction with two runners: BullMQ on Redis (production) and an in-process runner
 * (embedded). Both pass test/jobs/jobQueue.contract.ts, so code written against JobQueue behaves the
 * same in either shape. Delivery is at least once: a handler can run again after a crash (BullMQ
 * stalled-job recovery), so handlers must be idempotent (order jobs are keyed by hold id).
 */

export interface JobOptions {
  /** Dedup key: while a job with this id is kept (waiting, active, failed, or among the kept completed), adding it again adds nothing. */
  jobId?: string;
  /** Total tries, the first included. */
  attempts?: number;
  /** Base of exponential backoff: retry n (1-based) waits backoffMs * 2^(n-1). */
  backoffMs?: number;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobInfo<T> {
  id: string;
  name: string;
  data: T;
  /** Finished attempts that failed (a job that completed on the first try has 0). */
  attemptsMade: number;
  /** Message of the last error, or null if the job never failed. */
  failedReason: string | null;
  state: JobState;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

/** `attemptsMade` is 0 on the first run, 1 on the first retry, and so on. */
export type JobHandler<T> = (job: {
  id: string;
  name: string;
  data: T;
  attemptsMade: number;
}) => Promise<void>;

export interface JobQueue<T> {
  readonly name: string;
  /** Enqueues a job and returns its id. The same jobId twice adds no second job and returns the id. */
  add(name: string, data: T, options?: JobOptions): Promise<string>;
  /**
   * Enqueues several jobs in one round trip (BullMQ: one MULTI), same rules as `add` for each; the
   * ids come back in the same order.
   */
  addBulk(jobs: ReadonlyArray<{ name: string; data: T; options?: JobOptions }>): Promise<string[]>;
  /** Starts consuming with this handler. Call at most once per queue object. */
  process(handler: JobHandler<T>, options?: { concurrency?: number }): void;
  counts(): Promise<JobCounts>;
  /** The state of the job with this id, or null when no such job is kept (never added, or trimmed). */
  state(jobId: string): Promise<JobState | null>;
  /** Failed jobs, newest first (default limit 100). They are kept for inspection. */
  failed(limit?: number): Promise<JobInfo<T>[]>;
  /** Resolves once nothing is waiting, delayed or active; rejects after timeoutMs (default 30 s). */
  drained(timeoutMs?: number): Promise<void>;
  /** Stops taking jobs and resolves once the handlers in flight have finished. */
  close(): Promise<void>;
}

/** Thrown by a handler to fail the job at once, whatever attempts are left (retrying cannot help). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** How many completed jobs a queue keeps, and for how long (whichever bound is reached first). */
export interface KeepCompleted {
  count: number;
  ageMs: number;
}

/** Queue-wide defaults for the job options a caller leaves out. */
export interface JobDefaults {
  attempts?: number;
  backoffMs?: number;
}

export const JOB_DEFAULTS = {
  attempts: 5,
  backoffMs: 200,
  /** Completed jobs kept (they are what makes a repeated jobId a no-op): the last 1000, at most 24 h. */
  keepCompleted: { count: 1000, ageMs: 24 * 60 * 60 * 1000 },
  /** Failed jobs kept for inspection. */
  keepFailed: 10_000,
  failedLimit: 100,
  drainTimeoutMs: 30_000,
} as const;

/** Delay before retry number `retry` (1 = the first retry), the same formula BullMQ's 'exponential' uses. */
export function backoffDelay(baseMs: number, retry: number): number {
  return Math.round(2 ** (retry - 1) * baseMs);
}

/**
 * BullMQ refuses custom ids that look like integers (they would collide with its own counter ids) or
 * contain ':' (its key separator). Both runners check the same rule so the embedded shape cannot
 * accept an id that production would reject.
 */
export function checkJobId(jobId: string): void {
  if (jobId === '' || `${Number.parseInt(jobId, 10)}` === jobId || jobId.includes(':')) {
    throw new TypeError(
      `Invalid jobId ${JSON.stringify(jobId)}: it must be non-empty, not an integer, without ':'`,
    );
  }
}

export function checkAttempts(attempts: number, backoffMs: number): void {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts must be an integer >= 1');
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new RangeError('backoffMs must be a number >= 0');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Polls counts until nothing is waiting, delayed or active. Shared by both runners. */
export async function waitUntilDrained(
  counts: () => Promise<JobCounts>,
  timeoutMs: number,
  pollMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await counts();
    if (c.waiting + c.delayed + c.active === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`queue not drained after ${timeoutMs} ms: ${JSON.stringify(c)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
