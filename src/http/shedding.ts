/**
 * Load shedding by priority (docs/architecture.md, Protection). A saturated process gives up the
 * work that costs buyers least first, so the ones already in line, and above all the admitted ones,
 * keep being served. The measured event-loop lag L (the mean delay of 10 ms ticks over one sample
 * window) against FLASHSALE_MAX_EVENT_LOOP_DELAY_MS, T, sets a level, once per window:
 *
 * | level      | lag          | new joins¹ | status polls²                 | other routes³ | kept⁴ |
 * |------------|--------------|------------|-------------------------------|---------------|-------|
 * | normal     | L ≤ T/2      | answered   | answered                      | answered      | yes   |
 * | busy       | T/2 < L ≤ T  | 503        | answered, pollAfterMs × 2     | answered      | yes   |
 * | overloaded | T < L ≤ 2T   | 503        | answered, pollAfterMs × 4     | 503           | yes   |
 * | saturated  | L > 2T       | 503        | 503                           | 503           | yes   |
 *
 * ¹ POST /sales/:id/queue and /challenge, POST /visitors: the costliest buyer calls (token, proof of
 *   work, a store write) and the ones that only add to the crowd. A refused join loses nothing: a
 *   ticket lives in the store, and a page that reloads asks for its status (GET), not for a new
 *   place. So every join is refused, ticket holder or not: telling them apart would cost a token
 *   verification and, on another process, a store read, the very work being shed.
 * ² GET /sales/:id/queue, answered from the per-process snapshot, and the sale read every page
 *   makes first (GET /sales/:id, cacheable). Waiters are told to come back later (at most
 *   MAX_POLL_AFTER_MS, which the first lease of an admission outlasts), so the crowd slows itself.
 *   Admitted pollers are not: their polls are the heartbeat that keeps their slot. Saturated, their
 *   polls are refused with the waiters' (telling them apart would cost the token verification being
 *   saved): the page asks again every Retry-After, and a slot lapses only after a whole heartbeat
 *   interval (30 s by default) without an answered poll.
 * ³ Pages, assets, the JWKS, /readyz (a busy process may leave the balancer's rotation), admin calls
 *   without the admin key: shed from T, as every route used to be.
 * ⁴ Never shed: checkout and order reads (as many as admission lets through, maxActive per sale, not
 *   the crowd; refusing them would take from a buyer what they already had), leaving the line (it
 *   lightens the load), /healthz, /metrics and calls with the admin key.
 *
 * A refusal is 503 OVERLOADED with Retry-After, the error registry's body, sent from the route's
 * own onRequest hook: no error is thrown or logged per refused request (a level change is logged).
 * Each route's class is found once, when the route is added (onRoute), so the per-request cost is
 * one comparison of two integers; the level is computed once per sample window.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { FlashsaleError } from '../domain/errors.ts';
import { MAX_POLL_AFTER_MS } from '../domain/queue.ts';
import { errorBody, HTTP_STATUS, RETRY_AFTER_SECONDS } from './errors.ts';

export const LOAD_LEVELS = ['normal', 'busy', 'overloaded', 'saturated'] as const;
export type LoadLevel = 0 | 1 | 2 | 3;
const BUSY = 1;
const OVERLOADED = 2;
const SATURATED = 3;

/** The event-loop lag, in ms, over the window since the last read. */
export interface LagSource {
  start(): void;
  read(): number;
  stop(): void;
}

/** The timer resolution of the lag histogram: the lag is the ticks' mean delay beyond it. */
const RESOLUTION_MS = 10;

/** This process's event-loop lag, as @fastify/under-pressure measured it. */
export function eventLoopLag(): LagSource {
  let histogram: ReturnType<typeof monitorEventLoopDelay> | null = null;
  return {
    start() {
      histogram ??= monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      histogram.enable();
    },
    read() {
      if (histogram === null) return 0;
      // No tick at all in the window (NaN mean): the loop was blocked throughout.
      const lag = histogram.count === 0 ? Number.POSITIVE_INFINITY : histogram.mean / 1e6 - RESOLUTION_MS;
      histogram.reset();
      return Math.max(0, lag);
    },
    stop() {
      histogram?.disable();
    },
  };
}

export class LoadShedding {
  /** Read by every request: a plain field. */
  level: LoadLevel = 0;
  lagMs = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly thresholdMs: number,
    private readonly lag: LagSource = eventLoopLag(),
    private readonly onChange: (level: LoadLevel, lagMs: number) => void = () => {},
  ) {}

  /** The level of a lag. */
  levelOf(lagMs: number): LoadLevel {
    const t = this.thresholdMs;
    return lagMs > 2 * t ? SATURATED : lagMs > t ? OVERLOADED : lagMs > t / 2 ? BUSY : 0;
  }

  /** Reads the lag and sets the level (the timer calls it once per window; tests may call it at once). */
  sample(): LoadLevel {
    this.lagMs = this.lag.read();
    const level = this.levelOf(this.lagMs);
    if (level !== this.level) {
      this.level = level;
      this.onChange(level, this.lagMs);
    }
    return level;
  }

  /**
   * A waiter's pollAfterMs at this level: doubled when busy, quadrupled when overloaded, never past
   * MAX_POLL_AFTER_MS.
   */
  pollAfterMs(ms: number): number {
    const level = this.level;
    if (level === 0) return ms;
    return Math.max(ms, Math.min(MAX_POLL_AFTER_MS, level === BUSY ? ms * 2 : ms * 4));
  }

  /**
   * Samples every window. A window as long as the threshold reacts about that fast; under 100 ms, a
   * single GC pause would empty a window and shed requests.
   */
  start(): void {
    if (this.timer !== null) return;
    this.lag.start();
    this.timer = setInterval(() => this.sample(), Math.max(100, this.thresholdMs));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.lag.stop();
  }
}

/** Route classes, by `METHOD url` (HEAD as GET); a route not named is `other`. */
const JOIN = new Set([
  'POST /api/v1/sales/:saleId/queue',
  'POST /api/v1/sales/:saleId/challenge',
  'POST /api/v1/visitors',
]);
const POLL = new Set(['GET /api/v1/sales/:saleId/queue', 'GET /api/v1/sales/:saleId']);
const KEPT = new Set([
  'POST /api/v1/sales/:saleId/checkout',
  'GET /api/v1/orders/:orderId',
  'DELETE /api/v1/sales/:saleId/queue',
  'GET /healthz',
  'GET /metrics',
]);
const ADMIN_PREFIX = '/api/v1/admin/';

/** The lowest level at which a route is shed; null: never. Exported for tests. */
export function shedFrom(method: string, url: string): LoadLevel | null {
  const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
  if (KEPT.has(key)) return null;
  if (JOIN.has(key)) return BUSY;
  if (POLL.has(key)) return SATURATED;
  return OVERLOADED;
}

const OVERLOADED_STATUS = HTTP_STATUS.OVERLOADED;
const OVERLOADED_JSON = JSON.stringify(errorBody(new FlashsaleError('OVERLOADED')));

function refuse(reply: FastifyReply): void {
  reply
    .code(OVERLOADED_STATUS)
    .header('retry-after', RETRY_AFTER_SECONDS)
    .type('application/json; charset=utf-8')
    .send(OVERLOADED_JSON);
}

/**
 * Adds the shedding hook to every route added after this call (server.ts registers protection
 * before the routes). Routes added before it (/metrics, the console's metrics summary, the OpenAPI
 * document) and unmatched URLs are never shed: cheap, or an operator's.
 */
export function registerLoadShedding(
  server: FastifyInstance,
  load: LoadShedding,
  isOperator: (request: FastifyRequest) => boolean,
): void {
  load.start();
  server.addHook('onClose', async () => load.stop());
  server.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const levels = methods.map((method) => shedFrom(method, route.url ?? ''));
    if (levels.some((level) => level === null)) return;
    const from = Math.min(...(levels as LoadLevel[]));
    // An operator's call is a handful a minute and may be the one that pauses the crowd.
    const operatorsPass = (route.url ?? '').startsWith(ADMIN_PREFIX);
    const hook: onRequestHookHandler = (request, reply, done) => {
      if (load.level < from || (operatorsPass && isOperator(request))) return done();
      refuse(reply);
    };
    route.onRequest = route.onRequest === undefined ? [hook] : [hook, ...[route.onRequest].flat()];
  });
}
