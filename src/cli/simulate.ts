/**
 * `flashsale simulate`: a flash sale of N virtual buyers against the real HTTP API (src/sim/), then
 * a summary, a report (JSON + HTML) and the invariants checked from outside. Exit code: 0 when every
 * invariant holds, 1 when one does not (or the run could not be made), 2 on bad options.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BotCrowd } from '../sim/bots.ts';
import { renderHtml } from '../sim/html.ts';
import { AdminClient } from '../sim/http.ts';
import { exitCodeOf } from '../sim/invariants.ts';
import { parseSimArgs, SIMULATE_USAGE, type SimOptions, UsageError } from '../sim/options.ts';
import { progressLine, startProgress } from '../sim/progress.ts';
import { buildReport, summaryText } from '../sim/report.ts';
import { Simulation } from '../sim/runner.ts';
import { checkReachable, fetchStats, prepareSale, type SaleInfo, SimError, saleAction } from '../sim/sale.ts';
import { hintFor } from '../sim/stopReason.ts';
import type { Command } from './command.ts';

function parse(args: string[]): SimOptions | number {
  try {
    return parseSimArgs(args, process.env);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!(error instanceof UsageError) && !code.startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`${(error as Error).message}\n\n${SIMULATE_USAGE}`);
    return 2;
  }
}

async function simulate(options: SimOptions, admin: AdminClient): Promise<number> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  await checkReachable(admin, options.url);
  const sale = await prepareSale(admin, options, runId);
  try {
    return await run(options, admin, sale, runId);
  } finally {
    // A sale this run created leaves the storefront when the run ends, however it ends; a sale it
    // was pointed at (--sale) is the operator's and stays as it is.
    if (sale.created) await saleAction(admin, sale.id, 'archive').catch(() => undefined);
  }
}

async function run(options: SimOptions, admin: AdminClient, sale: SaleInfo, runId: string): Promise<number> {
  const initial = await fetchStats(admin, sale.id);
  console.error(
    `simulating ${options.buyers.toLocaleString('en-US')} buyers (${options.arrival} arrival) against ` +
      `${options.url}: sale ${sale.id}${sale.created ? ' (created)' : ''}, ${sale.totalStock} units, ` +
      `${sale.perUserLimit} per buyer, ${sale.admission.perSecond} admitted/s`,
  );

  const sim = new Simulation(options, sale, admin, runId);
  // The bot crowd arrives with the buyers and stops with them (orders it placed are still followed).
  const bots = options.bots > 0 ? new BotCrowd(options, sale, runId, options.buyers, () => sim.now()) : null;
  if (bots !== null)
    console.error(
      `with ${options.bots.toLocaleString('en-US')} bot identities from ${options.botAddress ?? 'the system address'} ` +
        `(${Math.round(options.botSkip * 100)} % skip the challenge; the sale asks ${sale.powDifficulty} bits)`,
    );
  const startedAt = new Date();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const inLine: Array<[number, number]> = [];
  let maxRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    inLine.push([Math.round(sim.now() / 100) / 10, sim.waiting]);
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  }, 1000);
  const stopProgress = startProgress(sim);
  const interrupt = () => sim.abort('interrupted');
  process.once('SIGINT', interrupt);
  // Launched before the buyers' first tick: with buyers arriving at once, a tie goes to the bot, the
  // worst case for the buyers (a script fires at the drop's instant on connections already open).
  const botsDone = bots?.run() ?? Promise.resolve();
  try {
    await sim.run();
    bots?.stop();
    await botsDone;
  } finally {
    bots?.stop();
    process.off('SIGINT', interrupt);
    clearInterval(sampler);
    stopProgress();
  }
  const { utilization } = performance.eventLoopUtilization(elu);
  const used = process.cpuUsage(cpu);
  const finishedAt = new Date();
  const settleMs = sim.abortReason === null ? Math.min(60_000, sale.holdSeconds * 1000 + 5000) : 5000;
  const final = await sim.settle(settleMs);
  await sim.http.close();
  await bots?.http.close();

  const report = buildReport({
    sim,
    bots,
    options,
    startedAt,
    finishedAt,
    initial,
    final,
    cpuSeconds: (used.user + used.system) / 1e6,
    eventLoopUtilization: utilization,
    maxRssMiB: Math.round(maxRss / 2 ** 20),
    inLine,
  });
  const base = resolve(options.report);
  await mkdir(dirname(base), { recursive: true });
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.html`, renderHtml(report));
  if (sim.abortReason !== null) console.error(`run stopped early (${progressLine(sim, 0, false)})`);
  console.log(summaryText(report));
  console.log(`report: ${base}.html (and .json)`);
  return exitCodeOf(report.invariants);
}

async function runSimulate(args: string[]): Promise<number> {
  const options = parse(args);
  if (typeof options === 'number') return options;
  const admin = new AdminClient(options.url, options.adminKey ?? '');
  try {
    return await simulate(options, admin);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    console.error(`simulate: ${error.message}`);
    const hint = hintFor(error.failure === null ? null : { ...error.failure, atSeconds: 0 });
    if (hint !== null) console.error(`hint: ${hint}`);
    return 1;
  } finally {
    await admin.close();
  }
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'a flash sale of N virtual buyers against the API (--help for options)',
  help: SIMULATE_USAGE,
  run: runSimulate,
};
