/** The two building blocks of the order job's batching and outage handling, in isolation. */
import { describe, expect, it } from 'vitest';
import { coalesce, coalesceBy } from '../../src/domain/coalesce.ts';
import { FlashsaleError, unavailable } from '../../src/domain/errors.ts';
import { outageDelay, retryThroughOutage } from '../../src/orders/outageRetry.ts';

describe('coalesce', () => {
  it('writes the calls of one burst together, then those made during a write together', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const write = coalesce(async (items: number[]) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => n * 10);
    }, 100);
    const first = [1, 2, 3].map((n) => write(n));
    while (batches.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = [4, 5].map((n) => write(n)); // made while the first batch is being written
    release();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('caps a batch at maxBatch and fails every call of a failed batch', async () => {
    const sizes: number[] = [];
    const write = coalesce(async (items: number[]) => {
      sizes.push(items.length);
      if (items.includes(7)) throw new Error('batch failed');
      return items;
    }, 3);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => write(i)));
    expect(sizes).toEqual([3, 3, 2]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
  });
});

describe('coalesceBy', () => {
  it("batches each key's calls on their own: one key's batch in flight holds back no other key", async () => {
    const batches: string[] = [];
    let release: () => void = () => {};
    const write = coalesceBy(async (key: string, items: number[]) => {
      batches.push(`${key}:${items.join(',')}`);
      if (key === 'a' && batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => `${key}${n}`);
    }, 100);
    const firstA = [1, 2].map((n) => write('a', n));
    while (batches.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // While a's first batch is in flight: b's calls go out at once, a's wait for the next batch.
    const laterA = write('a', 3);
    expect(await Promise.all([write('b', 1), write('b', 2)])).toEqual(['b1', 'b2']);
    release();
    expect(await Promise.all([...firstA, laterA])).toEqual(['a1', 'a2', 'a3']);
    expect(batches).toEqual(['a:1,2', 'b:1,2', 'a:3']);
    // A key seen again after its batches are done starts afresh, again with no wait behind anything.
    expect(await write('a', 4)).toBe('a4');
    expect(batches.at(-1)).toBe('a:4');
  });
});

describe('retryThroughOutage', () => {
  it('doubles the delay up to the cap', () => {
    const policy = { outageMs: 60_000, maxDelayMs: 1000, baseMs: 100 };
    expect([1, 2, 3, 4, 5, 6].map((n) => outageDelay(policy, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('retries UNAVAILABLE until the call succeeds, for as long as the outage budget allows', async () => {
    let now = 0;
    let calls = 0;
    const waited: number[] = [];
    const result = await retryThroughOutage(
      async () => {
        calls += 1;
        if (calls < 40) throw unavailable(new Error('down'));
        return 'done';
      },
      { outageMs: 300_000, maxDelayMs: 5000 },
      {
        now: () => now,
        sleep: async (ms) => {
          waited.push(ms);
          now += ms;
        },
      },
    );
    expect(result).toBe('done');
    expect(calls).toBe(40);
    expect(Math.max(...waited)).toBe(5000);
  });

  it('gives up once the outage lasted longer than the budget, and never retries other errors', async () => {
    let now = 0;
    let calls = 0;
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    };
    const outage = retryThroughOutage(
      async () => {
        calls += 1;
        throw unavailable(new Error('down'));
      },
      { outageMs: 10_000, maxDelayMs: 1000 },
      clock,
    );
    await expect(outage).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(now).toBeGreaterThanOrEqual(10_000);
    expect(now).toBeLessThan(11_000);

    calls = 0;
    const other = retryThroughOutage(
      async () => {
        calls += 1;
        throw new FlashsaleError('HOLD_EXPIRED');
      },
      { outageMs: 10_000, maxDelayMs: 1000 },
      clock,
    );
    await expect(other).rejects.toMatchObject({ code: 'HOLD_EXPIRED' });
    expect(calls).toBe(1);
  });
});
