/**
 * Shared by the monitoring tests: promtool (Debian's `prometheus` package) as a child process, and a
 * small parser of the Prometheus text format.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A GC pause or a PGlite start must not turn an answer into 503 OVERLOADED: shedding is not our subject. */
export const NO_SHEDDING = { FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000' };

export const MONITORING_DIR = fileURLToPath(new URL('../../monitoring/', import.meta.url));

export interface Run {
  status: number | null;
  output: string;
}

export function promtool(args: string[], cwd = MONITORING_DIR): Run {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}` };
}

/**
 * Whether promtool runs here. Like the Redis and PostgreSQL checks (test/support/services.ts): under
 * CI=true its absence fails the run; on a laptop the tests that need it are skipped, loudly.
 */
export function hasPromtool(): boolean {
  if (promtool(['--version']).status === 0) return true;
  if (process.env.CI === 'true') {
    throw new Error('promtool is required under CI=true (Debian: apt-get install prometheus)');
  }
  console.warn(
    '\n!!! promtool not found (Debian package `prometheus`): SKIPPING the alert rule checks !!!\n',
  );
  return false;
}

/** One sample: its metric name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export interface Exposition {
  samples: Sample[];
  /** Metric families by name (from `# TYPE`) and their type. */
  types: Map<string, string>;
  /** The value of the one sample with this name whose labels include `labels`; undefined if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over every sample with this name whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
  /** Every name a query may use: families, and histograms' _bucket, _sum and _count series. */
  names(): Set<string>;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] !== undefined && type[2] !== undefined) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (m[2] ?? '').matchAll(LABEL)) labels[key as string] = raw as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = matching(name, labels);
      if (found.length > 1)
        throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
    sum: (name, labels = {}) => matching(name, labels).reduce((total, s) => total + s.value, 0),
    names() {
      const names = new Set<string>();
      for (const [name, type] of types) {
        names.add(name);
        if (type === 'histogram' || type === 'summary') {
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
        }
      }
      return names;
    },
  };
}

/** Metric names a PromQL expression (or a rules file) mentions: ours and the process metrics. */
export function metricNamesIn(text: string): string[] {
  return [...new Set(text.match(/\b(?:flashsale|process|nodejs)_[a-z0-9_]+\b/g) ?? [])].sort();
}
