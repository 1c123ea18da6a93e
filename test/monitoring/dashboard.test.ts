/**
 * The Grafana dashboard and the alert rules refer only to metrics that /metrics exposes (the names
 * of an app's registry plus the process metrics), and the dashboard is a well-formed Grafana model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppMetrics } from '../../src/monitoring/metrics.ts';
import { MONITORING_DIR, metricNamesIn, parseExposition } from './support.ts';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

/** What every panel's datasource must be: the dashboard's Prometheus variable. */
const DATASOURCE_VAR = '$' + '{datasource}';

const read = (name: string) => readFile(join(MONITORING_DIR, name), 'utf8');

describe('Grafana dashboard and alert rules', () => {
  let exposed: Set<string>;
  let dashboard: { panels: Panel[]; templating: { list: Array<Record<string, unknown>> } } & Record<
    string,
    unknown
  >;

  beforeAll(async () => {
    exposed = parseExposition(await new AppMetrics().exposition()).names();
    dashboard = JSON.parse(await read('grafana-dashboard.json'));
  });

  it('is a Grafana dashboard model with a Prometheus datasource variable', () => {
    expect(dashboard).toMatchObject({ title: expect.any(String), uid: 'flashsale' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const variables = dashboard.templating.list;
    expect(variables).toContainEqual(
      expect.objectContaining({ type: 'datasource', name: 'datasource', query: 'prometheus' }),
    );
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VAR });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) {
        expect(t.expr, panel.title).toMatch(/\S/);
        expect(t.datasource?.uid, panel.title).toBe(DATASOURCE_VAR);
      }
    }
  });

  it('queries only metrics that /metrics exposes, and every flashsale metric', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const variableQueries = dashboard.templating.list.map((v) => String(v.definition ?? ''));
    const used = metricNamesIn([...exprs, ...variableQueries].join('\n'));
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
    const families = [...exposed].filter(
      (n) => n.startsWith('flashsale_') && !/_(bucket|sum|count)$/.test(n),
    );
    expect(families.filter((name) => !used.some((u) => u.startsWith(name)))).toEqual([]);
  });

  it('alert rules and their unit tests use only exposed metric names', async () => {
    for (const file of ['alerts.yml', 'alerts.test.yml']) {
      const used = metricNamesIn(await read(file));
      expect(used.length, file).toBeGreaterThan(0);
      expect(
        used.filter((name) => !exposed.has(name)),
        file,
      ).toEqual([]);
    }
  });

  it('has the five alerts an operator needs during a sale', async () => {
    const rules = await read('alerts.yml');
    for (const alert of [
      'FlashsaleHighErrorRate',
      'FlashsaleWaitingRoomOver100k',
      'FlashsaleStockLow',
      'FlashsaleFailedJobsRising',
      'FlashsaleOversellRefused',
    ]) {
      expect(rules).toContain(`alert: ${alert}`);
    }
  });
});
