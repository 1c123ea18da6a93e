import { describe, expect, it } from 'vitest';
import { createMemoryQueue } from '../../src/orders/jobs/memoryQueue.ts';
import { backoffDelay } from '../../src/orders/jobs/types.ts';
import { describeJobQueueContract } from './jobQueue.contract.ts';

let seq = 0;
describeJobQueueContract('memory', (defaults) => createMemoryQueue(`jobs-test-${++seq}`, { defaults }));

describe('memory job queue', () => {
  it('forgets the oldest completed jobs beyond the bound, so their jobId runs again', async () => {
    const queue = createMemoryQueue<null>('bounded', { keepCompleted: { count: 2, ageMs: 60_000 } });
    const handled: string[] = [];
    queue.process(async (job) => {
      handled.push(job.id);
    });
    for (const id of ['a-1', 'a-2', 'a-3']) await queue.add('order', null, { jobId: id });
    await queue.drained();
    expect((await queue.counts()).completed).toBe(2);
    await queue.add('order', null, { jobId: 'a-1' }); // forgotten: a new job
    await queue.add('order', null, { jobId: 'a-3' }); // still kept: no new job
    await queue.drained();
    expect(handled).toEqual(['a-1', 'a-2', 'a-3', 'a-1']);
    await queue.close();
  });

  it('hands the handler a JSON copy of the data, as BullMQ does', async () => {
    const queue = createMemoryQueue<{ at: unknown; gone?: undefined }>('json');
    const seen: unknown[] = [];
    queue.process(async (job) => {
      seen.push(job.data);
    });
    const at = new Date(0);
    await queue.add('order', { at, gone: undefined });
    await queue.drained();
    expect(seen).toEqual([{ at: at.toISOString() }]);
    await queue.close();
  });

  it('backs off exponentially like BullMQ (base * 2^(retry - 1))', () => {
    expect([1, 2, 3, 4].map((retry) => backoffDelay(200, retry))).toEqual([200, 400, 800, 1600]);
  });
});
