/**
 * The alert rules, checked and unit-tested by promtool (Debian package `prometheus`), as CI runs
 * them; every query of the Grafana dashboard parsed by promtool as well (as recording rules); and
 * the /metrics exposition itself, whose request families are written by hand (requestMetrics.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHttp } from '../http/harness.ts';
import { embeddedShape } from '../pipeline/shapes.ts';
import { hasPromtool, MONITORING_DIR, NO_SHEDDING, parseExposition, promtool } from './support.ts';

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

  it('parses the /metrics exposition and finds nothing to say about our families', async () => {
    const h = await startHttp(embeddedShape(), NO_SHEDDING);
    try {
      for (let i = 0; i < 3; i++) await h.server.inject({ url: '/healthz' });
      await h.server.inject({ url: '/no/such/page' });
      await h.server.inject({ method: 'POST', url: '/api/v1/sales/nope/queue' });
      const body = (await h.server.inject({ url: '/metrics' })).body;
      const m = parseExposition(body);
      expect(m.value('flashsale_http_requests_total', { route: '/healthz', status: '200' })).toBe(3);
      expect(m.value('flashsale_http_request_duration_seconds_count', { route: '/healthz' })).toBe(3);
      expect(m.value('flashsale_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
      const run = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      const output = `${run.stdout}${run.stderr}`;
      // 0: clean; 3: parsed, with lint findings (prom-client's own process metrics have some); 1: not parsed.
      expect([0, 3], output).toContain(run.status);
      expect(output).not.toMatch(/flashsale_/);
    } finally {
      await h.close();
    }
  });
});
