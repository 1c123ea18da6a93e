/**
 * README.md's configuration table against src/config.ts: every variable loadConfig reads is in the
 * table and every row of the table is read; where the table states a default (in backticks), it is
 * the one loadConfig falls back to. Static and in-process: no service needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_DEFAULTS, type EnvVariable, loadConfig } from '../../src/config.ts';

const ROOT = new URL('../../', import.meta.url);

interface Row {
  name: string;
  /** The backticked values of the default cell: what the table claims as the default. */
  stated: string[];
}

/** The rows of the first table under README's "## Configuration", one per variable. */
function configurationTable(readme: string): Row[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Configuration\n'));
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  // The first table only: its lines run from the first '|' line to the next line that is not one.
  const all = section.split('\n');
  const first = all.findIndex((line) => line.startsWith('|'));
  const end = all.findIndex((line, i) => i > first && !line.startsWith('|'));
  const lines = all.slice(first, end < 0 ? undefined : end);
  const rows: Row[] = [];
  // The header and the |---| line come first.
  for (const line of lines.slice(2)) {
    const [nameCell = '', defaultCell = ''] = line.split('|').slice(1, -1);
    const names = [...nameCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string);
    // "`PORT` / `HOST`": one default per name, in the same order.
    const defaults = names.length > 1 ? defaultCell.split(' / ') : [defaultCell];
    if (names.length === 0 || defaults.length !== names.length) throw new Error(`unreadable row: ${line}`);
    names.forEach((name, i) => {
      rows.push({
        name,
        stated: [...(defaults[i] as string).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
      });
    });
  }
  return rows;
}

/** The names loadConfig asks the environment for, recorded through a Proxy that holds `values`. */
function variablesRead(values: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(values, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return target[key as string];
    },
  });
  loadConfig(env);
  return read;
}

const rows = configurationTable(readFileSync(new URL('README.md', ROOT), 'utf8'));
const documented = rows.map((r) => r.name);
const declared = Object.keys(ENV_DEFAULTS);

describe("README's configuration table vs src/config.ts", () => {
  it('reads the table', () => {
    // Guards the parser: an empty table would make the comparisons below vacuous.
    expect(documented).toContain('REDIS_URL');
    expect(documented).toContain('HOST');
    expect(documented.length).toBeGreaterThan(10);
  });

  it('documents each variable once, and exactly the ones config.ts declares', () => {
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...declared].sort());
  });

  it('has loadConfig read exactly the declared variables, on either shape', () => {
    const embedded = variablesRead({});
    const production = variablesRead({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://127.0.0.1/test',
    });
    expect([...new Set([...embedded, ...production])].sort()).toEqual([...declared].sort());
  });

  it('states the defaults loadConfig falls back to', () => {
    for (const { name, stated } of rows) {
      const fallback = ENV_DEFAULTS[name as EnvVariable];
      if (fallback === null) {
        // No default in the code ("unset", "generated"): the table must not show a value as one.
        expect({ name, stated }).toEqual({ name, stated: [] });
      } else if (typeof fallback === 'object') {
        // One per shape: "`on` embedded, `off` otherwise".
        expect({ name, stated: stated.slice(0, 2) }).toEqual({
          name,
          stated: [fallback.embedded, fallback.redis],
        });
      } else {
        expect({ name, stated: stated[0] }).toEqual({ name, stated: String(fallback) });
      }
    }
  });

  it('falls back to ENV_DEFAULTS when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(ENV_DEFAULTS.PORT);
    expect(config.host).toBe(ENV_DEFAULTS.HOST);
    expect(config.visitors ? 'on' : 'off').toBe(ENV_DEFAULTS.FLASHSALE_VISITORS.embedded);
    const production = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(production.visitors ? 'on' : 'off').toBe(ENV_DEFAULTS.FLASHSALE_VISITORS.redis);
    expect(config.logLevel).toBe(ENV_DEFAULTS.FLASHSALE_LOG_LEVEL);
  });

  it('documents every variable read from the environment anywhere in src', () => {
    const sources = (readdirSync(new URL('src', ROOT), { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(new URL('src', ROOT).pathname, file), 'utf8'));
    const names = new Set(
      sources.flatMap((src) => [...src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])),
    );
    expect(names.size).toBeGreaterThan(0);
    expect([...names].filter((name) => !documented.includes(name as string))).toEqual([]);
  });
});
