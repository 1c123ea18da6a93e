/** The run's report: what happened (JSON, also what the HTML page is drawn from) and its summary text. */
import type { BotCrowd, BotFigures } from './bots.ts';
import type { Outcome } from './buyers.ts';
import { type FairnessFigure, fairness, spearman } from './fairness.ts';
import type { Percentiles } from './histogram.ts';
import { ROUTES, type Route } from './http.ts';
import { type Check, checkInvariants, formatChecks } from './invariants.ts';
import type { SimOptions } from './options.ts';
import type { Simulation } from './runner.ts';
import type { SaleInfo, Stats } from './sale.ts';
import { describeFailure, type StopReason, stopReasonOf } from './stopReason.ts';

export interface SimReport {
  version: 1;
  runId: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: Omit<SimOptions, 'adminKey' | 'userSecret'> & { userTokens: 'visitors' | 'signed' };
  sale: SaleInfo;
  requests: {
    total: number;
    perSecond: number;
    retries: number;
    byRoute: Record<Route, Percentiles>;
    statuses: Record<string, number>;
  };
  schedulerLag: Percentiles;
  simulator: { cpuSeconds: number; eventLoopUtilization: number; maxRssMiB: number };
  /** What held the run back, judged from the simulator's own load and how long due requests waited. */
  limitedBy: string;
  outcomes: Record<Outcome, number>;
  counts: Record<string, number>;
  /** Per second since the run began: client-side events, and server stats sampled about every second. */
  series: {
    client: Record<string, number[]>;
    server: { t: number[]; waiting: number[]; admitted: number[]; active: number[]; sold: number[] };
    inLine: Array<[number, number]>;
  };
  fairness: FairnessFigure & {
    prestart: { purchasers: number; spearman: number | null };
    afterStart: { purchasers: number; spearman: number | null };
  };
  stats: { initial: Stats | null; final: Stats | null };
  /** Who got the stock: the buyers or the bot crowd (`--bots`), in admissions and confirmed units. */
  stock: StockShares;
  /** The bot crowd's figures; null without --bots. */
  bots: BotFigures | null;
  invariants: Check[];
  ok: boolean;
  /** Why the run stopped: every buyer finished, or the abort, with the first failing call and a hint. */
  stop: StopReason;
}

export interface StockShares {
  admissions: { buyers: number; bots: number };
  units: { buyers: number; bots: number };
  /** The buyers' share of admissions and of units; null when there were none. */
  buyersShareOfAdmissions: number | null;
  buyersShareOfUnits: number | null;
  /** What a fair lottery among the identities that joined would give the buyers. */
  lotteryShare: number | null;
}

export interface RunFacts {
  sim: Simulation;
  /** The bot crowd, when the run had one. */
  bots?: BotCrowd | null;
  options: SimOptions;
  startedAt: Date;
  finishedAt: Date;
  initial: Stats | null;
  final: Stats | null;
  cpuSeconds: number;
  eventLoopUtilization: number;
  maxRssMiB: number;
  /** (seconds, buyers in line) sampled by the progress ticker. */
  inLine: Array<[number, number]>;
}

const sumCounts = (counts: Map<string, number>, prefix: string) =>
  [...counts].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);

const round4 = (n: number | null) => (n === null ? null : Math.round(n * 10_000) / 10_000);

function fairnessOf(sim: Simulation): SimReport['fairness'] {
  const all: [number[], number[]] = [[], []];
  const before: [number[], number[]] = [[], []];
  const after: [number[], number[]] = [[], []];
  for (let i = 0; i < sim.buyers.length; i++) {
    const p = sim.purchaseRank[i] as number;
    const j = sim.joinRank[i] as number;
    if (p === 0 || j === 0) continue;
    for (const [js, ps] of [all, sim.joinedBeforeStart[i] ? before : after]) {
      js.push(j);
      ps.push(p);
    }
  }
  return {
    ...fairness({ joinRanks: all[0], purchaseRanks: all[1] }),
    prestart: { purchasers: before[0].length, spearman: round4(spearman(before[0], before[1])) },
    afterStart: { purchasers: after[0].length, spearman: round4(spearman(after[0], after[1])) },
  };
}

/**
 * Buyers refused with 503 (a shedding or failing service) come back after a jittered backoff, so they
 * learn of their turn, and purchase, in their retries' order as much as in their join order: a low
 * Spearman figure then says so rather than that the line was unfair.
 */
export function shedNote(statuses: Record<string, number>): string {
  const refused = Object.entries(statuses)
    .filter(([k]) => k.endsWith(' 503'))
    .reduce((n, [, v]) => n + v, 0);
  return refused === 0 ? '' : `; ${int(refused)} answers were 503, and retries reorder purchases`;
}

export function limitedBy(eventLoopUtilization: number, lagP99Ms: number, connections: number): string {
  if (eventLoopUtilization > 0.85) {
    return `the simulator: its event loop was ${Math.round(eventLoopUtilization * 100)} % busy`;
  }
  if (lagP99Ms > 250) {
    return (
      `the service: all ${connections} connections were often busy and due requests waited ` +
      `up to ${Math.round(lagP99Ms)} ms (p99) for one, while the simulator had CPU to spare`
    );
  }
  return `neither: requests went out on schedule (p99 lag ${Math.round(lagP99Ms)} ms)`;
}

export function stockShares(
  buyers: { admissions: number; units: number; joined: number },
  bots: BotFigures | null,
): StockShares {
  const share = (mine: number, theirs: number) =>
    mine + theirs === 0 ? null : round4(mine / (mine + theirs));
  const botAdmissions = bots?.admitted ?? 0;
  const botUnits = bots?.units ?? 0;
  return {
    admissions: { buyers: buyers.admissions, bots: botAdmissions },
    units: { buyers: buyers.units, bots: botUnits },
    buyersShareOfAdmissions: share(buyers.admissions, botAdmissions),
    buyersShareOfUnits: share(buyers.units, botUnits),
    lotteryShare: share(buyers.joined, bots?.joined ?? 0),
  };
}

export function buildReport(f: RunFacts): SimReport {
  const { sim, options } = f;
  const bots = f.bots ?? null;
  const orders = [
    ...sim.buyers.flatMap((b) => b.orders.map((o) => ({ buyer: b.index, ...o }))),
    ...(bots?.orders ?? []),
  ];
  const botFigures = bots?.report() ?? null;
  const units = sim.buyers.reduce(
    (n, b) => n + b.orders.reduce((m, o) => m + (o.status === 'confirmed' ? o.quantity : 0), 0),
    0,
  );
  const joined = sim.joinRank.reduce((n, r) => n + (r === 0 ? 0 : 1), 0);
  const invariants = checkInvariants({
    buyers: sim.buyers.length,
    unfinished: sim.outcomes.unfinished,
    perUserLimit: sim.sale.perUserLimit,
    initial: f.initial,
    final: f.final,
    answers: bots === null ? sim.answers : [...sim.answers, ...bots.answers],
    orders,
    resendRefused: sumCounts(sim.counts, 'resend '),
    quantityMismatches: sim.counts.get('order quantity differs from checkout') ?? 0,
  });
  const durationSeconds = (f.finishedAt.getTime() - f.startedAt.getTime()) / 1000;
  const { adminKey: _a, userSecret, ...rest } = options;
  const samples = sim.samples;
  return {
    version: 1,
    runId: sim.runId,
    target: options.url,
    startedAt: f.startedAt.toISOString(),
    finishedAt: f.finishedAt.toISOString(),
    durationSeconds: Math.round(durationSeconds * 10) / 10,
    options: { ...rest, userTokens: userSecret === null ? 'visitors' : 'signed' },
    sale: sim.sale,
    requests: {
      total: sim.http.requests,
      perSecond: Math.round(sim.http.requests / Math.max(0.001, durationSeconds)),
      retries: sim.retries,
      byRoute: Object.fromEntries(ROUTES.map((r) => [r, sim.http.latency[r].summary()])) as Record<
        Route,
        Percentiles
      >,
      statuses: Object.fromEntries([...sim.http.statuses].sort()),
    },
    schedulerLag: sim.lag.summary(),
    simulator: {
      cpuSeconds: Math.round(f.cpuSeconds * 10) / 10,
      eventLoopUtilization: Math.round(f.eventLoopUtilization * 1000) / 1000,
      maxRssMiB: f.maxRssMiB,
    },
    limitedBy: limitedBy(f.eventLoopUtilization, sim.lag.quantile(0.99), options.connections),
    outcomes: { ...sim.outcomes },
    counts: Object.fromEntries([...sim.counts].sort()),
    series: {
      client: { ...sim.http.perSecond.toJSON(), ...sim.events.toJSON() },
      server: {
        t: samples.map((s) => Math.round(s.t / 100) / 10),
        waiting: samples.map((s) => s.queue.waiting),
        admitted: samples.map((s) => s.queue.admitted),
        active: samples.map((s) => s.queue.active),
        sold: samples.map((s) => s.stock.sold),
      },
      inLine: f.inLine,
    },
    fairness: fairnessOf(sim),
    stats: { initial: f.initial, final: f.final },
    stock: stockShares({ admissions: sim.admissions, units, joined }, botFigures),
    bots: botFigures,
    invariants,
    ok: invariants.every((c) => c.ok),
    stop: stopReasonOf({
      abortReason: sim.abortReason,
      errors: sim.outcomes.error,
      firstFailure: sim.firstFailure,
    }),
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number | null) => (n === null ? 'n/a' : `${(n * 100).toFixed(1)} %`);

/** Who got the stock, and what stopped the bots: the summary's lines when the run had a bot crowd. */
export function botLines(r: Pick<SimReport, 'bots' | 'stock'>): string[] {
  const b = r.bots;
  if (b === null) return [];
  const s = r.stock;
  const refusals = Object.entries(b.refusals)
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(' · ');
  return [
    `  bots: ${int(b.identities)} identities from ${b.sourceAddress ?? 'the system address'}: minted ${int(b.minted)}, ` +
      `skipped the challenge ${int(b.skipped)}, joined ${int(b.joined)}, admitted ${int(b.admitted)}, units ${int(b.units)}`,
    `  who got the stock: admissions buyers ${int(s.admissions.buyers)} / bots ${int(s.admissions.bots)} ` +
      `(buyers ${pct(s.buyersShareOfAdmissions)}; a fair lottery among those who joined: ${pct(s.lotteryShare)}), ` +
      `units buyers ${int(s.units.buyers)} / bots ${int(s.units.bots)} (buyers ${pct(s.buyersShareOfUnits)})`,
    `  bot refusals: ${refusals || 'none'}`,
  ];
}

/** The run's verdict, naming the invariants that do not hold. */
export function verdict(r: Pick<SimReport, 'ok' | 'invariants'>): string {
  if (r.ok) return 'PASSED: every invariant holds';
  const failed = r.invariants.filter((c) => !c.ok).map((c) => c.name);
  return `FAILED: ${failed.length === 1 ? 'this invariant does' : 'these invariants do'} not hold: ${failed.join('; ')}`;
}

/** "stopped: …", then the first failing call and what to try, when there is one. */
export function stopLines(stop: StopReason): string[] {
  return [
    `stopped: ${stop.reason}`,
    ...(stop.firstFailure ? [`first failure: ${describeFailure(stop.firstFailure)}`] : []),
    ...(stop.hint ? [`hint: ${stop.hint}`] : []),
  ];
}

export function summaryText(r: SimReport): string {
  const outcomes = Object.entries(r.outcomes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k.replace('_', ' ')} ${int(n)}`)
    .join(' · ');
  const latency = ROUTES.map((route) => {
    const p = r.requests.byRoute[route];
    return `  ${route.padEnd(9)}${int(p.count).padStart(11)}${[p.p50, p.p95, p.p99, p.max]
      .map((v) => v.toFixed(1).padStart(9))
      .join('')}`;
  });
  const fin = r.stats.final?.stock;
  const rho = r.fairness.spearman;
  return [
    `flashsale simulate: ${int(r.options.buyers)} buyers against ${r.target}, sale ${r.sale.id} ` +
      `(${int(r.sale.totalStock)} units, ${r.sale.perUserLimit} per buyer, ${r.sale.admission.perSecond} admitted/s)`,
    `  duration ${r.durationSeconds.toFixed(1)} s · ${int(r.requests.total)} requests (${int(r.requests.perSecond)}/s) · ${int(r.requests.retries)} retries`,
    `  buyers: ${outcomes}`,
    `  units sold ${fin ? `${int(fin.sold)} of ${int(fin.total)}` : '?'} · orders confirmed ${int(r.stats.final?.orders.confirmed ?? 0)}`,
    '  latency (ms)   count      p50      p95      p99      max',
    ...latency,
    `  scheduler lag p50 ${r.schedulerLag.p50} ms, p99 ${r.schedulerLag.p99} ms · simulator CPU ${r.simulator.cpuSeconds} s, ` +
      `event loop ${Math.round(r.simulator.eventLoopUtilization * 100)} % busy, ${r.simulator.maxRssMiB} MiB`,
    `  limited by ${r.limitedBy}`,
    ...botLines(r),
    `  fairness: Spearman ${rho === null ? 'n/a' : rho.toFixed(3)} between join and purchase order ` +
      `(${int(r.fairness.purchasers)} purchasers)${shedNote(r.requests.statuses)}`,
    ...stopLines(r.stop).map((l) => `  ${l}`),
    'invariants:',
    formatChecks(r.invariants),
    verdict(r),
  ].join('\n');
}
