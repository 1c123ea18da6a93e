/**
 * `flashsale capacity` through the package's bin: the built command finds its measured figures next
 * to itself in dist/ (the build copies measured.json), plans the brief's scenario, and exits 2 on a
 * bad flag. The arithmetic itself is test/unit/capacityPlan.test.ts's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, buildDist, ROOT, run } from './compiled.ts';

const BIN = join(ROOT, 'bin/flashsale.js');
const BRIEF = ['--rps', '100000', '--buyers', '1000000', '--stock', '1000'];

describe('flashsale capacity', () => {
  let dir = '';
  beforeAll(async () => {
    buildDist();
    dir = await mkdtemp(join(tmpdir(), 'flashsale-capacity-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const flashsale = async (args: string[]) => {
    const cli = run(process.execPath, [BIN, 'capacity', ...args], { cwd: dir, env: bareEnv({}) });
    const { code } = await cli.exited;
    return { code, output: cli.output };
  };

  it("plans the brief's scenario from the shipped figures, as a table and as JSON", async () => {
    const table = await flashsale(BRIEF);
    expect(table.code).toBe(0);
    expect(table.output).toMatch(/^API processes +[\d.,]+ cores +\d+/m);
    expect(table.output).toMatch(/^Redis masters /m);
    expect(table.output).toContain('measured by bench/ on ');
    const json = await flashsale([...BRIEF, '--json']);
    expect(json.code).toBe(0);
    const { plan } = JSON.parse(json.output);
    expect(plan.sizedRps).toBeGreaterThanOrEqual(100_000);
    expect(plan.api.processes).toBeGreaterThanOrEqual(2);
    expect(plan.totalOrders).toBe(1000);
  });

  it('a bad flag: exit 2 with the usage', async () => {
    const result = await flashsale(['--rps', '0', '--buyers', '10', '--stock', '1']);
    expect(result.code).toBe(2);
    expect(result.output).toContain('--rps must be a whole number');
    expect(result.output).toContain('usage: flashsale capacity');
  });
});
