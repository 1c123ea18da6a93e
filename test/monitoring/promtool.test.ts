/**
 * The alert rules, checked and unit-tested by promtool (Debian package `prometheus`), as CI runs
 * them; and every query of the Grafana dashboard parsed by promtool as well (as recording rules).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPromtool, MONITORING_DIR, promtool } from './support.ts';

describe.skipIf(!hasPromtool())('promtool', () => {
  it('checks monitoring/alerts.yml', () => {
    const run = promtool(['check', 'rules', 'alerts.yml']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests of monitoring/alerts.test.yml', () => {
    const run = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('fails a unit test that expects the wrong alert (the tests do compare)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flashsale-promtool-'));
    try {
      const tests = await readFile(join(MONITORING_DIR, 'alerts.test.yml'), 'utf8');
      await writeFile(join(dir, 'alerts.yml'), await readFile(join(MONITORING_DIR, 'alerts.yml')));
      await writeFile(join(dir, 'alerts.test.yml'), tests.replace('sale: low', 'sale: plenty'));
      const run = promtool(['test', 'rules', 'alerts.test.yml'], dir);
      expect(run.status).not.toBe(0);
      expect(run.output).toContain('FlashsaleStockLow');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses every query of the Grafana dashboard', async () => {
    const dashboard = JSON.parse(await readFile(join(MONITORING_DIR, 'grafana-dashboard.json'), 'utf8'));
    const exprs: string[] = [];
    for (const panel of dashboard.panels) for (const t of panel.targets ?? []) exprs.push(t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    // Grafana's variables, replaced by what Grafana would put there.
    const concrete = exprs.map((e) =>
      e
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '1h')
        .replaceAll('$instance', '.*')
        .replaceAll('$sale', '.*'),
    );
    const rules = concrete
      .map((expr, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr)}\n`)
      .join('');
    const dir = await mkdtemp(join(tmpdir(), 'flashsale-dashboard-'));
    try {
      await writeFile(join(dir, 'queries.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}`);
      const run = promtool(['check', 'rules', 'queries.yml'], dir);
      expect(run.status, run.output).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
