#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx flashsale …` works without a build step.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
// A process manager sends SIGTERM to this wrapper only: pass it on, so `serve` and `worker` shut down
// gracefully. Ctrl-C already reaches the child (the terminal signals the whole process group): wait
// for it instead of signalling it a second time, which would force its exit.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
