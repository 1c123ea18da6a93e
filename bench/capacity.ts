/**
 * Distils the latest rows of bench/results.jsonl into src/capacity/measured.json, the figures
 * `flashsale capacity` plans with: API CPU µs per request and req/s per route (http.ts, production
 * shape), proof-of-work issue and verify µs (pow.ts), Redis joins and reserves per core (engine.ts),
 * orders persisted per second by one worker (pipeline.ts, production, group commit). Run the bench
 * scripts on the machine to plan for, then this:
 *   npx tsx bench/capacity.ts [--check]
 * `--check` prints what it would write and writes nothing. Fails when a figure has no row yet.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { MeasuredFigures } from '../src/capacity/plan.ts';
import type { Row } from './lib.ts';

interface Run {
  suite: string;
  at: string;
  args?: string[];
  machine: MeasuredFigures['machine'];
  rows: Row[];
}

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const RESULTS = new URL('./results.jsonl', import.meta.url);
const TARGET = new URL('../src/capacity/measured.json', import.meta.url);

const runs: Run[] = readFileSync(RESULTS, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Run);

const used = new Map<Run, string>();

/** The latest run of `suite` holding a row whose name includes `name` (and, with `cpu`, a CPU figure). */
function latest(suite: string, name: string, cpu = false): { run: Run; row: Row } {
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i] as Run;
    if (run.suite !== suite) continue;
    const row = run.rows.find((r) => r.name.includes(name) && (!cpu || typeof r.cpuUs === 'number'));
    if (row === undefined) continue;
    // Runs from before bench/lib.ts recorded the arguments say so rather than pass for defaults.
    const args = run.args === undefined ? ' (arguments not recorded)' : run.args.map((a) => ` ${a}`).join('');
    used.set(run, `npx tsx bench/${suite}.ts${args}`);
    return { run, row };
  }
  throw new Error(
    `bench/results.jsonl has no ${suite} row "${name}"${cpu ? ' with CPU µs' : ''}: run bench/${suite}.ts`,
  );
}

const http = (route: string) => latest('http', `production: ${route}`, true).row;
const salePage = http('GET /sales/:id (');
const join = http('POST /sales/:id/queue');
const poll = http('GET /sales/:id/queue');
const checkout = http('POST /sales/:id/checkout');
const httpRun = latest('http', 'production: POST /sales/:id/checkout', true).run;
const baseline = httpRun.rows.find((r) => r.name.startsWith('baseline'));
const load = /load average ([\d.]+)/.exec(baseline?.note ?? '')?.[1];

/** µs per call, from a pow row's note ("26.44 µs per call"), else from its rate. */
const powUs = (name: string) => {
  const row = latest('pow', name).row;
  const noted = /([\d.]+) µs per call/.exec(row.note ?? '')?.[1];
  return noted !== undefined ? Number(noted) : 1e6 / row.perSecond;
};

const redisJoin = latest('engine', 'redis join').row;
const redisReserve = latest('engine', 'redis reserve').row;
const worker = latest(
  'pipeline',
  'production (Redis + BullMQ + PostgreSQL): orders persisted, group commit',
).row;
const issueUs = powUs('service: issue');
const verifyUs = powUs('service: verify');
const cpu = (row: Row) => (typeof row.cpuUs === 'number' && row.cpuUs > 0 ? row.cpuUs : null);

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const figures: MeasuredFigures = {
  machine: httpRun.machine,
  loadAverage: load === undefined ? null : Number(load),
  sources: [...used].map(([run, command]) => ({ suite: run.suite, at: run.at, command })),
  api: {
    baselineCpuUs: baseline && typeof baseline.cpuUs === 'number' ? round(baseline.cpuUs) : null,
    cpuUs: {
      salePage: round(salePage.cpuUs as number),
      join: round(join.cpuUs as number),
      poll: round(poll.cpuUs as number),
      checkout: round(checkout.cpuUs as number),
    },
    perSecond: {
      salePage: round(salePage.perSecond),
      join: round(join.perSecond),
      poll: round(poll.perSecond),
      checkout: round(checkout.perSecond),
    },
  },
  pow: { issueUs: round(issueUs), verifyUs: round(verifyUs) },
  redis: {
    joinsPerSecond: round(redisJoin.perSecond),
    reservesPerSecond: round(redisReserve.perSecond),
    joinCpuUs: cpu(redisJoin) === null ? null : round(cpu(redisJoin) as number, 2),
    reserveCpuUs: cpu(redisReserve) === null ? null : round(cpu(redisReserve) as number, 2),
  },
  worker: { ordersPerSecond: round(worker.perSecond) },
};

const text = `${JSON.stringify(figures, null, 2)}\n`;
if (values.check) console.log(text);
else {
  writeFileSync(TARGET, text);
  console.log(`wrote ${TARGET.pathname} from ${used.size} runs:`);
  for (const [run, command] of used) console.log(`  ${run.suite} ${run.at}: ${command}`);
}
