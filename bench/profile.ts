/**
 * Where a CPU profile's time went:
 *   npx tsx bench/profile.ts <file.cpuprofile> [--top 25] [--from S] [--to S] [--timeline]
 * Prints self time per function (with its file) and per package or project folder, as shares of
 * the sampled time; `--from`/`--to` keep the samples between those seconds of the profile (one
 * route's run out of a whole bench), and `--timeline` prints the busy share of each second to find
 * them. Profiles come from `node --cpu-prof`, e.g. `BENCH_CPU_PROF_DIR=/tmp/prof npx tsx
 * bench/http.ts`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    from: { type: 'string', default: '0' },
    to: { type: 'string', default: 'Infinity' },
    timeline: { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npx tsx bench/profile.ts <file.cpuprofile> [--top 25]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

/** Self time per node id, in µs: each sample's delta goes to the node it landed in. */
const self = new Map<number, number>();
const fromUs = Number(values.from) * 1e6;
const toUs = Number(values.to) * 1e6;
const idleId = profile.nodes.find((node) => node.callFrame.functionName === '(idle)')?.id;
const busyPerSecond: number[] = [];
let at = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  const second = Math.floor(at / 1e6);
  if (id !== idleId) busyPerSecond[second] = (busyPerSecond[second] ?? 0) + delta;
  if (at < fromUs || at > toUs) return;
  self.set(id, (self.get(id) ?? 0) + delta);
});
if (values.timeline) {
  console.log('second: busy share');
  busyPerSecond.forEach((us, second) => {
    console.log(
      `${String(second).padStart(4)}: ${'#'.repeat(Math.round((us ?? 0) / 25_000))} ${Math.round((us ?? 0) / 1e4)} %`,
    );
  });
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** A package name, a project folder (src/http), or what V8 calls the frame ((garbage collector)…). */
function placeOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  const own = url.match(/\/(src\/[^/]+|bench|test)\//);
  return own ? (own[1] as string) : url;
}

const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
  const where = url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
  const place = placeOf(url, functionName);
  places.set(place, (places.get(place) ?? 0) + us);
}

const top = Number(values.top);
const share = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time by package or folder`);
for (const [place, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${share(us)}  ${place}`);
}
console.log('\nself time by function');
for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${share(us)}  ${fn}`);
}

/**
 * Inclusive time of the project's own functions (src/): the function and everything it called.
 * A function that appears several times on one stack (recursion) is counted once per stack.
 */
const inclusive = new Map<string, number>();
const root = profile.nodes[0] as ProfileNode;
const walk = (node: ProfileNode, onStack: Set<string>): number => {
  let us = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = url.includes('/src/')
    ? `${functionName || '(anonymous)'}  ${url.replace(/^.*\/src\//, 'src/')}:${lineNumber + 1}`
    : null;
  const fresh = key !== null && !onStack.has(key);
  if (fresh) onStack.add(key);
  for (const child of node.children ?? []) us += walk(byId.get(child) as ProfileNode, onStack);
  if (fresh) {
    onStack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
  return us;
};
walk(root, new Set());
console.log('\ninclusive time of project functions (src/)');
for (const [fn, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${share(us)}  ${fn}`);
}
