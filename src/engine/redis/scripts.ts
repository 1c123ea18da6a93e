import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * Loads the Lua scripts of `lua/` (one script a file), inlines their `--- @include "name"` lines from
 * `lua/includes/name.lua` (each include once per script, includes may include), and registers them on
 * a connection with `defineCommand`: ioredis then sends EVALSHA and falls back to EVAL.
 */
export const SCRIPT_NAMES = [
  'createSale',
  'start',
  'setFlag',
  'joinMany',
  'leave',
  'heartbeat',
  'admit',
  'reserveMany',
  'endHoldMany',
  'sweep',
  'readSale',
  'readHoldMany',
  'restoreHold',
  'restoreUnits',
  'moveOut',
  'moveIn',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export const LUA_DIR = new URL('./lua/', import.meta.url);
const INCLUDE_LINE = /^--- @include "([\w-]+)"[ \t]*$/gm;

/** Replaces each include line by the include's source (itself resolved); repeats become empty. */
export function inlineIncludes(source: string, seen: Set<string> = new Set()): string {
  return source.replace(INCLUDE_LINE, (_line, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    const include = readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8');
    return inlineIncludes(include, seen).trimEnd();
  });
}

const sources = new Map<ScriptName, string>();

/** The full source of a script, includes inlined (read once per process). */
export function scriptSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = inlineIncludes(readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8'));
    sources.set(name, source);
  }
  return source;
}

const commandName = (name: ScriptName) => `flashsale_${name}`;

type ScriptCommand = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Registers every script on the connection (once; engines sharing a connection share them). */
export function defineScripts(redis: Redis | Cluster): void {
  for (const name of SCRIPT_NAMES) {
    if (typeof (redis as unknown as Record<string, unknown>)[commandName(name)] === 'function') continue;
    redis.defineCommand(commandName(name), { lua: scriptSource(name) });
  }
}

/** Runs a script registered by `defineScripts`. */
export function runScript(
  redis: Redis | Cluster,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const command = (redis as unknown as Record<string, ScriptCommand>)[commandName(name)];
  if (command === undefined) throw new Error(`flashsale: script ${name} is not defined on this connection`);
  return command.call(redis, keys.length, ...keys, ...args);
}
