/**
 * `npm run build`: compiles src/ to dist/ (tsconfig.build.json, incremental) and copies every other
 * file under src/ — the Lua scripts, the SQL migrations, the web pages and assets, which the code
 * reads next to itself through import.meta.url — to the same place under dist/. Files whose source is
 * gone are removed from dist/.
 *
 * When nothing under src/ (nor the build's own configuration) changed since the last build, it does
 * nothing: `npm start` runs it every time, so an edited src/ is never run stale. `--force` rebuilds.
 * Plain JavaScript, run by node alone: it is what builds the TypeScript.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Written last, dated when the build began: a source saved during the build is newer, so it counts. */
const STAMP = join(DIST, '.build-stamp');
const BUILD_INFO = join(DIST, '.tsbuildinfo');
const CONFIGURATION = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.mjs'];

/** Every file and directory under `dir` (a directory's date changes when an entry is added or removed). */
function walk(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    found.push(path);
    if (entry.isDirectory()) found.push(...walk(path));
  }
  return found;
}

function upToDate() {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  const inputs = [SRC, ...walk(SRC), ...CONFIGURATION.map((name) => join(ROOT, name))];
  return inputs.every((path) => statSync(path).mtimeMs <= built);
}

function compile() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    console.error('build: typescript is not installed (a devDependency): run `npm install` first');
    process.exit(1);
  }
  const run = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    console.error('build: tsc failed; dist/ is not up to date');
    process.exit(run.status ?? 1);
  }
}

const isTypeScript = (path) => path.endsWith('.ts');

/** Copies every non-TypeScript file of src/ to dist/, same layout. */
function copyAssets() {
  for (const path of walk(SRC)) {
    if (isTypeScript(path) || statSync(path).isDirectory()) continue;
    const target = join(DIST, relative(SRC, path));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
  }
}

/** Removes what dist/ holds for a source that no longer exists (tsc only ever adds). */
function removeOrphans() {
  for (const path of walk(DIST).reverse()) {
    if (path === STAMP || path === BUILD_INFO) continue;
    const rel = relative(DIST, path);
    if (statSync(path).isDirectory()) {
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    // A .js file is tsc's output of a .ts source, or a browser script copied as it is.
    const sources = [rel, ...(rel.endsWith('.js') ? [`${rel.slice(0, -'.js'.length)}.ts`] : [])];
    if (!sources.some((source) => existsSync(join(SRC, source)))) rmSync(path);
  }
}

const force = process.argv.includes('--force');
if (force) rmSync(DIST, { recursive: true, force: true });
if (!force && upToDate()) process.exit(0);

const began = new Date();
rmSync(STAMP, { force: true });
compile();
copyAssets();
removeOrphans();
writeFileSync(STAMP, `${began.toISOString()}\n`);
utimesSync(STAMP, began, began);
console.error(`build: compiled src/ to dist/ (${((Date.now() - began.getTime()) / 1000).toFixed(1)} s)`);
