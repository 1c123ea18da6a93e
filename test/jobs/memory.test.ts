import { describe, expect, it } from 'vitest';
import { createMemoryQueue } from '../../src/orders/jobs/memoryQueue.ts';
import { backoffDelay } from '../../src/orders/jobs/types.ts';
import { describeJobQueueContract } from './jobQueue.contract.ts';

let seq = 0;
describeJobQueueContract('memory', (defaults, keepCompleted) =>
  createMemoryQueue(`jobs-test-${++seq}`, { defaults, ...(keepCompleted ? { keepCompleted } : {}) }),
);

describe('memory job queue', () => {
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
