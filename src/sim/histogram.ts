/**
 * Latency percentiles in bounded memory: a log-bucketed histogram (1 % wide buckets from 10 µs to
 * ~20 min), so a million samples cost the same ~1,900 counters as ten. Percentiles are exact to
 * within one bucket (±1 %).
 */
const MIN_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(1_200_000 / MIN_MS) / LOG_GROWTH) + 1;

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private largest = 0;

  record(ms: number): void {
    const v = Math.max(ms, 0);
    const index = v <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(v / MIN_MS) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] as number) + 1;
    this.total += 1;
    this.sum += v;
    if (v > this.largest) this.largest = v;
  }

  get count(): number {
    return this.total;
  }

  /** The value at quantile q (0..1): the upper bound of the bucket holding it, capped at the max seen. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.largest, MIN_MS * GROWTH ** i);
    }
    return this.largest;
  }

  summary(): Percentiles {
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      count: this.total,
      mean: round(this.total === 0 ? 0 : this.sum / this.total),
      p50: round(this.quantile(0.5)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
      max: round(this.largest),
    };
  }
}

/** Exact percentile of a small sorted sample (nearest rank), for tests and small series. */
export function percentileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}
