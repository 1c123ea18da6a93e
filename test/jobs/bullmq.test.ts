import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BullQueueOptions, createBullQueue } from '../../src/orders/jobs/bullmqQueue.ts';
import type { JobQueue } from '../../src/orders/jobs/types.ts';
import { hasRedis, REDIS_URL } from '../support/services.ts';
import { describeJobQueueContract } from './jobQueue.contract.ts';

const STALLING_WORKER = fileURLToPath(new URL('./fixtures/stallingWorker.ts', import.meta.url));

describe.skipIf(!(await hasRedis()))('BullMQ job queue', () => {
  let redis: Redis;
  const prefixes: string[] = [];

  /** Each queue gets its own hash-tagged prefix (the production shape), deleted after the test. */
  function isolated(): { name: string; prefix: string } {
    const prefix = `{jobs-test-${randomUUID()}}`;
    prefixes.push(prefix);
    return { name: 'orders', prefix };
  }

  // Short lock and stalled interval so the crash test recovers in about two seconds, not a minute.
  const fast: Pick<BullQueueOptions, 'lockDurationMs' | 'stalledIntervalMs'> = {
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await redis.quit();
  });

  // Runs after the contract's own afterEach (inner hooks first), so the queues are closed by now.
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  });

  describeJobQueueContract('bullmq', (defaults, keepCompleted) => {
    const { name, prefix } = isolated();
    return createBullQueue(name, {
      connection: REDIS_URL,
      prefix,
      defaults,
      ...(keepCompleted ? { keepCompleted } : {}),
      ...fast,
    });
  });

  describe('crash recovery', () => {
    let child: ChildProcess | undefined;
    let queue: JobQueue<{ holdId: string }> | undefined;

    afterEach(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await queue?.close();
    });

    it('runs a job again when the worker holding it was killed with SIGKILL', async () => {
      const { name, prefix } = isolated();
      child = fork(STALLING_WORKER, [REDIS_URL, prefix, name], { execArgv: ['--import', 'tsx'] });
      const started = new Promise<string>((resolve) => {
        child?.on('message', (message: { started?: string }) => {
          if (message.started) resolve(message.started);
        });
      });

      queue = createBullQueue<{ holdId: string }>(name, { connection: REDIS_URL, prefix, ...fast });
      const id = await queue.add('order', { holdId: 'h-1' }, { jobId: 'hold-h-1' });
      expect(await started).toBe(id);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      expect((await queue.counts()).active).toBe(1); // orphaned: active, its lock still ticking down

      const reruns: { id: string; attemptsMade: number }[] = [];
      queue.process(async (job) => {
        reruns.push({ id: job.id, attemptsMade: job.attemptsMade });
      });
      await queue.drained(20_000);
      // A stall is not a failed attempt: the re-run still sees attemptsMade 0.
      expect(reruns).toEqual([{ id, attemptsMade: 0 }]);
      expect(await queue.counts()).toMatchObject({ completed: 1, failed: 0 });
    });
  });
});
