/**
 * The capacity plan's arithmetic (no I/O): from the figures bench/ measured (measured.json, written by
 * bench/capacity.ts) and a sale's scenario, how many API processes, Redis masters and order workers,
 * and what PostgreSQL write rate. docs/capacity.md explains the model and its assumptions.
 *
 * The unit of every tier is one core: a Node process runs its JavaScript on one thread, and Redis runs
 * its commands on one. A tier's need is its load × the CPU cost per operation, × the headroom.
 */
import { MAX_POLL_AFTER_MS, pollAfterMs } from '../domain/queue.ts';
import { SALE_DEFAULTS, SALE_LIMITS } from '../domain/sale.ts';

/** What bench/capacity.ts distils from bench/results.jsonl. */
export interface MeasuredFigures {
  /** The machine of the http run (every source row carries its own). */
  machine: { node: string; cpus: number; cpuModel: string; memoryGiB: number; platform: string };
  /** The 1-minute load average when the http run began, as the bench noted it. */
  loadAverage: number | null;
  sources: Array<{ suite: string; at: string; command: string }>;
  /** API process CPU µs per request (production shape), and the req/s the run reached. */
  api: {
    /** The same run's node:http hello world: how busy the machine's cores were (µs per request). */
    baselineCpuUs: number | null;
    cpuUs: { salePage: number; join: number; poll: number; checkout: number };
    perSecond: { salePage: number; join: number; poll: number; checkout: number };
  };
  /** Proof of work, µs per call: issuing a challenge and verifying a solution (bench/pow.ts). */
  pow: { issueUs: number; verifyUs: number };
  /** Per Redis core: Lua join and reserve scripts per second (engine.ts; see redisPerCore). */
  redis: {
    joinsPerSecond: number;
    reservesPerSecond: number;
    joinCpuUs: number | null;
    reserveCpuUs: number | null;
  };
  /** Orders persisted per second by one worker process, production shape, group commit. */
  worker: { ordersPerSecond: number };
}

export interface PlanInput {
  /** Peak requests per second the API must answer. */
  rps: number;
  /** Buyers in the waiting room at the peak. */
  buyers: number;
  stock: number;
  /** Every need is multiplied by this before rounding up. */
  headroom: number;
  /** The sale's admission rate, and its active shoppers. */
  admitPerSecond: number;
  maxActive: number;
  /** FLASHSALE_HEARTBEAT_SECONDS: admitted pages poll a third of it apart. */
  heartbeatSeconds: number;
  /** Arrival curve: `prestartShare` of the buyers over `leadSeconds` before the start, the rest over `rampSeconds` after. */
  prestartShare: number;
  leadSeconds: number;
  rampSeconds: number;
  unitsPerOrder: number;
  /** Share of admitted buyers who check out. */
  conversion: number;
  /** GET /orders/:id per order (the page polls each second while the order is pending). */
  orderReadsPerOrder: number;
  /** The load balancer sends a buyer's polls to the same API process (else each poll may cost a Redis read). */
  sticky: boolean;
}

export const PLAN_DEFAULTS = {
  headroom: 2,
  admitPerSecond: SALE_DEFAULTS.admission.perSecond,
  maxActive: SALE_DEFAULTS.admission.maxActive,
  heartbeatSeconds: 30,
  prestartShare: 0.5,
  leadSeconds: 60,
  rampSeconds: 60,
  unitsPerOrder: 1,
  conversion: 1,
  orderReadsPerOrder: 3,
  sticky: true,
} as const satisfies Omit<PlanInput, 'rps' | 'buyers' | 'stock'>;

/** Background Redis calls per API process per second per sale: 4 snapshot refreshes, 1 incarnation check, 1 heartbeat batch. */
export const API_BACKGROUND_REDIS_PER_SECOND = 6;
/** Production minimums: one API process or worker can fail mid-sale; Redis Cluster needs 3 masters. */
export const MINIMUM = { api: 2, workers: 2, redisMasters: 3 } as const;
/** PostgreSQL writes per order: checkout's place_order, the worker's pending-order upsert, the payment ledger row, the confirmation. */
export const PG_WRITES_PER_ORDER = 4;

export const ROUTES = ['challenge', 'join', 'poll', 'checkout', 'orderRead'] as const;
export type Route = (typeof ROUTES)[number];

export interface RouteLoad {
  route: Route;
  /** Requests per second at the peak, from the buyer model. */
  modelled: number;
  /** The same, scaled so that the total is the larger of --rps and the model's. */
  sized: number;
  cpuUs: number;
  /** How the CPU figure was obtained. */
  source: string;
  /** Cores of API process at 100 % busy for `sized`. */
  cores: number;
}

export interface Plan {
  input: PlanInput;
  routes: RouteLoad[];
  modelledRps: number;
  sizedRps: number;
  /** Polls per second of the waiting line alone, and of admitted shoppers. */
  polls: { waiting: number; admitted: number };
  peakJoinsPerSecond: number;
  ordersPerSecond: number;
  totalOrders: number;
  selloutSeconds: number;
  api: { cores: number; processes: number; byMeasuredRate: number };
  redis: {
    joinsPerCore: number;
    reservesPerCore: number;
    /** Share of one core the hot sale's shard is busy at the peak (before headroom). */
    saleShardLoad: number;
    saleShardFits: boolean;
    /**
     * The parts the sale should be published with (`parts`, docs/parts.md): the fewest whose shards
     * each stay within the headroom. Each part carries its share of the buyers' load, and all of the
     * API processes' background reads (each process refreshes every part's snapshot).
     */
    parts: number;
    /** Share of one core each part's shard is busy at the peak with `parts` parts (before headroom). */
    partLoad: number;
    /** The join rate one shard takes with the headroom kept. */
    maxJoinsPerSecond: number;
    /** The shortest arrival (seconds) for all buyers that keeps joins within maxJoinsPerSecond. */
    minArrivalSeconds: number;
    masters: number;
  };
  workers: { needed: number; processes: number };
  postgres: { ordersPerSecond: number; writesPerSecond: number; totalWrites: number };
  warnings: string[];
}

const count = (n: number) => Math.floor(n).toLocaleString('en-US');

/** Operations one Redis core runs per second: the better of two lower bounds (see docs/capacity.md). */
export function redisPerCore(perSecond: number, cpuUs: number | null): number {
  return cpuUs !== null && cpuUs > 0 ? Math.max(perSecond, 1e6 / cpuUs) : perSecond;
}

/**
 * Status polls per second of `waiting` buyers in line while the room admits `admitPerSecond`: each
 * polls every `pollAfterMs(ahead, rate)`, the service's own rule. Past the ahead where that reaches
 * its ceiling every waiter polls once per MAX_POLL_AFTER_MS, so the loop stops there.
 */
export function waitingPollsPerSecond(waiting: number, admitPerSecond: number): number {
  let rate = 0;
  for (let ahead = 0; ahead < waiting; ahead++) {
    const ms = pollAfterMs(ahead, admitPerSecond);
    if (ms >= MAX_POLL_AFTER_MS) return rate + ((waiting - ahead) * 1000) / MAX_POLL_AFTER_MS;
    rate += 1000 / ms;
  }
  return rate;
}

/** The peak join rate of the arrival curve: the busier of the two spans. */
export function peakJoinRate(input: PlanInput): number {
  const before = input.buyers * input.prestartShare;
  const after = input.buyers - before;
  return Math.max(before / input.leadSeconds, after / input.rampSeconds);
}

export function planCapacity(input: PlanInput, figures: MeasuredFigures): Plan {
  const warnings: string[] = [];
  const joins = peakJoinRate(input);
  const waitingPolls = waitingPollsPerSecond(input.buyers, input.admitPerSecond);
  const admittedPolls = Math.min(input.maxActive, input.buyers) / (input.heartbeatSeconds / 3);
  const orders = input.admitPerSecond * input.conversion;
  const totalOrders = Math.ceil(input.stock / input.unitsPerOrder);
  const { cpuUs } = figures.api;
  const modelled: Record<Route, { rate: number; cpuUs: number; source: string }> = {
    challenge: {
      rate: joins,
      cpuUs: cpuUs.join + figures.pow.issueUs,
      source: 'derived: join (no proof) + issuing a challenge',
    },
    join: {
      rate: joins,
      cpuUs: cpuUs.join + figures.pow.verifyUs,
      source: 'measured join + verifying a proof',
    },
    poll: { rate: waitingPolls + admittedPolls, cpuUs: cpuUs.poll, source: 'measured' },
    checkout: { rate: orders, cpuUs: cpuUs.checkout, source: 'measured' },
    orderRead: {
      rate: orders * input.orderReadsPerOrder,
      cpuUs: cpuUs.checkout,
      source: 'bound: a checkout (one PostgreSQL read here)',
    },
  };
  const modelledRps = ROUTES.reduce((sum, route) => sum + modelled[route].rate, 0);
  const sizedRps = Math.max(input.rps, modelledRps);
  if (modelledRps > input.rps) {
    warnings.push(
      `the buyer model makes ${count(modelledRps)} requests/s at the peak, more than --rps ${count(input.rps)}: sized for the model`,
    );
  }
  const scale = sizedRps / modelledRps;
  const routes = ROUTES.map((route): RouteLoad => {
    const { rate, cpuUs: us, source } = modelled[route];
    const sized = rate * scale;
    return { route, modelled: rate, sized, cpuUs: us, source, cores: (sized * us) / 1e6 };
  });
  const apiCores = routes.reduce((sum, r) => sum + r.cores, 0);
  const apiProcesses = Math.max(MINIMUM.api, Math.ceil(apiCores * input.headroom));
  const perSecond: Record<Route, number> = {
    challenge: figures.api.perSecond.join,
    join: figures.api.perSecond.join,
    poll: figures.api.perSecond.poll,
    checkout: figures.api.perSecond.checkout,
    orderRead: figures.api.perSecond.checkout,
  };
  const byMeasuredRate = Math.ceil(
    routes.reduce((sum, r) => sum + r.sized / perSecond[r.route], 0) * input.headroom,
  );

  // The hot sale's shard: every key of a sale is in one slot, so one Redis core serves all of it.
  const joinsPerCore = redisPerCore(figures.redis.joinsPerSecond, figures.redis.joinCpuUs);
  const reservesPerCore = redisPerCore(figures.redis.reservesPerSecond, figures.redis.reserveCpuUs);
  const sizedJoins = joins * scale;
  const sizedOrders = orders * scale;
  const joinLike =
    sizedJoins +
    apiProcesses * API_BACKGROUND_REDIS_PER_SECOND +
    sizedOrders * 1 + // the worker reads the hold
    (input.sticky ? 0 : (waitingPolls + admittedPolls) * scale);
  // A checkout reserves, the worker confirms: two scripts of the reserve's weight per order.
  const saleShardLoad = joinLike / joinsPerCore + (2 * sizedOrders) / reservesPerCore;
  const saleShardFits = saleShardLoad * input.headroom <= 1;
  const otherLoad = saleShardLoad - sizedJoins / joinsPerCore;
  const maxJoinsPerSecond = Math.max(0, (1 / input.headroom - otherLoad) * joinsPerCore);
  const minArrivalSeconds =
    maxJoinsPerSecond > 0 ? input.buyers / maxJoinsPerSecond : Number.POSITIVE_INFINITY;
  // A sale of one part lives on one shard. Split into K parts (one per master), each shard carries a
  // K-th of the buyers' load plus every API process's background reads of its part.
  const background = (apiProcesses * API_BACKGROUND_REDIS_PER_SECOND) / joinsPerCore;
  const loadOfPart = (k: number) => (saleShardLoad - background) / k + background;
  let parts = 1;
  while (parts < SALE_LIMITS.parts.max && loadOfPart(parts) * input.headroom > 1) parts += 1;
  const partLoad = loadOfPart(parts);
  // The sale's parts on their masters; the BullMQ queues' shard (one hash tag) and other sales share them.
  const masters = Math.max(MINIMUM.redisMasters, parts);
  const needs = `at the peak it needs ${(saleShardLoad * input.headroom).toFixed(2)} cores with the headroom`;
  if (partLoad * input.headroom > 1) {
    warnings.push(
      `even split into ${parts} parts the sale's shards exceed the headroom (${partLoad.toFixed(2)} core each): ` +
        "the API processes' background reads of each part outweigh one core; fewer, larger API processes or a longer arrival",
    );
  } else if (!saleShardFits) {
    const orSlower =
      maxJoinsPerSecond === 0
        ? 'one shard exceeds the headroom even without joins (polls, orders, snapshot reads)'
        : `on one shard, keep joins under ${count(maxJoinsPerSecond)}/s (the ${count(input.buyers)} buyers over ` +
          `at least ${count(Math.ceil(minArrivalSeconds))} s)`;
    warnings.push(
      `one Redis shard (one core) cannot carry this sale: ${needs}. Publish it with parts: ${parts} ` +
        `(${parts} masters, ${partLoad.toFixed(2)} core each; docs/parts.md); otherwise ${orSlower}`,
    );
  }

  const workersNeeded = (sizedOrders * input.headroom) / figures.worker.ordersPerSecond;
  return {
    input,
    routes,
    modelledRps,
    sizedRps,
    polls: { waiting: waitingPolls, admitted: admittedPolls },
    peakJoinsPerSecond: sizedJoins,
    ordersPerSecond: sizedOrders,
    totalOrders,
    selloutSeconds: totalOrders / orders,
    api: { cores: apiCores, processes: apiProcesses, byMeasuredRate },
    redis: {
      joinsPerCore,
      reservesPerCore,
      saleShardLoad,
      saleShardFits,
      parts,
      partLoad,
      maxJoinsPerSecond,
      minArrivalSeconds,
      masters,
    },
    workers: { needed: workersNeeded, processes: Math.max(MINIMUM.workers, Math.ceil(workersNeeded)) },
    postgres: {
      ordersPerSecond: sizedOrders,
      writesPerSecond: sizedOrders * PG_WRITES_PER_ORDER,
      totalWrites: totalOrders * PG_WRITES_PER_ORDER,
    },
    warnings,
  };
}

/** The limits the plan's inputs must respect (the CLI refuses anything outside them). */
export const INPUT_LIMITS = {
  rps: { min: 1, max: 1e9 },
  buyers: { min: 1, max: 1e9 },
  stock: SALE_LIMITS.totalStock,
  headroom: { min: 1, max: 10 },
  admitPerSecond: SALE_LIMITS.admission.perSecond,
  maxActive: SALE_LIMITS.admission.maxActive,
  heartbeatSeconds: { min: 5, max: 86_400 },
  prestartShare: { min: 0, max: 1 },
  leadSeconds: { min: 1, max: 86_400 },
  rampSeconds: { min: 1, max: 86_400 },
  unitsPerOrder: SALE_LIMITS.perUserLimit,
  conversion: { min: 0.001, max: 1 },
  orderReadsPerOrder: { min: 0, max: 1000 },
} as const;
