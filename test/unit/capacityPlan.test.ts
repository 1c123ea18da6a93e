/**
 * The capacity plan's arithmetic on a small case computed by hand (figures made up so that every step
 * shows), the poll model against the service's own pollAfterMs, and the command refusing bad flags.
 */
import { describe, expect, it } from 'vitest';
import {
  type MeasuredFigures,
  PLAN_DEFAULTS,
  type PlanInput,
  planCapacity,
  waitingPollsPerSecond,
} from '../../src/capacity/plan.ts';
import { loadFigures, parseCapacityArgs } from '../../src/cli/capacity.ts';
import { UsageError } from '../../src/cli/command.ts';

const figures: MeasuredFigures = {
  machine: { node: 'v20', cpus: 2, cpuModel: 'test', memoryGiB: 1, platform: 'test' },
  loadAverage: 1,
  sources: [],
  api: {
    baselineCpuUs: 10,
    cpuUs: { salePage: 1, join: 100_000, poll: 50_000, checkout: 1_000_000 },
    perSecond: { salePage: 1, join: 10, poll: 20, checkout: 1 },
  },
  pow: { issueUs: 20_000, verifyUs: 10_000 },
  // 100 joins/s measured, but 5,000 µs of Redis CPU each: 200 per core, the better bound.
  redis: { joinsPerSecond: 100, reservesPerSecond: 50, joinCpuUs: 5000, reserveCpuUs: null },
  worker: { ordersPerSecond: 0.5 },
};

const input: PlanInput = {
  rps: 10,
  buyers: 10,
  stock: 7,
  headroom: 2,
  admitPerSecond: 1,
  maxActive: 1,
  heartbeatSeconds: 30,
  prestartShare: 0.5,
  leadSeconds: 5,
  rampSeconds: 1,
  unitsPerOrder: 2,
  conversion: 1,
  orderReadsPerOrder: 3,
  sticky: true,
};

/** 10 in line at 1/s: aheads 0–3 poll every 1 s, aheads 4–9 every (ahead + 1) × 250 ms. */
const LINE_POLLS = 4 + 1000 / 1250 + 1000 / 1500 + 1000 / 1750 + 1000 / 2000 + 1000 / 2250 + 1000 / 2500;

describe('capacity plan', () => {
  it('polls of a line: the service pollAfterMs summed, then one per 30 s past its ceiling', () => {
    expect(waitingPollsPerSecond(10, 1)).toBeCloseTo(LINE_POLLS, 9);
    expect(LINE_POLLS).toBeCloseTo(7.3825, 4);
    // Far back, every extra waiter adds one poll per 30 s.
    expect(waitingPollsPerSecond(1_000_030, 50) - waitingPollsPerSecond(1_000_000, 50)).toBeCloseTo(1, 9);
  });

  it('a small case by hand: routes, API processes, the sale shard, workers and PostgreSQL', () => {
    const plan = planCapacity(input, figures);
    // Joins: max(5 before over 5 s, 5 after over 1 s) = 5/s; polls: the line + 1 admitted / 10 s.
    const polls = LINE_POLLS + 0.1;
    expect(plan.routes.map((r) => [r.route, r.sized])).toEqual([
      ['challenge', 5],
      ['join', 5],
      ['poll', expect.closeTo(polls, 9)],
      ['checkout', 1],
      ['orderRead', 3],
    ]);
    // The model (21.48/s) exceeds --rps 10: sized for the model, and said.
    expect(plan.sizedRps).toBeCloseTo(14 + polls, 9);
    expect(plan.warnings.join()).toContain('more than --rps 10');
    // CPU: 5 × 0.12 s + 5 × 0.11 s + polls × 0.05 s + 1 × 1 s + 3 × 1 s = 5.15 + 0.05 polls cores.
    expect(plan.api.cores).toBeCloseTo(5.15 + 0.05 * polls, 9);
    expect(plan.api.processes).toBe(12); // ceil(5.524 × 2)
    // By req/s: (5/10 + 5/10 + polls/20 + 1/1 + 3/1) × 2 = 10.75 → 11.
    expect(plan.api.byMeasuredRate).toBe(11);
    // Shard: (5 joins + 12 processes × 6 + 1 hold read) / 200 + 2 × 1 / 50 = 0.39 + 0.04.
    expect(plan.redis.joinsPerCore).toBe(200);
    expect(plan.redis.saleShardLoad).toBeCloseTo(0.43, 9);
    expect(plan.redis.saleShardFits).toBe(true);
    expect(plan.redis.maxJoinsPerSecond).toBeCloseTo((0.5 - 0.405) * 200, 9);
    expect(plan.redis.masters).toBe(3);
    // 0.43 × 2 fits one shard: one part.
    expect(plan.redis.parts).toBe(1);
    expect(plan.redis.partLoad).toBeCloseTo(0.43, 9);
    expect(plan.workers).toEqual({ needed: 4, processes: 4 }); // 1 order/s × 2 / 0.5
    // ceil(7 units / 2 per order) = 4 orders, 4 writes each; 1 order/s.
    expect(plan.postgres).toEqual({ ordersPerSecond: 1, writesPerSecond: 4, totalWrites: 16 });
    expect(plan.selloutSeconds).toBe(4);
  });

  it('--rps above the model scales every route alike; a non-sticky balancer puts the polls on Redis', () => {
    const plan = planCapacity({ ...input, rps: 100, sticky: false }, figures);
    const scale = 100 / plan.modelledRps;
    expect(plan.sizedRps).toBe(100);
    expect(plan.routes.reduce((sum, r) => sum + r.sized, 0)).toBeCloseTo(100, 9);
    for (const r of plan.routes) expect(r.sized).toBeCloseTo(r.modelled * scale, 9);
    const polls = (LINE_POLLS + 0.1) * scale;
    const expected = (5 * scale + plan.api.processes * 6 + scale + polls) / 200 + (2 * scale) / 50;
    expect(plan.redis.saleShardLoad).toBeCloseTo(expected, 9);
    // Polls alone put this shard past half a core: no join rate fits on one shard. Parts do not help
    // either: each of the many API processes reads every part's snapshot, more than a core per part.
    expect(plan.redis.maxJoinsPerSecond).toBe(0);
    expect((plan.api.processes * 6) / 200).toBeGreaterThan(0.5);
    expect(plan.redis.parts).toBe(64);
    expect(plan.warnings.join()).toContain('background reads of each part outweigh one core');
  });

  it('a sale whose joins outgrow one Redis core is flagged, with the join rate that would fit', () => {
    const cheapApi = { ...figures.api, cpuUs: { salePage: 1, join: 100, poll: 50, checkout: 1000 } };
    const cheap = { ...figures, api: cheapApi, pow: { issueUs: 20, verifyUs: 10 } };
    const plan = planCapacity({ ...input, buyers: 10_000 }, cheap);
    expect(plan.redis.saleShardFits).toBe(false);
    // Split into parts, each shard carries a K-th of the buyers' load plus every API process's
    // background reads of its part (12 processes × 6 calls/s / 200): the fewest parts that fit.
    const background = (plan.api.processes * 6) / 200;
    const loadOf = (k: number) => (plan.redis.saleShardLoad - background) / k + background;
    expect(plan.redis.parts).toBeGreaterThan(1);
    expect(loadOf(plan.redis.parts) * 2).toBeLessThanOrEqual(1);
    expect(loadOf(plan.redis.parts - 1) * 2).toBeGreaterThan(1);
    expect(plan.redis.partLoad).toBeCloseTo(loadOf(plan.redis.parts), 9);
    expect(plan.redis.masters).toBe(Math.max(3, plan.redis.parts));
    expect(plan.warnings.join()).toContain(`cannot carry this sale`);
    expect(plan.warnings.join()).toContain(`parts: ${plan.redis.parts}`);
    // 5,000 joins/s on a core that takes 200: the rest of the shard's load leaves room for this many.
    expect(plan.redis.maxJoinsPerSecond).toBeGreaterThan(0);
    expect(plan.redis.maxJoinsPerSecond).toBeLessThan(100);
    expect(plan.redis.minArrivalSeconds).toBeCloseTo(10_000 / plan.redis.maxJoinsPerSecond, 9);
  });

  it('the shipped figures are complete', () => {
    const shipped = loadFigures();
    const numbers = [
      ...Object.values(shipped.api.cpuUs),
      ...Object.values(shipped.api.perSecond),
      shipped.pow.issueUs,
      shipped.pow.verifyUs,
      shipped.redis.joinsPerSecond,
      shipped.redis.reservesPerSecond,
      shipped.worker.ordersPerSecond,
    ];
    for (const n of numbers) expect(n).toBeGreaterThan(0);
    expect(shipped.sources.map((s) => s.suite).sort()).toEqual(['engine', 'http', 'pipeline', 'pow']);
  });
});

describe('flashsale capacity options', () => {
  it('reads the flags, defaults the rest', () => {
    const { input: parsed } = parseCapacityArgs([
      '--rps',
      '100_000',
      '--buyers',
      '1000000',
      '--stock',
      '1000',
      '--no-sticky',
    ]);
    expect(parsed).toEqual({ ...PLAN_DEFAULTS, rps: 100_000, buyers: 1_000_000, stock: 1000, sticky: false });
  });

  it.each([
    [['--buyers', '10', '--stock', '1'], '--rps is required'],
    [['--rps', '10', '--buyers', '0', '--stock', '1'], '--buyers must be a whole number from 1'],
    [['--rps', '1.5', '--buyers', '10', '--stock', '1'], '--rps must be a whole number'],
    [
      ['--rps', '10', '--buyers', '10', '--stock', '1', '--headroom', 'x'],
      '--headroom must be a number from 1 to 10',
    ],
    [['--rps', '10', '--buyers', '10', '--stock', '1', '--conversion', '2'], '--conversion must be a number'],
    [['--rps', '10', '--buyers', '10', '--stock', '1', '--workers', '3'], "Unknown option '--workers'"],
  ])('refuses %j', (args, message) => {
    expect(() => parseCapacityArgs(args)).toThrow(UsageError);
    expect(() => parseCapacityArgs(args)).toThrow(message);
  });
});
