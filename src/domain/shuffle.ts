import { createHash } from 'node:crypto';

/**
 * The pre-queue shuffle: a seeded permutation of ticket numbers, computed in O(1) per ticket, so the
 * queue is never rewritten. A 4-round Feistel network over [0, m*m) (m = ceil(sqrt(n))) with cycle
 * walking down to [0, n). All arithmetic stays below 2^53, so JavaScript and Redis Lua (doubles)
 * compute the same numbers: `engine/redis/lua/includes/shuffle.lua` is the same function.
 *
 * Anyone with the recorded seed can recompute every place: `shuffleKeys(seed)` then `shuffledPlace`.
 */
export const SHUFFLE_ROUNDS = 4;
const KEY_SPACE = 2 ** 20;

export function shuffleKeys(seed: string): number[] {
  const keys: number[] = [];
  for (let round = 0; round < SHUFFLE_ROUNDS; round++) {
    const digest = createHash('sha256').update(`${seed}:${round}`).digest();
    keys.push(digest.readUInt32BE(0) % KEY_SPACE);
  }
  return keys;
}

/** Round function: a linear congruential step on (r + key), high bits kept. (r + key) < 2^21. */
function round(r: number, key: number): number {
  return Math.floor((((r + key) * 1103515245 + 12345) % 2147483648) / 65536);
}

/** Which way the shuffle runs: 1, index → shuffled index; -1, back (its inverse). */
type Direction = 1 | -1;

const mod = (a: number, m: number): number => ((a % m) + m) % m;

/**
 * The Feistel network over [0, m*m), both ways, so the two cannot drift apart. A round maps
 * (L, R) to (R, L + F(R)); undone on swapped halves it is the same step with F subtracted. So the
 * inverse swaps the halves, runs the rounds in reverse order subtracting, and swaps back.
 */
function feistel(x: number, m: number, keys: readonly number[], direction: Direction): number {
  const forward = direction === 1;
  const high = Math.floor(x / m);
  const low = x % m;
  let left = forward ? high : low;
  let right = forward ? low : high;
  const last = keys.length - 1;
  for (let i = 0; i <= last; i++) {
    const key = keys[forward ? i : last - i] as number;
    const next = mod(left + direction * round(right, key), m);
    left = right;
    right = next;
  }
  return forward ? left * m + right : right * m + left;
}

/** The network over [0, m*m) walked down to [0, n) (cycle walking), either way. */
function walk(x: number, n: number, keys: readonly number[], direction: Direction): number {
  if (n <= 1) return 0;
  const m = Math.ceil(Math.sqrt(n));
  let y = feistel(x, m, keys, direction);
  while (y >= n) y = feistel(y, m, keys, direction);
  return y;
}

/** The permutation of [0, n): index → shuffled index. */
export function permute(index: number, n: number, keys: readonly number[]): number {
  return walk(index, n, keys, 1);
}

/** The inverse permutation of [0, n): shuffled index → index. */
export function unpermute(shuffled: number, n: number, keys: readonly number[]): number {
  return walk(shuffled, n, keys, -1);
}

/**
 * A 1-based number through the shuffle either way (ticket → place, place → ticket). Numbers past
 * the pre-queue keep their value; null while a shuffled pre-queue is not frozen yet.
 */
function throughShuffle(
  value: number,
  prequeueSize: number | null,
  keys: readonly number[] | null,
  direction: Direction,
): number | null {
  if (keys === null) return value;
  if (prequeueSize === null) return null;
  if (value > prequeueSize) return value;
  return walk(value - 1, prequeueSize, keys, direction) + 1;
}

/**
 * The place in line of `ticket` (1-based). Tickets issued before the start (ticket <= prequeueSize)
 * are shuffled among themselves; later tickets keep their number. Before the start is frozen
 * (prequeueSize null) a shuffled sale has no places yet.
 */
export function placeOf(
  ticket: number,
  prequeueSize: number | null,
  keys: readonly number[] | null,
): number | null {
  return throughShuffle(ticket, prequeueSize, keys, 1);
}

/**
 * The ticket at `place` (the inverse of `placeOf`): admission walks places, departures are recorded
 * by ticket, and a shuffled pre-queue ticket's place is unknown until the start. Null while a
 * shuffled pre-queue has no order yet.
 */
export function ticketAt(
  place: number,
  prequeueSize: number | null,
  keys: readonly number[] | null,
): number | null {
  return throughShuffle(place, prequeueSize, keys, -1);
}
