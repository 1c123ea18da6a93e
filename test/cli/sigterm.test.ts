/**
 * What README.md tells a process manager to run in a checkout, `node dist/cli/main.js serve`, run
 * exactly so: SIGTERM to that process stops the service (exit 0) and frees its port, with no wrapper
 * in between to swallow the signal and no child left behind still listening.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, buildDist, type Followed, portIsFree, ROOT, run } from './compiled.ts';

const DOCUMENTED = 'node dist/cli/main.js serve';

describe('the process manager command from README.md', () => {
  let serve: Followed | undefined;
  beforeAll(() => buildDist());
  afterEach(() => serve?.kill());

  it('is the one README.md names', async () => {
    expect(await readFile(join(ROOT, 'README.md'), 'utf8')).toContain(`\`${DOCUMENTED}\``);
  });

  it('answers, then on SIGTERM exits 0 and frees its port', async () => {
    const [command, ...args] = DOCUMENTED.split(' ') as [string, ...string[]];
    serve = run(command, args, {
      cwd: ROOT,
      env: bareEnv({ PORT: '0', FLASHSALE_DATA_DIR: 'memory', FLASHSALE_LOG_LEVEL: 'warn' }),
    });
    const [, url] = await serve.waitFor(/listening on (http:\/\/[\d.]+:\d+)/);
    const port = Number(new URL(url as string).port);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await portIsFree(port)).toBe(false);

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.output).toContain('SIGTERM: shutting down');
    expect(await portIsFree(port)).toBe(true);
  });
});
