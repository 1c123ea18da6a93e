/**
 * Static guard over the Redis adapter's Lua (no Redis needed). A script must never walk a structure
 * whose size grows with the number of users (tickets, units, leases, departed, spent, idem,
 * deadlines, holds): no KEYS/SCAN, no whole-hash/set reads, and sorted-set ranges only with LIMIT. The one structure read
 * whole is the admission windows hash (HMGET of [head, tail) in lua/includes/windows.lua): it grows
 * with time, not users — steps less than a second apart share a window — so it is not flagged here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LUA_DIR, SCRIPT_NAMES, scriptSource } from '../../src/engine/redis/scripts.ts';

const FORBIDDEN = new Set([
  'KEYS',
  'SCAN',
  'HSCAN',
  'SSCAN',
  'ZSCAN',
  'HGETALL',
  'HKEYS',
  'HVALS',
  'SMEMBERS',
  'SINTER',
  'SUNION',
  'SDIFF',
  'SINTERSTORE',
  'SUNIONSTORE',
  'SDIFFSTORE',
  'LRANGE',
  'SORT',
  'TIME',
]);
const RANGES_NEEDING_LIMIT = /^Z(REV)?RANGE(BYSCORE|BYLEX)?$/;

const files = [
  ...readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua')),
  ...readdirSync(new URL('includes/', LUA_DIR)).map((f) => `includes/${f}`),
];
const read = (file: string) => readFileSync(new URL(file, LUA_DIR), 'utf8');
/** Comments removed (block comments first), so prose may name any command. */
const code = (source: string) => source.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');

/** Every redis.call/pcall: its command (or null when not a string literal) and its argument text. */
function calls(source: string): { command: string | null; args: string }[] {
  const out: { command: string | null; args: string }[] = [];
  const start = /redis\.p?call\s*\(/g;
  for (let match = start.exec(source); match !== null; match = start.exec(source)) {
    let depth = 1;
    let i = start.lastIndex;
    while (i < source.length && depth > 0) {
      if (source[i] === '(') depth++;
      else if (source[i] === ')') depth--;
      i++;
    }
    const args = source.slice(start.lastIndex, i - 1);
    const literal = /^\s*(['"])([A-Za-z]+)\1/.exec(args);
    out.push({ command: literal ? (literal[2] as string).toUpperCase() : null, args });
  }
  return out;
}

describe('Lua scripts of the Redis adapter', () => {
  it('has Lua files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s scans nothing that grows with the number of users', (file) => {
    for (const { command, args } of calls(code(read(file)))) {
      expect(command, `${file}: commands must be named literally: redis.call(${args})`).not.toBeNull();
      expect(FORBIDDEN.has(command as string), `${file}: ${command} is not allowed`).toBe(false);
      if (RANGES_NEEDING_LIMIT.test(command as string)) {
        expect(/['"]LIMIT['"]/i.test(args), `${file}: ${command} without LIMIT`).toBe(true);
      }
    }
  });

  it.each(files)('%s formats numbers with fmt(), not tostring()', (file) => {
    // tostring(123456789012345) is "1.2345678901234e+14" in Redis Lua: digits are lost.
    expect(code(read(file))).not.toMatch(/\btostring\s*\(/);
  });

  it.each(SCRIPT_NAMES)('%s.lua opens with a header naming its input and output', (name) => {
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(read(`${name}.lua`))?.[1] ?? '';
    expect(header).toMatch(/Input:/);
    expect(header).toMatch(/KEYS\[1\]/);
    expect(header).toMatch(/Output:/);
  });

  it('registers every script file and resolves every include', () => {
    const scripts = files.filter((f) => !f.startsWith('includes/')).map((f) => f.replace(/\.lua$/, ''));
    expect([...scripts].sort()).toEqual([...SCRIPT_NAMES].sort());
    for (const name of SCRIPT_NAMES) expect(scriptSource(name)).not.toMatch(/@include/);
  });
});
