/**
 * Riding out an outage: a step that failed because PostgreSQL or Redis is away (UNAVAILABLE) is run
 * again with exponential backoff, capped, for as long as the outage may last (minutes, configured by
 * FLASHSALE_OUTAGE_RETRY_MS and FLASHSALE_RETRY_MAX_DELAY_MS). Only then does the failure reach the
 * job's own retry budget, which is meant for the payment provider's hiccups, not for outages. Every
 * step the order job repeats is idempotent, which is what makes running it again safe.
 */
import { isFlashsaleError } from '../domain/errors.ts';

export interface OutageRetryPolicy {
  /** Give up (rethrow) once this long has passed since the first failure. */
  outageMs: number;
  /** Cap of the delay between two tries. */
  maxDelayMs: number;
  /** First delay; doubles each try. Default 100 ms. */
  baseMs?: number;
}

/** The delay before try number `retry` (1-based): base · 2^(retry-1), at most the cap. */
export function outageDelay(policy: OutageRetryPolicy, retry: number): number {
  const base = policy.baseMs ?? 100;
  return Math.min(policy.maxDelayMs, base * 2 ** Math.min(retry - 1, 30));
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retryThroughOutage<T>(
  call: () => Promise<T>,
  policy: OutageRetryPolicy,
  hooks: {
    onRetry?: (error: unknown, retry: number, delayMs: number) => void;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? sleepFor;
  let firstFailure: number | null = null;
  for (let retry = 1; ; retry++) {
    try {
      return await call();
    } catch (error) {
      if (!isFlashsaleError(error, 'UNAVAILABLE')) throw error;
      firstFailure ??= now();
      if (now() - firstFailure >= policy.outageMs) throw error;
      const delayMs = outageDelay(policy, retry);
      hooks.onRetry?.(error, retry, delayMs);
      await sleep(delayMs);
    }
  }
}
