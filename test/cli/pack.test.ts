/**
 * The package as a user gets it: `npm pack` this project, install the tarball into an empty directory
 * (dependencies from the npm registry or its local cache), then run the installed `flashsale` there:
 * `--help`, and `start` in the embedded shape until it answers /healthz and stops on SIGTERM. Proves
 * the package runs compiled JavaScript without tsx and ships every file the code reads at run time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, type Followed, ROOT, run } from './compiled.ts';

/** npm downloads the dependencies (or takes them from its cache): minutes on a slow day. */
const INSTALL_TIMEOUT_MS = 600_000;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe('the packed package, installed elsewhere', () => {
  let dir = '';
  let app = '';
  let start: Followed | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flashsale-pack-'));
    app = join(dir, 'app');
    await mkdir(app);
    // npm pack runs `prepare`, which builds dist/ when the sources changed.
    npm(['pack', '--pack-destination', dir], ROOT);
    const [tarball] = (await readdir(dir)).filter((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    await writeFile(join(app, 'package.json'), '{ "name": "pack-test", "private": true }\n');
    npm(['install', join(dir, tarball as string), '--no-audit', '--no-fund', '--prefer-offline'], app);
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    start?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships every file src/ reads at run time, compiled, and no TypeScript', async () => {
    const installed = join(app, 'node_modules/flashsale');
    const shipped = new Set(await filesUnder(join(installed, 'dist')));
    for (const source of await filesUnder(join(ROOT, 'src'))) {
      const expected = source.endsWith('.ts') ? source.replace(/\.ts$/, '.js') : source;
      expect(shipped, `dist/${expected}`).toContain(expected);
    }
    expect([...shipped].filter((file) => file.endsWith('.ts'))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
  });

  it('flashsale --help lists the commands', async () => {
    const help = run(join(app, 'node_modules/.bin/flashsale'), ['--help'], { cwd: app, env: bareEnv({}) });
    expect(await help.exited).toEqual({ code: 0, signal: null });
    for (const name of ['start', 'serve', 'worker', 'migrate', 'sale', 'audit', 'simulate']) {
      expect(help.output).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });

  it('flashsale start serves the demo sale, then exits 0 on SIGTERM', async () => {
    const data = join(dir, 'data');
    start = run(join(app, 'node_modules/.bin/flashsale'), ['start'], {
      cwd: app,
      env: bareEnv({
        PORT: '0',
        FLASHSALE_DATA_DIR: join(data, 'pglite'),
        FLASHSALE_OUTBOX: join(data, 'outbox.jsonl'),
        // On a busy test machine the event loop lags while the service starts; load shedding (503
        // OVERLOADED) has its own tests, here it would only hide whether the pages shipped.
        FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000',
      }),
    });
    const [, api] = await start.waitFor(/API\s+(http:\/\/[\d.]+:\d+)\/api\/v1/);
    await start.waitFor(/Ctrl-C stops it/);
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    // The storefront reads its pages and assets from dist/web: the demo sale's page renders.
    const [, salePage] = start.output.match(/Storefront\s+(\S+)/) ?? [];
    const page = await fetch(salePage as string);
    const html = await page.text();
    expect({ status: page.status, html }).toMatchObject({
      status: 200,
      html: expect.stringContaining('Limited sneakers'),
    });
    // PGlite ran its migrations from dist/db/migrations, in the directory it was given.
    expect(existsSync(join(data, 'pglite'))).toBe(true);

    start.child.kill('SIGTERM');
    expect(await start.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
