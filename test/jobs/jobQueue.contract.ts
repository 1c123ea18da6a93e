/**
 * The JobQueue contract, run by every runner's test file (memory.test.ts, bullmq.test.ts) so the two
 * cannot drift. No assertion depends on timing: concurrency is measured, not timed, and waits end on
 * events or on drained().
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type JobDefaults,
  type JobQueue,
  type KeepCompleted,
  PermanentJobError,
} from '../../src/orders/jobs/types.ts';

/**
 * Builds a fresh, isolated queue (own name / key prefix), keeping `keepCompleted` completed jobs when
 * given. The suite closes it after each test.
 */
export type MakeQueue = <T>(
  defaults: JobDefaults,
  keepCompleted?: KeepCompleted,
) => JobQueue<T> | Promise<JobQueue<T>>;

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function describeJobQueueContract(name: string, makeQueue: MakeQueue): void {
  describe(`JobQueue contract: ${name}`, () => {
    const open: JobQueue<unknown>[] = [];

    // Small backoff keeps retry tests fast; the production default (200 ms base) is not needed here.
    async function make<T>(defaults: JobDefaults = {}, keepCompleted?: KeepCompleted): Promise<JobQueue<T>> {
      const queue = await makeQueue<T>({ backoffMs: 5, ...defaults }, keepCompleted);
      open.push(queue as JobQueue<unknown>);
      return queue;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((queue) => queue.close()));
    });

    it('gives the handler the job id, name and data, and completes it', async () => {
      const queue = await make<{ holdId: string; amount: number }>();
      const seen: unknown[] = [];
      queue.process(async (job) => {
        seen.push(job);
      });
      const id = await queue.add('order', { holdId: 'h-1', amount: 3 });
      await queue.drained();
      expect(seen).toEqual([{ id, name: 'order', data: { holdId: 'h-1', amount: 3 }, attemptsMade: 0 }]);
      expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, failed: 0 });
    });

    it('adds one job per jobId, also after it completed', async () => {
      const queue = await make<{ n: number }>();
      const first = await queue.add('order', { n: 1 }, { jobId: 'hold-abc' });
      const second = await queue.add('order', { n: 2 }, { jobId: 'hold-abc' });
      expect([first, second]).toEqual(['hold-abc', 'hold-abc']);
      expect((await queue.counts()).waiting).toBe(1);

      const handled: number[] = [];
      queue.process(async (job) => {
        handled.push(job.data.n);
      });
      await queue.drained();
      expect(await queue.add('order', { n: 3 }, { jobId: 'hold-abc' })).toBe('hold-abc');
      await queue.drained();
      expect(handled).toEqual([1]);
      expect((await queue.counts()).completed).toBe(1);
    });

    it('forgets the oldest completed jobs beyond keepCompleted, so their jobId runs again', async () => {
      const queue = await make<null>({}, { count: 2, ageMs: 60_000 });
      const handled: string[] = [];
      queue.process(async (job) => {
        handled.push(job.id);
      });
      // One at a time, so which completed jobs are the oldest does not depend on timing.
      for (const id of ['a-1', 'a-2', 'a-3']) {
        await queue.add('order', null, { jobId: id });
        await queue.drained();
      }
      expect((await queue.counts()).completed).toBe(2);
      expect(await queue.state('a-1')).toBeNull();
      await queue.add('order', null, { jobId: 'a-1' }); // forgotten: a new job
      await queue.add('order', null, { jobId: 'a-3' }); // still kept: no new job
      await queue.drained();
      expect(handled).toEqual(['a-1', 'a-2', 'a-3', 'a-1']);
    });

    it('adds jobs in bulk, one per jobId, ids in order', async () => {
      const queue = await make<{ n: number }>();
      await queue.add('mail', { n: 0 }, { jobId: 'mail-b' });
      const ids = await queue.addBulk([
        { name: 'mail', data: { n: 1 }, options: { jobId: 'mail-a' } },
        { name: 'mail', data: { n: 2 }, options: { jobId: 'mail-b' } },
        { name: 'mail', data: { n: 3 }, options: { jobId: 'mail-c' } },
      ]);
      expect(ids).toEqual(['mail-a', 'mail-b', 'mail-c']);
      expect(await queue.addBulk([])).toEqual([]);
      const handled: number[] = [];
      queue.process(async (job) => {
        handled.push(job.data.n);
      });
      await queue.drained();
      // mail-b existed already: the bulk add did not add it again.
      expect(handled.sort()).toEqual([0, 1, 3]);
    });

    it('tells the state of a job by id, null for one it never had', async () => {
      const queue = await make<null>({ attempts: 1 });
      expect(await queue.state('never-added')).toBeNull();
      await queue.add('order', null, { jobId: 'job-ok' });
      expect(await queue.state('job-ok')).toBe('waiting');
      await queue.add('bad', null, { jobId: 'job-bad' });
      queue.process(async (job) => {
        if (job.name === 'bad') throw new Error('no');
      });
      await queue.drained();
      expect(await queue.state('job-ok')).toBe('completed');
      expect(await queue.state('job-bad')).toBe('failed');
    });

    it('retries a failing handler until it succeeds', async () => {
      const queue = await make<null>();
      const attemptsSeen: number[] = [];
      queue.process(async (job) => {
        attemptsSeen.push(job.attemptsMade);
        if (job.attemptsMade < 2) throw new Error(`transient ${job.attemptsMade}`);
      });
      await queue.add('order', null, { attempts: 5 });
      await queue.drained();
      expect(attemptsSeen).toEqual([0, 1, 2]);
      expect(await queue.counts()).toMatchObject({ completed: 1, failed: 0 });
      expect(await queue.failed()).toEqual([]);
    });

    it('keeps a job that exhausted its attempts in failed(), with the reason', async () => {
      const queue = await make<{ holdId: string }>();
      let calls = 0;
      queue.process(async () => {
        calls++;
        throw new Error('payment provider down');
      });
      const id = await queue.add('order', { holdId: 'h-9' }, { attempts: 3, jobId: 'hold-h-9' });
      await queue.drained();
      expect(calls).toBe(3);
      expect(await queue.failed()).toEqual([
        {
          id,
          name: 'order',
          data: { holdId: 'h-9' },
          attemptsMade: 3,
          failedReason: 'payment provider down',
          state: 'failed',
        },
      ]);
      expect(await queue.counts()).toMatchObject({ completed: 0, failed: 1 });
    });

    it('fails at once, without retries, on PermanentJobError', async () => {
      const queue = await make<null>({ attempts: 5 });
      let calls = 0;
      queue.process(async () => {
        calls++;
        throw new PermanentJobError('card declined');
      });
      await queue.add('order', null);
      await queue.drained();
      expect(calls).toBe(1);
      const [failed, ...rest] = await queue.failed();
      expect(rest).toEqual([]);
      expect(failed).toMatchObject({ attemptsMade: 1, failedReason: 'card declined', state: 'failed' });
    });

    it('lists failed jobs newest first, up to the limit', async () => {
      const queue = await make<{ n: number }>({ attempts: 1 });
      queue.process(async (job) => {
        throw new Error(`no ${job.data.n}`);
      });
      // Added one at a time after the previous failed, so "newest" is well defined.
      for (const n of [1, 2, 3]) {
        await queue.add('order', { n });
        await queue.drained();
      }
      expect((await queue.failed(2)).map((job) => job.data.n)).toEqual([3, 2]);
      expect(await queue.failed(0)).toEqual([]);
    });

    it('runs exactly `concurrency` handlers at once', async () => {
      const concurrency = 4;
      const queue = await make<null>();
      const full = deferred();
      const gate = deferred();
      let inFlight = 0;
      let maxInFlight = 0;
      queue.process(
        async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          if (inFlight === concurrency) full.resolve();
          await gate.promise;
          inFlight--;
        },
        { concurrency },
      );
      await Promise.all(Array.from({ length: concurrency * 3 }, () => queue.add('order', null)));
      await full.promise; // all N slots were busy at the same time
      gate.resolve();
      await queue.drained();
      expect(maxInFlight).toBe(concurrency);
      expect((await queue.counts()).completed).toBe(concurrency * 3);
    });

    it('close() waits for the handler in flight to finish', async () => {
      const queue = await make<null>();
      const started = deferred();
      const gate = deferred();
      let finished = false;
      queue.process(async () => {
        started.resolve();
        await gate.promise;
        finished = true;
      });
      await queue.add('order', null);
      await started.promise;

      let closed = false;
      const closing = queue.close().then(() => {
        closed = true;
      });
      // Give close() every chance to resolve early; it must not while the handler is blocked.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBe(false);
      gate.resolve();
      await closing;
      expect(finished).toBe(true);
    });

    it('processes 500 jobs exactly once each', async () => {
      const queue = await make<{ n: number }>();
      const runs = new Map<number, number>();
      queue.process(
        async (job) => {
          runs.set(job.data.n, (runs.get(job.data.n) ?? 0) + 1);
        },
        { concurrency: 8 },
      );
      const ids = await Promise.all(
        Array.from({ length: 500 }, (_, n) => queue.add('order', { n }, { jobId: `job-${n}` })),
      );
      expect(new Set(ids).size).toBe(500);
      await queue.drained();
      expect(runs.size).toBe(500);
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
      expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 500, failed: 0 });
    });

    it('refuses jobIds that BullMQ cannot store', async () => {
      const queue = await make<null>();
      await expect(queue.add('order', null, { jobId: '42' })).rejects.toThrow(/jobId/);
      await expect(queue.add('order', null, { jobId: 'a:b' })).rejects.toThrow(/jobId/);
      await expect(queue.add('order', null, { jobId: '' })).rejects.toThrow(/jobId/);
      expect((await queue.counts()).waiting).toBe(0);
    });
  });
}
