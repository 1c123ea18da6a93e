/**
 * `npm run bench`: every bench script, one after the other, each in its own process so that one's
 * servers and caches do not skew the next. Each prints its table and ratios and appends to
 * bench/results.jsonl.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scripts = ['engine.ts', 'pipeline.ts', 'http.ts', 'pow.ts'];
// Every process of the run (the benches and the servers they start) gets the V8 flag the Dockerfile
// sets for the deployed processes, so the numbers are those of the deployed configuration.
const NODE_OPTIONS = [process.env.NODE_OPTIONS, '--max-semi-space-size=64'].filter(Boolean).join(' ');
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== bench/${script} ===`);
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS },
  });
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
