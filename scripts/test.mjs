/**
 * `npm test` after the checks: the vitest suite in two lanes at once, each a vitest run of its own
 * that runs its files one at a time (vitest.config.ts). The outage, browser and CLI files spend much
 * of their time waiting (a PostgreSQL stopped for 30 s, a Redis restarted, a page polling, a process
 * starting), so they run beside the rest instead of after it: on a 2-core machine the suite took
 * 19 min one file at a time and about 15 in two lanes. Every file isolates its data (its own key
 * prefix, schema or server), so the lanes do not meet; the files that build dist/ (test/cli) share
 * one lane, so two builds never overlap.
 *
 * The chaos files (test/chaos) open that lane as a vitest run of their own whose files run at once:
 * each scenario has its own servers, key prefix and schema, and spends most of its time in an outage
 * it waits out, so together they take about as long as the longest (the suite's own time is printed).
 *
 * The bot test (test/protection/bots.test.ts, ~3 minutes of hashing) runs in that lane too: the rest
 * had ~6 minutes more to run than it once the chaos files ran at once. So does the engine
 * differential test (test/contract/engine.differential.test.ts, ~65 s): on a slower 2-core machine
 * the main lane took 826 s and this one 708.
 *
 * With arguments (`npm test -- test/unit`), one plain vitest run of just those.
 * Exit code: 0 when every lane passed.
 */
import { spawn } from 'node:child_process';

const VITEST = ['node_modules/vitest/vitest.mjs', 'run'];
const CHAOS = ['test/chaos', '--fileParallelism', '--maxWorkers', '5', '--minWorkers', '1'];
const WAITING = [
  'test/durability',
  'test/e2e',
  'test/cli',
  'test/protection/bots.test.ts',
  'test/contract/engine.differential.test.ts',
];
const OWN_LANE = ['test/chaos', ...WAITING];
/** The main lane leaves out the other lane's folders and files. */
const excluded = (path) => ['--exclude', path.endsWith('.ts') ? path : `${path}/**`];

const args = process.argv.slice(2);
/** A lane runs its steps (vitest runs) one after another. */
const lanes =
  args.length > 0
    ? [{ name: '', steps: [args] }]
    : [
        { name: 'outages+browsers+cli', steps: [CHAOS, WAITING] },
        { name: 'main', steps: [OWN_LANE.flatMap(excluded)] },
      ];

const started = Date.now();
/** One vitest run; every output line prefixed with its lane. Resolves with its exit code and summary. */
function vitest(lane, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...VITEST, ...args], {
      stdio: lane.name === '' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    });
    const summary = [];
    if (lane.name !== '') {
      // Each line carries its lane, so the interleaved output still reads file by file.
      for (const stream of [child.stdout, child.stderr]) {
        let rest = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) {
            process.stdout.write(`[${lane.name}] ${line}\n`);
            if (/^\s*(Test Files|Tests|Duration)\s/.test(line)) summary.push(line.trim());
          }
        });
      }
    }
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, summary }));
  });
}

const results = await Promise.all(
  lanes.map(async (lane) => {
    const steps = [];
    for (const args of lane.steps) {
      const stepStarted = Date.now();
      const result = await vitest(lane, args);
      steps.push({ ...result, what: args[0], seconds: Math.round((Date.now() - stepStarted) / 1000) });
    }
    return { lane, steps, code: steps.every((s) => s.code === 0) ? 0 : 1 };
  }),
);

if (lanes.length > 1) {
  console.log(`\nlanes finished in ${Math.round((Date.now() - started) / 1000)} s`);
  for (const { lane, steps, code } of results) {
    console.log(`  ${lane.name}: ${code === 0 ? 'passed' : 'FAILED'}`);
    for (const step of steps) {
      const how = step.code === 0 ? 'passed' : `FAILED (${step.signal ?? `exit ${step.code}`})`;
      if (steps.length > 1) console.log(`   ${step.what}…: ${how} in ${step.seconds} s`);
      for (const line of step.summary) console.log(`    ${line}`);
    }
  }
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
