/**
 * Protecting the origin (docs/architecture.md, Protection): load shedding by priority when the event
 * loop lags (shedding.ts: new joins first, status polls later, checkouts never), and rate limits per
 * IP (IPv6: per /64) and per user, anonymous identities per IP, challenges and joins per user, and
 * operators apart. Request size is capped by server.ts (bodyLimit → 413 PAYLOAD_TOO_LARGE).
 * Every refusal here is our error shape: 503 OVERLOADED and 429 RATE_LIMITED, both with Retry-After.
 *
 * Operators are never throttled by buyers: a call to the admin API carrying the admin key skips the
 * per-IP limit and load shedding, and counts in a budget of its own, so an operator behind the same
 * IP or proxy as the crowd can always pause or end a sale. Admin calls without the key count against
 * their IP like any other request (guessing the key is throttled).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlashsaleError } from '../domain/errors.ts';
import type { HttpContext } from './context.ts';
import { registerLoadShedding } from './shedding.ts';

const WINDOW_MS = 60_000;

/**
 * Orchestrator probes: throttling them would turn a busy crowd into a restart loop. Metrics: an
 * overload is exactly when operators need to see them.
 */
const NOT_RATE_LIMITED = new Set(['/healthz', '/readyz', '/metrics']);

const routeOf = (request: FastifyRequest): string | undefined => request.routeOptions.url;

/** IPv6 clients are counted per /64: one subscriber usually holds a whole /64. */
const IPV6_SUBNET = 64;

/** Minting anonymous identities: limited per IP (/64), on top of the IP limit. */
const VISITOR_ROUTE = '/api/v1/visitors';
/** Asking for a challenge and joining: limited per user token, each route on its own. */
const JOIN_ROUTES = new Set(['/api/v1/sales/:saleId/challenge', '/api/v1/sales/:saleId/queue']);

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
  return tokenHash(header.slice(7).trim());
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url').slice(0, 22);

/**
 * Whether the request is an operator's: the admin API with the right key (compared in constant
 * time; the admin routes check it again). Computed once per request, as several hooks ask.
 */
function operatorCheck(adminKey: string): (request: FastifyRequest) => boolean {
  const expected = createHash('sha256').update(adminKey).digest();
  const seen = new WeakMap<FastifyRequest, boolean>();
  return (request) => {
    let known = seen.get(request);
    if (known === undefined) {
      const header = request.headers.authorization;
      known =
        (routeOf(request) ?? '').startsWith('/api/v1/admin/') &&
        typeof header === 'string' &&
        header.startsWith('Bearer ') &&
        header.length <= 4200 &&
        timingSafeEqual(createHash('sha256').update(header.slice(7).trim()).digest(), expected);
      seen.set(request, known);
    }
    return known;
  };
}

/** Challenges and joins (POST) per user token, each route apart; empty: not one of them, or no token. */
function joinKey(request: FastifyRequest): string {
  const route = routeOf(request) ?? '';
  if (request.method !== 'POST' || !JOIN_ROUTES.has(route)) return '';
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || header.length > 4200) return '';
  return `${route.endsWith('/queue') ? 'join' : 'challenge'}:${tokenHash(header.slice(7).trim())}`;
}

export async function registerProtection(server: FastifyInstance, ctx: HttpContext): Promise<void> {
  const isOperator = operatorCheck(ctx.adminKey);
  registerLoadShedding(server, ctx.load, isOperator);
  if (ctx.app.config.rateLimits.enabled) await registerRateLimits(server, ctx, isOperator);
}

async function registerRateLimits(
  server: FastifyInstance,
  ctx: HttpContext,
  isOperator: (request: FastifyRequest) => boolean,
): Promise<void> {
  const { config, shape } = ctx.app;
  const limits = config.rateLimits;
  // Counters shared by every API process when the shape has a shared store; checks fail open
  // (skipOnError): a rate-limit store that is away must not take the buyer routes down with it.
  const common = {
    global: true,
    timeWindow: WINDOW_MS,
    skipOnError: true,
    ipv6Subnet: IPV6_SUBNET,
    errorResponseBuilder: () => new FlashsaleError('RATE_LIMITED'),
  };
  // The per-IP registration reports its numbers; one set of X-RateLimit headers is clearer.
  const quiet = {
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
  } as const;

  // One registration per limit, each an independent counter: the plugin runs one limit per route
  // and registration.
  await server.register(rateLimit, {
    ...common,
    ...(await shape.rateLimitStore('ip')),
    max: limits.ipPerMinute,
    allowList: (request) => NOT_RATE_LIMITED.has(routeOf(request) ?? '') || isOperator(request),
  });
  await server.register(rateLimit, {
    ...common,
    ...quiet,
    ...(await shape.rateLimitStore('user')),
    max: limits.userPerMinute,
    keyGenerator: userKey,
    allowList: (_request, key) => key === '',
  });
  await server.register(rateLimit, {
    ...common,
    ...quiet,
    ...(await shape.rateLimitStore('visitors')),
    max: limits.visitorsPerIpPerMinute,
    allowList: (request) => routeOf(request) !== VISITOR_ROUTE,
  });
  await server.register(rateLimit, {
    ...common,
    ...quiet,
    ...(await shape.rateLimitStore('join')),
    max: limits.joinsPerUserPerMinute,
    keyGenerator: joinKey,
    allowList: (_request, key) => key === '',
  });
  // One budget for every operator call: the admin key is one key, whoever holds it.
  await server.register(rateLimit, {
    ...common,
    ...(await shape.rateLimitStore('admin')),
    max: limits.adminPerMinute,
    keyGenerator: () => 'admin',
    allowList: (request) => !isOperator(request),
  });
}
