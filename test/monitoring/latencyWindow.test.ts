import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../../src/monitoring/latencyWindow.ts';

describe('LatencyWindow', () => {
  const at = (start = 1_000_000) => {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('answers 0 with no sample', () => {
    expect(new LatencyWindow().percentiles([0.5, 0.99])).toEqual({ count: 0, values: [0, 0] });
  });

  it('estimates percentiles within 4 %, in increasing order', () => {
    const clock = at();
    const w = new LatencyWindow(60_000, 1000, clock.now);
    for (let ms = 1; ms <= 1000; ms++) w.record(ms); // uniform 1..1000 ms
    const { count, values } = w.percentiles([0.5, 0.95, 0.99]);
    expect(count).toBe(1000);
    const [p50 = 0, p95 = 0, p99 = 0] = values;
    expect(Math.abs(p50 - 500) / 500).toBeLessThan(0.04);
    expect(Math.abs(p95 - 950) / 950).toBeLessThan(0.04);
    expect(Math.abs(p99 - 990) / 990).toBeLessThan(0.04);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
  });

  it('forgets samples older than the window', () => {
    const clock = at();
    const w = new LatencyWindow(60_000, 1000, clock.now);
    for (let i = 0; i < 100; i++) w.record(2000); // slow, a minute ago
    clock.advance(30_000);
    for (let i = 0; i < 100; i++) w.record(5);
    expect(w.percentiles([0.99]).count).toBe(200);
    clock.advance(31_000);
    const { count, values } = w.percentiles([0.5, 0.99]);
    expect(count).toBe(100);
    for (const v of values) expect(Math.abs(v - 5) / 5).toBeLessThan(0.04);
    clock.advance(60_000);
    expect(w.percentiles([0.5]).count).toBe(0);
  });

  it('keeps extreme values in range', () => {
    const w = new LatencyWindow();
    for (const ms of [0, -1, Number.NaN, 0.001, 1e9]) w.record(ms);
    const { count, values } = w.percentiles([0, 0.5, 1]);
    expect(count).toBe(5);
    expect(values[0]).toBe(0.01);
    expect(values[2]).toBeGreaterThan(500_000);
    expect(values[2]).toBeLessThanOrEqual(700_000);
  });
});
