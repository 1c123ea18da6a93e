#!/usr/bin/env node
// The `flashsale` command: the compiled CLI, run in this very process, so that a process manager's
// SIGTERM reaches the service itself. dist/ ships in the package; in a checkout `npm install` (or
// `npm run build`) makes it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('flashsale: dist/ is missing; in a checkout of the sources, run `npm run build` first');
  process.exit(1);
}
await import(main.href);
