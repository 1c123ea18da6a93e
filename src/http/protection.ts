/**
 * Protecting the origin (docs/architecture.md, Protection): load shedding when the event loop lags, and rate limits per
 * IP and per user. Request size is capped by server.ts (bodyLimit → 413 PAYLOAD_TOO_LARGE).
 * Every refusal here is our error shape: 503 OVERLOADED and 429 RATE_LIMITED, both with Retry-After.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlashsaleError } from '../domain/errors.ts';
import type { HttpContext } from './context.ts';

const WINDOW_MS = 60_000;

/**
 * Orchestrator probes: throttling them would turn a busy crowd into a restart loop. Metrics: an
 * overload is exactly when operators need to see them.
 */
const NOT_RATE_LIMITED = new Set(['/healthz', '/readyz', '/metrics']);
/** Liveness must answer while shedding, or a merely busy process gets killed. Readiness may be shed. */
const NEVER_SHED = new Set(['/healthz', '/metrics']);

const routeOf = (request: FastifyRequest): string | undefined => request.routeOptions.url;

/** Buyer routes: the public API under /api/v1, not the admin API. */
function isBuyerRoute(url = ''): boolean {
  return url.startsWith('/api/v1/') && !url.startsWith('/api/v1/admin/');
}

/**
 * The per-user key: a hash of the bearer token, computed without verifying it. Verifying here would
 * double the cost of the cheapest route (the status poll), and keying by an unverified `sub` would let
 * anyone exhaust someone else's allowance with forged tokens. A forged token only gets a bucket of its
 * own, and the route answers it 401; the per-IP limit bounds how many of those one client sends.
 * Empty: no token, so only the per-IP limit applies.
 */
function userKey(request: FastifyRequest): string {
  if (!isBuyerRoute(routeOf(request))) return '';
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || header.length > 4200) return '';
  return createHash('sha256').update(header.slice(7).trim()).digest('base64url').slice(0, 22);
}

export async function registerProtection(server: FastifyInstance, ctx: HttpContext): Promise<void> {
  await registerLoadShedding(server, ctx.app.config.maxEventLoopDelayMs);
  if (ctx.app.config.rateLimits.enabled) await registerRateLimits(server, ctx);
}

async function registerLoadShedding(server: FastifyInstance, maxEventLoopDelayMs: number): Promise<void> {
  await server.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    // The lag is the mean delay of 10 ms ticks over one sample interval (a window with almost no
    // ticks, the loop blocked throughout, counts as overloaded). A window as long as the threshold
    // reacts about that fast; under 100 ms, a single GC pause would empty a window and shed requests.
    sampleInterval: Math.max(100, maxEventLoopDelayMs),
    // A rejection goes to the error handler, which answers 503 OVERLOADED with Retry-After.
    pressureHandler: async (request) => {
      if (NEVER_SHED.has(routeOf(request) ?? '')) return;
      throw new FlashsaleError('OVERLOADED');
    },
  });
}

async function registerRateLimits(server: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { config, shape } = ctx.app;
  // Counters shared by every API process when the shape has a shared store; checks fail open
  // (skipOnError): a rate-limit store that is away must not take the buyer routes down with it.
  const common = {
    global: true,
    timeWindow: WINDOW_MS,
    skipOnError: true,
    errorResponseBuilder: () => new FlashsaleError('RATE_LIMITED'),
  };

  // Two registrations, two independent counters per request: the plugin runs one limit per route.
  await server.register(rateLimit, {
    ...common,
    ...(await shape.rateLimitStore('ip')),
    max: config.rateLimits.ipPerMinute,
    allowList: (request) => NOT_RATE_LIMITED.has(routeOf(request) ?? ''),
  });
  await server.register(rateLimit, {
    ...common,
    ...(await shape.rateLimitStore('user')),
    max: config.rateLimits.userPerMinute,
    keyGenerator: userKey,
    allowList: (_request, key) => key === '',
    // The per-IP registration already reports its numbers; one set of X-RateLimit headers is clearer.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
  });
}
