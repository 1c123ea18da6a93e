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

function feistel(x: number, m: number, keys: readonly number[]): number {
  let left = Math.floor(x / m);
  let right = x % m;
  for (const key of keys) {
    const next = (left + round(right, key)) % m;
    left = right;
    right = next;
  }
  return left * m + right;
}

/** The inverse of `feistel`: the rounds undone in reverse order. */
function feistelInverse(y: number, m: number, keys: readonly number[]): number {
  let left = Math.floor(y / m);
  let right = y % m;
  for (let i = keys.length - 1; i >= 0; i--) {
    const previousRight = left;
    left = (((right - round(previousRight, keys[i] as number)) % m) + m) % m;
    right = previousRight;
  }
  return left * m + right;
}

/** The permutation of [0, n): index → shuffled index. */
export function permute(index: number, n: number, keys: readonly number[]): number {
  if (n <= 1) return 0;
  const m = Math.ceil(Math.sqrt(n));
  let y = feistel(index, m, keys);
  while (y >= n) y = feistel(y, m, keys);
  return y;
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
  if (keys === null) return ticket;
  if (prequeueSize === null) return null;
  if (ticket > prequeueSize) return ticket;
  return permute(ticket - 1, prequeueSize, keys) + 1;
}

/** The inverse permutation of [0, n): shuffled index → index (cycle walking backwards). */
export function unpermute(shuffled: number, n: number, keys: readonly number[]): number {
  if (n <= 1) return 0;
  const m = Math.ceil(Math.sqrt(n));
  let x = feistelInverse(shuffled, m, keys);
  while (x >= n) x = feistelInverse(x, m, keys);
  return x;
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
  if (keys === null) return place;
  if (prequeueSize === null) return null;
  if (place > prequeueSize) return place;
  return unpermute(place - 1, prequeueSize, keys) + 1;
}
