/**
 * How a well-behaved client retries: 429 and 5xx honoring Retry-After, network errors, each with
 * exponential backoff and jitter so a crowd that failed together does not come back together. The
 * request is repeated as it was (the same Idempotency-Key for a checkout).
 */
import type { Rng } from './rng.ts';

export const MAX_ATTEMPTS = 8;
const BASE_MS = 250;
const CAP_MS = 15_000;

/** Statuses worth retrying (0 = the request never got an answer: reset, refused, timed out). */
export function isRetryable(status: number): boolean {
  return (
    status === 0 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504
  );
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return null;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * Delay before retry number `attempt` (1 = the first retry): "equal jitter" exponential backoff,
 * and never sooner than the server's Retry-After (plus up to 20 % jitter on top of it).
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, rng: Rng): number {
  const backoff = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
  const jittered = backoff / 2 + rng() * (backoff / 2);
  if (retryAfterMs === null) return Math.round(jittered);
  return Math.round(Math.max(jittered, retryAfterMs + rng() * retryAfterMs * 0.2));
}
