/**
 * The Lua scripts' status codes (`src/engine/redis/lua/includes/codes.lua`) and their TypeScript
 * table (`src/engine/redis/codes.ts`) are written twice, once per language. This file fails as soon as
 * they disagree: a name, a number, a refusal meaning something else than its name, or a script
 * answering a status neither file names. Static: no Redis needed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_MESSAGES, FlashsaleError, isErrorCode } from '../../src/domain/errors.ts';
import { checkReply, REFUSALS, SCRIPT_STATUS } from '../../src/engine/redis/codes.ts';
import { LUA_DIR, SCRIPT_NAMES, scriptSource } from '../../src/engine/redis/scripts.ts';

const codesLua = readFileSync(new URL('includes/codes.lua', LUA_DIR), 'utf8');

/** Every top-level `local NAME = <integer>` of codes.lua, in file order. */
function luaStatusCodes(source: string): Array<[string, number]> {
  const constants = [...source.matchAll(/^local\s+([A-Za-z_]\w*)\s*=\s*(.+?)\s*(?:--.*)?$/gm)];
  return constants.map(([line, name, value]) => {
    if (!/^-?\d+$/.test(value ?? '')) throw new Error(`codes.lua: not an integer constant: ${line}`);
    return [name as string, Number(value)];
  });
}

const lua = luaStatusCodes(codesLua);
const ts = Object.entries(SCRIPT_STATUS);

describe('Lua status codes vs src/engine/redis/codes.ts', () => {
  it('reads the constants of codes.lua', () => {
    // Guards the parser itself: an empty parse would make every comparison below pass.
    expect(lua.length).toBeGreaterThan(3);
    expect(lua).toContainEqual(['OK', 0]);
  });

  it('names the same codes with the same numbers', () => {
    expect(Object.fromEntries(lua)).toEqual(SCRIPT_STATUS);
    expect(lua.map(([name]) => name).sort()).toEqual(ts.map(([name]) => name).sort());
  });

  it('gives every code its own number', () => {
    expect(new Set(lua.map(([, n]) => n)).size).toBe(lua.length);
    expect(new Set(ts.map(([, n]) => n)).size).toBe(ts.length);
  });

  it('keeps negative numbers for refusals (ERR_*) and only for them', () => {
    for (const [name, n] of ts)
      expect(`${name} = ${n}`).toMatch(n < 0 ? /^ERR_.* = -\d+$/ : /^(?!ERR_).* = \d+$/);
  });

  it('maps every refusal to the error its name says', () => {
    const refusals = ts.filter(([name]) => name.startsWith('ERR_')).map(([name]) => name);
    expect(Object.keys(REFUSALS).sort()).toEqual(refusals.sort());
    for (const [name, [code, message]] of Object.entries(REFUSALS)) {
      const named = name.slice('ERR_'.length);
      if (isErrorCode(named)) {
        // ERR_X is the registry's X, with the registry's own message.
        expect({ name, code, message }).toEqual({ name, code: named, message: undefined });
      } else {
        // A Lua name finer than the registry (ERR_ROOM_NOT_OPEN): a registry code with its own message.
        expect(Object.keys(ERROR_MESSAGES)).toContain(code);
        expect(message, name).toMatch(/\w/);
      }
    }
  });

  it('throws, for each refusal number, the error of its name', () => {
    for (const [name, [code, message]] of Object.entries(REFUSALS)) {
      const status = SCRIPT_STATUS[name as keyof typeof SCRIPT_STATUS];
      let thrown: unknown;
      try {
        checkReply([status], 'test');
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(FlashsaleError);
      expect((thrown as FlashsaleError).code, name).toBe(code);
      expect((thrown as FlashsaleError).message, name).toBe(message ?? ERROR_MESSAGES[code]);
    }
  });

  it('has every script answer a named status, and every status answered by some script', () => {
    const declared = new Set(Object.keys(SCRIPT_STATUS));
    const answered = new Set<string>();
    for (const script of SCRIPT_NAMES) {
      // A reply starting with a constant or a number is a status; helpers return lowercase tables.
      for (const [, first] of scriptSource(script).matchAll(/\breturn\s*\{\s*([A-Z_][A-Z0-9_]*|-?\d+)\b/g)) {
        expect(declared, `${script}.lua returns { ${first}, … }`).toContain(first);
        answered.add(first as string);
      }
    }
    expect([...declared].filter((name) => !answered.has(name))).toEqual([]);
  });
});
