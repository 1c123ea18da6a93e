/** The simulator's pure parts: arrival schedule, heap, percentiles, fairness figure, retries, options. */
import { describe, expect, it } from 'vitest';
import { arrivalSchedule } from '../../src/sim/arrivals.ts';
import { barChart, lineChart, niceTicks, scatterChart } from '../../src/sim/charts.ts';
import { fairness, ranks, spearman } from '../../src/sim/fairness.ts';
import { TimeHeap } from '../../src/sim/heap.ts';
import { Histogram, percentileOfSorted } from '../../src/sim/histogram.ts';
import { rates } from '../../src/sim/html.ts';
import { defaultBotAddress, defaultPerSecond, parseSimArgs, UsageError } from '../../src/sim/options.ts';
import { limitedBy, shedNote, stockShares } from '../../src/sim/report.ts';
import { isRetryable, parseRetryAfter, retryDelayMs } from '../../src/sim/retry.ts';
import { seededRng } from '../../src/sim/rng.ts';
import { hintFor } from '../../src/sim/stopReason.ts';

describe('arrival schedule', () => {
  const plan = { rampSeconds: 10, startAfterSeconds: 2, prestartShare: 0.5 };

  it('all: the whole crowd at 0, the sale opens later', () => {
    const s = arrivalSchedule(1000, { ...plan, arrival: 'all' });
    expect(s.offsets.every((t) => t === 0)).toBe(true);
    expect(s.startAtMs).toBe(2000);
    expect(s.prestartCount).toBe(1000);
  });

  it('ramp: evenly spread over the ramp, in order, open model (fixed up front)', () => {
    const s = arrivalSchedule(1000, { ...plan, arrival: 'ramp' });
    expect(s.offsets[0]).toBe(0);
    expect(s.offsets[999]).toBeCloseTo(9990, 6);
    for (let i = 1; i < 1000; i++) expect(s.offsets[i]).toBeGreaterThan(s.offsets[i - 1] as number);
    // 2 s of a 10 s ramp arrive before the start.
    expect(s.prestartCount).toBe(200);
    const perSecond = new Array(10).fill(0);
    for (const t of s.offsets) perSecond[Math.floor(t / 1000)] += 1;
    expect(perSecond).toEqual(new Array(10).fill(100));
  });

  it('prestart: a share before the start, the rest on a ramp after it', () => {
    const s = arrivalSchedule(1000, { ...plan, arrival: 'prestart', prestartShare: 0.3 });
    expect(s.prestartCount).toBe(300);
    expect([...s.offsets.slice(0, 300)].every((t) => t >= 0 && t < 2000)).toBe(true);
    expect([...s.offsets.slice(300)].every((t) => t >= 2000 && t < 12_000)).toBe(true);
    expect(arrivalSchedule(0, { ...plan, arrival: 'prestart' }).offsets.length).toBe(0);
  });
});

describe('time heap', () => {
  it('pops in time order, ties and growth included', () => {
    const rng = seededRng(7);
    const heap = new TimeHeap(2);
    const times: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(rng() * 1000);
      times[i] = t;
      heap.push(t, i);
    }
    let last = -1;
    let misplaced = 0;
    const seen = new Set<number>();
    while (heap.size > 0) {
      const t = heap.peekTime();
      const id = heap.pop();
      if (times[id] !== t || t < last) misplaced += 1;
      last = t;
      seen.add(id);
    }
    expect(misplaced).toBe(0);
    expect(seen.size).toBe(5000);
    expect(heap.pop()).toBe(-1);
    expect(heap.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('latency percentiles', () => {
  it('match exact percentiles within a bucket (1 %), in bounded memory', () => {
    const rng = seededRng(3);
    const h = new Histogram();
    const samples: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const v = Math.exp(rng() * 8) / 10; // 0.1 ms .. 300 ms, log-uniform
      samples.push(v);
      h.record(v);
    }
    samples.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = percentileOfSorted(samples, q);
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.011);
    }
    const s = h.summary();
    expect(s.count).toBe(100_000);
    expect(s.max).toBeCloseTo(samples.at(-1) as number, 1);
    expect(s.p50).toBeLessThanOrEqual(s.p95);
    expect(s.p95).toBeLessThanOrEqual(s.p99);
  });

  it('is all zeros when empty, and exact on a small known sample', () => {
    expect(new Histogram().summary()).toEqual({ count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(sorted, 0.5)).toBe(50);
    expect(percentileOfSorted(sorted, 0.95)).toBe(95);
    expect(percentileOfSorted(sorted, 0.99)).toBe(99);
    expect(percentileOfSorted(sorted, 1)).toBe(100);
  });
});

describe('fairness figure', () => {
  it('is 1 for purchases in join order, -1 reversed, near 0 shuffled', () => {
    const n = 2000;
    const order = Array.from({ length: n }, (_, i) => i + 1);
    expect(spearman(order, order)).toBeCloseTo(1, 10);
    expect(spearman(order, [...order].reverse())).toBeCloseTo(-1, 10);
    const rng = seededRng(11);
    const shuffled = [...order];
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
    }
    expect(Math.abs(spearman(order, shuffled) as number)).toBeLessThan(0.08);
    expect(spearman([1], [1])).toBeNull();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  it('re-ranks the purchasers, averages ties, and bounds the points to plot', () => {
    expect([...ranks([10, 30, 20, 20])]).toEqual([1, 4, 2.5, 2.5]);
    // Join ranks of purchasers have gaps (not everyone bought): figures use ranks among purchasers.
    const f = fairness({ joinRanks: [5, 90, 40, 7], purchaseRanks: [1, 4, 3, 2] }, 10);
    expect(f.spearman).toBe(1);
    expect(f.meanDisplacement).toBe(0);
    expect(f.points).toEqual([
      [1, 1],
      [4, 4],
      [3, 3],
      [2, 2],
    ]);
    const big = Array.from({ length: 10_000 }, (_, i) => i + 1);
    expect(fairness({ joinRanks: big, purchaseRanks: big }, 1500).points.length).toBe(1500);
    expect(fairness({ joinRanks: [], purchaseRanks: [] }).spearman).toBeNull();
  });
});

describe('retries', () => {
  it('retries 429, 5xx and network failures, not other refusals', () => {
    for (const s of [0, 429, 500, 502, 503, 504]) expect(isRetryable(s)).toBe(true);
    for (const s of [200, 201, 202, 400, 401, 403, 404, 409]) expect(isRetryable(s)).toBe(false);
  });

  it('honors Retry-After (seconds or a date) and backs off with jitter up to a cap', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    const rng = seededRng(1);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(1, 2000, rng);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(2400);
    }
    const first = retryDelayMs(1, null, () => 1);
    const third = retryDelayMs(3, null, () => 1);
    expect(first).toBe(250);
    expect(third).toBe(1000);
    expect(retryDelayMs(30, null, () => 1)).toBe(15_000);
    expect(retryDelayMs(2, null, () => 0)).toBe(250);
  });
});

describe('options', () => {
  const env = { FLASHSALE_ADMIN_KEY: 'k' };

  it('has defaults sized from the buyers', () => {
    const o = parseSimArgs([], env, new Date('2026-01-02T03:04:05.678Z'));
    expect(o).toMatchObject({
      url: 'http://127.0.0.1:3000',
      adminKey: 'k',
      buyers: 100_000,
      stock: 10_000,
      limit: 2,
      arrival: 'prestart',
      startAfterSeconds: 10,
      saleId: null,
      report: 'reports/sim-2026-01-02T03-04-05Z',
    });
    expect(o.perSecond).toBe(defaultPerSecond(o));
    expect(o.maxActive).toBe(o.perSecond * 30);
    expect(parseSimArgs(['--buyers', '50', '--arrival', 'all'], env)).toMatchObject({
      stock: 5,
      startAfterSeconds: 1,
    });
  });

  it('refuses bad values with a usage error', () => {
    const bad =
      (args: string[], e: Record<string, string> = env) =>
      () =>
        parseSimArgs(args, e);
    expect(bad([], {})).toThrow(/admin key/);
    expect(bad(['--buyers', '0'])).toThrow(UsageError);
    expect(bad(['--buyers', '1.5'])).toThrow(/whole/);
    expect(bad(['--abandon', '2'])).toThrow(/--abandon/);
    expect(bad(['--arrival', 'sometimes'])).toThrow(/--arrival/);
    expect(bad(['--sale', 'x', '--create-sale'])).toThrow(/exclude/);
    expect(bad(['--url', 'ftp://x'])).toThrow(/--url/);
    expect(bad(['--decline', '0.7', '--flaky', '0.5'])).toThrow(/more than 1/);
    expect(bad(['--frobnicate'])).toThrow();
    expect(bad(['--bots', '-1'])).toThrow(/--bots/);
    expect(bad(['--bots', '5', '--bot-address', 'not-an-ip'])).toThrow(/--bot-address/);
    expect(bad(['--pow-difficulty', '33'])).toThrow(/--pow-difficulty/);
  });

  it('adds no bots and asks no proof of work by default; a bot crowd gets its own loopback address', () => {
    const none = parseSimArgs([], env);
    expect(none).toMatchObject({ bots: 0, botSkip: 0.5, botAddress: null, powDifficulty: 0 });
    const bots = parseSimArgs(['--bots', '1000', '--bot-skip', '0.25'], env);
    expect(bots).toMatchObject({ bots: 1000, botSkip: 0.25, powDifficulty: 10 });
    expect(bots.botAddress).toBe(defaultBotAddress('http://127.0.0.1:3000', process.platform));
    expect(
      parseSimArgs(['--bots', '9', '--pow-difficulty', '0', '--bot-address', '10.0.0.9'], env),
    ).toMatchObject({ powDifficulty: 0, botAddress: '10.0.0.9' });
    expect(defaultBotAddress('http://127.0.0.1:3000', 'linux')).toBe('127.0.0.2');
    expect(defaultBotAddress('http://127.0.0.2:3000', 'linux')).toBe('127.0.0.3');
    expect(defaultBotAddress('http://127.0.0.1:3000', 'darwin')).toBeNull();
    expect(defaultBotAddress('http://localhost:3000', 'linux')).toBeNull();
    expect(defaultBotAddress('https://shop.example', 'linux')).toBeNull();
  });
});

describe('report figures', () => {
  it('says when 503 answers (and so retries) may have reordered purchases', () => {
    expect(shedNote({ 'join 200': 10, 'poll 200': 40, 'checkout 202': 5 })).toBe('');
    expect(shedNote({ 'join 503': 1200, 'poll 200': 40, 'poll 503': 34 })).toBe(
      '; 1,234 answers were 503, and retries reorder purchases',
    );
  });

  it('turns sampled counters into per-second rates', () => {
    expect(rates([0, 1, 3, 3, 4], [0, 100, 300, 300, 250])).toEqual([
      [1, 100],
      [3, 100],
      [4, 0],
    ]);
  });

  it('picks round axis ticks and draws each chart as one svg with its marks', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const line = lineChart(
      't',
      [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
            [2, 0],
          ],
        },
      ],
      'x',
      'y',
    );
    expect(line.match(/<path class="mark/g)?.length).toBe(1);
    const bars = barChart('t', ['p50', 'p99'], [{ label: 'poll', values: [1.5, 40] }], 'ms');
    expect(bars.match(/<rect class="mark bar"/g)?.length).toBe(2);
    expect(
      scatterChart(
        't',
        [
          [1, 2],
          [2, 1],
        ],
        'x',
        'y',
      ).match(/<circle class="mark/g)?.length,
    ).toBe(2);
    expect(lineChart('<t>', [], 'x', 'y')).toContain('no data');
    expect(lineChart('<t>', [], 'x', 'y')).toContain('&lt;t&gt;');
  });

  it('says who got the stock, against a fair lottery among those who joined', () => {
    const shares = stockShares(
      { admissions: 90, units: 80, joined: 300 },
      {
        identities: 1000,
        sourceAddress: '127.0.0.2',
        minted: 60,
        skipped: 30,
        joined: 30,
        admitted: 10,
        orders: 20,
        units: 20,
        refusals: {},
        ended: {},
      },
    );
    expect(shares).toEqual({
      admissions: { buyers: 90, bots: 10 },
      units: { buyers: 80, bots: 20 },
      buyersShareOfAdmissions: 0.9,
      buyersShareOfUnits: 0.8,
      lotteryShare: 0.9091,
    });
    expect(stockShares({ admissions: 0, units: 0, joined: 0 }, null)).toMatchObject({
      buyersShareOfAdmissions: null,
      buyersShareOfUnits: null,
      lotteryShare: null,
    });
  });

  it('says what limited the run', () => {
    expect(limitedBy(0.95, 5000, 128)).toMatch(/^the simulator/);
    expect(limitedBy(0.3, 5000, 128)).toMatch(/^the service: all 128 connections/);
    expect(limitedBy(0.3, 12, 128)).toMatch(/^neither/);
  });
});

describe('stop hints', () => {
  it('names the way out when a sale’s proof of work refuses the simulated buyers', () => {
    const failure = { route: 'join', status: 428, code: 'POW_REQUIRED', message: null, atSeconds: 1 };
    expect(hintFor(failure)).toContain('FLASHSALE_POW=off');
    expect(hintFor({ ...failure, status: 403, code: 'POW_INVALID' })).toContain('FLASHSALE_POW=off');
    expect(hintFor({ ...failure, status: 404, code: 'SALE_NOT_FOUND' })).toBeNull();
  });
});
