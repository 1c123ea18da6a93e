/**
 * `npm test` after the checks: the vitest suite in two lanes at once, each a vitest run of its own
 * that runs its files one at a time (vitest.config.ts). The outage, browser and CLI files spend much
 * of their time waiting (a PostgreSQL stopped for 30 s, a Redis restarted, a page polling, a process
 * starting), so they run beside the rest instead of after it: on a 2-core machine the suite took
 * 19 min one file at a time and about 15 in two lanes. Every file isolates its data (its own key
 * prefix, schema or server), so the lanes do not meet; the files that build dist/ (test/cli) share
 * one lane, so two builds never overlap.
 *
 * With arguments (`npm test -- test/unit`), one plain vitest run of just those.
 * Exit code: 0 when every lane passed.
 */
import { spawn } from 'node:child_process';

const VITEST = ['node_modules/vitest/vitest.mjs', 'run'];
const WAITING = ['test/chaos', 'test/durability', 'test/e2e', 'test/cli'];

const args = process.argv.slice(2);
const lanes =
  args.length > 0
    ? [{ name: '', args }]
    : [
        { name: 'outages+browsers+cli', args: WAITING },
        { name: 'main', args: WAITING.flatMap((dir) => ['--exclude', `${dir}/**`]) },
      ];

const started = Date.now();
const results = await Promise.all(
  lanes.map(
    (lane) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [...VITEST, ...lane.args], {
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
        child.on('close', (code, signal) => resolve({ lane, code: code ?? 1, signal, summary }));
      }),
  ),
);

if (lanes.length > 1) {
  console.log(`\nlanes finished in ${Math.round((Date.now() - started) / 1000)} s`);
  for (const { lane, code, signal, summary } of results) {
    console.log(`  ${lane.name}: ${code === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`}`);
    for (const line of summary) console.log(`    ${line}`);
  }
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
