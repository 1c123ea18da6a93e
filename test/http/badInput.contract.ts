/**
 * Bad input on every route, one suite for both shapes. Against a
 * real baseline — live, paused, ended, sold-out and scheduled sales, admitted buyers with their
 * tokens, a confirmed order — fast-check sends at least RUNS requests per route, each a valid request
 * with ONE aspect made bad (fuzz/arbitraries.ts), plus requests random in every part. Each must answer
 * a 4xx whose `{"error": {"code", "message"}}` names a registered code — one the reason may answer,
 * with the registry's status — and change nothing: a cheap read after every request, and the stats,
 * stock, schedules, catalog rows, order and job counts of every sale after every route, and a digest of
 * every engine key's content (Redis) or of the memory engine's whole state (embedded).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../src/domain/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../../src/domain/hold.ts';
import { MAX_INSTANT, SALE_ID_PATTERN } from '../../src/domain/sale.ts';
import { AdmissionTokens } from '../../src/http/auth.ts';
import { HTTP_STATUS } from '../../src/http/errors.ts';
import { loadAssets } from '../../src/web/assets.ts';
import { type Shape, TEST_ENV } from '../pipeline/shapes.ts';
import { REDIS_URL } from '../support/services.ts';
import { changedKeys, memoryEngineDigest, redisDigests } from '../support/stateDigest.ts';
import {
  type AdmissionPool,
  admissionPool,
  anyRequest,
  apply,
  type BadRequest,
  badAdminAuth,
  badAdmission,
  badField,
  badTransport,
  badUserAuth,
  type Change,
  encode,
  missingOrExtra,
  notAStringMatching,
  notAWholeNumberIn,
  oddPathIds,
  otherPaths,
  type Request,
  rawNumberLiterals,
  stringsNotMatching,
  type TokenPool,
  unknownSaleIds,
  userTokenPool,
  wrongMethod,
} from './fuzz/arbitraries.ts';
import { type HttpHarness, liveSale, startHttp } from './harness.ts';
import { client, ORDER_ID } from './public/client.ts';

/** Requests per route and shape (at least 1,000). */
const RUNS = 1000;
/** The latest instant a JavaScript Date holds: beyond the admin API's MAX_INSTANT (year 9999). */
const LATEST_JS_DATE = 8_640_000_000_000_000;

interface Buyer {
  id: string;
  token: string;
  admission: string;
}

interface Fixture {
  live: string;
  other: string;
  scheduled: string;
  paused: string;
  ended: string;
  soldOut: string;
  saleIds: string[];
  /** Admitted to every sale (before pause, end, sell-out); has bought nothing. */
  buyer: Buyer & { admissionTo: Record<'paused' | 'ended' | 'soldOut', string> };
  /** Admitted to the live sale; bought one unit (limit 2): `orderId`, confirmed, with `key`. */
  owner: Buyer & { orderId: string; key: string };
  /** Joined the live sale, not admitted. */
  waiter: { id: string; token: string };
  /** Tokens of users who never joined anything. */
  fresh: string[];
  /** Per fresh token, a solved proof-of-work challenge for the live sale (and one for another sale). */
  solutions: Map<string, { live: string; other: string }>;
  users: TokenPool;
  admission: AdmissionPool;
  /** A valid body for POST /admin/sales, with an id that must never come to exist. */
  newSale: Record<string, unknown>;
}

interface RouteSpec {
  /** A valid request: every bad one differs from it in one aspect. */
  base: () => Request;
  bad: fc.Arbitrary<Change>;
  /** Read after every request; must not move. */
  watch: () => Promise<unknown>;
}

const ROUTES = [
  'POST /api/v1/visitors',
  'GET /api/v1/sales/:saleId',
  'POST /api/v1/sales/:saleId/challenge',
  'POST /api/v1/sales/:saleId/queue',
  'GET /api/v1/sales/:saleId/queue',
  'DELETE /api/v1/sales/:saleId/queue',
  'POST /api/v1/sales/:saleId/checkout',
  'GET /api/v1/orders/:orderId',
  'POST /api/v1/admin/sales',
  'GET /api/v1/admin/sales',
  'GET /api/v1/admin/sales/:saleId',
  'POST /api/v1/admin/sales/:saleId/start',
  'POST /api/v1/admin/sales/:saleId/pause',
  'POST /api/v1/admin/sales/:saleId/resume',
  'POST /api/v1/admin/sales/:saleId/end',
  'GET /api/v1/admin/sales/:saleId/stats',
  'GET /api/v1/admin/sales/:saleId/history',
  'GET /healthz',
  'GET /readyz',
  'GET /.well-known/jwks.json',
  'GET /assets/:file',
] as const;
type RouteName = (typeof ROUTES)[number];
const RANDOM = 'anything, no credential';

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

function describeExchange(req: BadRequest, res: LightMyRequestResponse, problem: string): string {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, clip(v, 120)]));
  return [
    problem,
    `  why:      ${req.why}`,
    `  request:  ${req.method} ${clip(req.url)}`,
    `  headers:  ${JSON.stringify(headers)}`,
    `  body:     ${req.payload === undefined ? '(none)' : clip(JSON.stringify(req.payload))}`,
    `  response: ${res.statusCode} ${clip(res.body)}`,
  ].join('\n');
}

/** What is wrong with the answer to a request bad for a known reason, or null. */
function judge(req: BadRequest, res: LightMyRequestResponse): string | null {
  if (res.statusCode < 400 || res.statusCode >= 500) return `answered ${res.statusCode}, not a 4xx`;
  return errorShape(res) ?? (req.codes.includes(res.json().error.code) ? null : unexpected(req, res));
}

function codeOf(res: LightMyRequestResponse): string {
  try {
    return String(res.json().error.code);
  } catch {
    return `${res.statusCode} without an error body`;
  }
}

const unexpected = (req: BadRequest, res: LightMyRequestResponse) =>
  `answered ${res.json().error.code}, expected ${req.codes.join(' or ')}`;

function errorShape(res: LightMyRequestResponse): string | null {
  if (!String(res.headers['content-type']).startsWith('application/json')) return 'error is not JSON';
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = res.json();
  } catch {
    return 'error body does not parse';
  }
  const code = body?.error?.code;
  if (typeof code !== 'string' || !isErrorCode(code))
    return `error.code ${String(code)} is not in the registry`;
  if (typeof body.error?.message !== 'string' || body.error.message === '') return 'error.message missing';
  if (HTTP_STATUS[code] !== res.statusCode)
    return `${code} answered with ${res.statusCode}, not ${HTTP_STATUS[code]}`;
  return null;
}

/** The API paths that need a user token or the admin key (pages, assets and probes are open). */
const CREDENTIAL_NEEDED = /^\/api\/v1\/(admin(\/|$)|orders\/|sales\/[^/]*\/(queue|checkout)$)/;

/** Random requests carry no credential: only open reads and a visitor token may succeed. */
function judgeAny(req: BadRequest, res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return `answered ${res.statusCode}`;
  if (res.statusCode < 400) {
    const path = new URL(req.url, 'http://localhost').pathname;
    const read = (req.method === 'GET' || req.method === 'HEAD') && !CREDENTIAL_NEEDED.test(path);
    const visitor = req.method === 'POST' && path === '/api/v1/visitors';
    return read || visitor ? null : `answered ${res.statusCode} without a credential`;
  }
  if (req.method === 'HEAD') return null;
  // Storefront pages (src/http/routes/web.ts) answer people, not programs: an HTML 404 page.
  const path = req.url.split('?')[0] ?? '';
  const page = WEB_PAGE.test(path) && String(res.headers['content-type']).startsWith('text/html');
  return page && res.statusCode === 404 ? null : errorShape(res);
}

/** Paths of the storefront and console pages (not the JSON API, not /assets). */
const WEB_PAGE = /^\/(?:sales\/[^/]*|orders\/[^/]*|admin)?$/;

export function describeBadInput(makeShape: () => Shape) {
  describe(`bad input on every route: ${makeShape.name}`, () => {
    const shape = makeShape();
    let harness: HttpHarness | undefined;
    let fixture: Fixture | undefined;
    let redis: Redis | null = null;
    const engineKeys = shape.env.FLASHSALE_REDIS_PREFIX;
    const queueKeys = shape.env.TEST_QUEUE_PREFIX;
    const sent = new Map<string, number>();
    /** Per route, how many answers of each code (or success status): printed at the end. */
    const answers = new Map<string, Map<string, number>>();
    const h = () => {
      if (harness === undefined) throw new Error('harness not started');
      return harness;
    };

    beforeAll(async () => {
      harness = await startHttp(shape, {
        FLASHSALE_VISITORS: 'on',
        // Joins need a solved challenge, as in production; they stay valid for the whole run.
        FLASHSALE_POW: 'on',
        FLASHSALE_POW_TTL_SECONDS: '86400',
        // A GC pause must not turn a 4xx into 503 OVERLOADED: shedding is protection.test.ts's subject.
        FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000',
        // An admitted buyer's good poll is a heartbeat: a write (the slot's lease) that would show in
        // the engine digest a second later. Heartbeats are public.contract.ts's subject, not bad input.
        FLASHSALE_HEARTBEAT_SECONDS: '0',
      });
      harness.startWorker(false);
      fixture = await buildFixture(harness);
      if (shape.name === 'redis') redis = new Redis(REDIS_URL);
    }, 120_000);

    afterAll(async () => {
      // Each test checks its own count; this prints what every route answered (for the routes that ran).
      const table = [...ROUTES, RANDOM].map((route) => ({ route, requests: sent.get(route) ?? 0 }));
      const codes = (route: string) =>
        [...(answers.get(route) ?? [])]
          .sort((a, b) => b[1] - a[1])
          .map(([code, n]) => `${code} ${n}`)
          .join(', ');
      const lines = table.map((r) => `  ${r.requests}\t${r.route}\t${codes(r.route)}`);
      console.log(`bad input, ${shape.name} shape:\n${lines.join('\n')}`);
      redis?.disconnect();
      await harness?.close();
      await shape.cleanup();
    });

    const fx = () => {
      if (fixture === undefined) throw new Error('fixture not built');
      return fixture;
    };

    /** Everything a bad request could have changed, on every sale of the fixture. */
    const snapshot = async () => {
      const { app } = h();
      const ids = fx().saleIds;
      const each = <T>(f: (id: string) => Promise<T>) => Promise.all(ids.map(f));
      return {
        stats: await each((id) => app.engine.stats(id)),
        views: await each((id) => app.engine.getSale(id)),
        records: await each((id) => app.store.getSale(id)),
        orders: await each((id) => app.store.orderCounts(id)),
        catalog: (await app.store.listSales()).map((s) => s.id).sort(),
        jobs: await Promise.all([app.queues.orders.counts(), app.queues.notifications.counts()]),
        // Every key's content, not their number: a field written into an existing hash or sorted set
        // (an idempotency key, a user's units, a freed slot) shows here.
        engine: redis === null ? memoryEngineDigest(app.engine) : await redisDigests(redis, `${engineKeys}*`),
        queueKeys: redis === null ? null : await redisDigests(redis, `${queueKeys}*`, workerHousekeeping),
      };
    };
    type Snapshot = Awaited<ReturnType<typeof snapshot>>;
    const expectUnchanged = (before: Snapshot, after: Snapshot) => {
      if (typeof before.engine === 'object' && typeof after.engine === 'object')
        expect(changedKeys(before.engine, after.engine), 'engine keys changed').toEqual([]);
      else expect(after.engine, 'memory engine state changed').toBe(before.engine);
      if (before.queueKeys !== null && after.queueKeys !== null)
        expect(changedKeys(before.queueKeys, after.queueKeys), 'job queue keys changed').toEqual([]);
      expect(after).toEqual(before);
    };

    const inject = (req: BadRequest) =>
      h().server.inject({
        method: req.method as HTTPMethods,
        url: req.url,
        headers: req.headers,
        ...(req.payload !== undefined ? { payload: req.payload } : {}),
      });

    async function property(
      name: string,
      requests: fc.Arbitrary<BadRequest>,
      watch: () => Promise<unknown>,
      verdict: (req: BadRequest, res: LightMyRequestResponse) => string | null,
    ) {
      const before = await snapshot();
      const watched = await watch();
      let count = 0;
      await fc.assert(
        fc.asyncProperty(requests, async (req) => {
          const res = await inject(req);
          count += 1;
          sent.set(name, (sent.get(name) ?? 0) + 1);
          const seen = answers.get(name) ?? new Map<string, number>();
          answers.set(name, seen);
          const key =
            res.statusCode < 400 || req.method === 'HEAD' ? `${req.method} ${res.statusCode}` : codeOf(res);
          seen.set(key, (seen.get(key) ?? 0) + 1);
          const problem = verdict(req, res);
          if (problem !== null) throw new Error(describeExchange(req, res, problem));
          const now = await watch();
          if (!isDeepStrictEqual(now, watched)) {
            const change = `state changed: ${JSON.stringify(watched)} → ${JSON.stringify(now)}`;
            throw new Error(describeExchange(req, res, change));
          }
        }),
        // The first failure as it happened: shrinking would replay requests against a changed state.
        { numRuns: RUNS, endOnFailure: true },
      );
      expect(count, `requests sent: ${name}`).toBeGreaterThanOrEqual(RUNS);
      expectUnchanged(before, await snapshot());
    }

    for (const route of ROUTES) {
      it(`${route}: ${RUNS} bad requests, each a 4xx with a code, nothing changed`, async () => {
        const spec = routeSpec(route, fx(), h());
        const requests = spec.bad.map((change) => apply(spec.base(), change));
        await property(route, requests, spec.watch, judge);
      });
    }

    it(`${RUNS} requests random in every part: never a 5xx, a success only where no credential is needed`, async () => {
      const { live } = fx();
      await property(RANDOM, anyRequest(fx().saleIds), () => h().app.engine.stats(live), judgeAny);
    });

    // Values PostgreSQL cannot store — text with U+0000, instants after 9999-12-31T23:59:59.999Z —
    // once answered 500 INTERNAL; the schema and the domain now refuse them with a 4xx.
    it('POST /api/v1/admin/sales: NUL in text and instants past year 9999 answer a 4xx', async () => {
      const spec = routeSpec('POST /api/v1/admin/sales', fx(), h());
      const requests = unstorable(fx().newSale).map((change) => apply(spec.base(), change));
      await property('POST /api/v1/admin/sales (unstorable values)', requests, spec.watch, judge);
    });
  });
}

/** The key an idle BullMQ worker rewrites on its stalled-job check: it says nothing about a request. */
const workerHousekeeping = (key: string) => key.endsWith(':stalled-check');

/** The baseline: sales in every state, buyers with real tokens from the waiting room, one confirmed order. */
async function buildFixture(h: HttpHarness): Promise<Fixture> {
  const { app } = h;
  const c = client(() => h);
  const sale = async (over: Parameters<typeof liveSale>[1] = {}) =>
    (
      await liveSale(app, {
        totalStock: 1000,
        perUserLimit: 2,
        // Work enough that a random counter rarely solves it, cheap enough to solve for the fixture.
        powDifficulty: 12,
        holdSeconds: 3600,
        admission: { perSecond: 1000, maxActive: 1000, sessionSeconds: 3600 },
        ...over,
      })
    ).id;
  const now = Date.now();
  const [live, other, paused, ended, soldOut] = await Promise.all([
    sale(),
    sale(),
    sale(),
    sale(),
    sale({ totalStock: 1 }),
  ]);
  const scheduled = await sale({
    prequeueAt: now + 3_600_000,
    startsAt: now + 7_200_000,
    endsAt: now + 10_800_000,
  });

  const [buyer, owner, peer] = await c.admitted(live, 'fz-buyer', 'fz-owner', 'fz-peer');
  const [inOther] = await c.admitted(other, 'fz-buyer');
  const [inPaused] = await c.admitted(paused, 'fz-buyer');
  const [inEnded] = await c.admitted(ended, 'fz-buyer');
  const [inSoldOut] = await c.admitted(soldOut, 'fz-buyer');
  if (!buyer || !owner || !peer || !inOther || !inPaused || !inEnded || !inSoldOut)
    throw new Error('not admitted');
  await app.engine.pause(paused);
  await app.engine.end(ended);
  await app.engine.reserve({ saleId: soldOut, userId: 'fz-holder', quantity: 1, idempotencyKey: 'fz-hold' });

  const waiter = { id: 'fz-waiter', token: await h.userToken('fz-waiter') };
  const waiterJoin = { token: waiter.token, headers: await c.solution(live, waiter.token) };
  expect((await c.call('POST', `/sales/${live}/queue`, waiterJoin)).json().state).toBe('waiting');

  const key = 'fz-owner-key';
  const order = await c.buy(live, owner, { key, quantity: 1 });
  expect(order.statusCode).toBe(202);
  const orderId = order.json().orderId as string;
  await c.orderUntil(owner.token, orderId, 'confirmed');
  for (let i = 0; (await app.engine.stats(live)).held !== 0; i++) {
    if (i > 100) throw new Error('the confirmed order still holds its unit');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const users = await userTokenPool({
    secret: TEST_ENV.FLASHSALE_USER_SECRET,
    user: 'fz-buyer',
    users: ['fz-buyer', 'fz-owner', 'fz-waiter', 'fz-peer'],
    adminKey: h.ctx.adminKey,
    admission: buyer.admission,
    valid: buyer.token,
  });
  const admission = await admissionPool({
    service: h.ctx.admission,
    stranger: await AdmissionTokens.create(null),
    userId: 'fz-buyer',
    saleId: live,
    valid: buyer.admission,
    otherSale: inOther.admission,
    otherUser: peer.admission,
    userToken: buyer.token,
  });
  const fresh = await Promise.all(Array.from({ length: 16 }, (_, i) => h.userToken(`fz-fresh-${i}`)));
  const solutions = new Map<string, { live: string; other: string }>();
  for (const token of fresh) {
    const forLive = (await c.solution(live, token))['x-pow-solution'] as string;
    const forOther = (await c.solution(other, token))['x-pow-solution'] as string;
    solutions.set(token, { live: forLive, other: forOther });
  }
  return {
    live,
    other,
    scheduled,
    paused,
    ended,
    soldOut,
    saleIds: [live, other, scheduled, paused, ended, soldOut],
    buyer: {
      id: 'fz-buyer',
      ...buyer,
      admissionTo: { paused: inPaused.admission, ended: inEnded.admission, soldOut: inSoldOut.admission },
    },
    owner: { id: 'fz-owner', ...owner, orderId, key },
    waiter,
    fresh,
    solutions,
    users,
    admission,
    newSale: {
      id: 'fz-never-created',
      name: 'Fuzz drop',
      description: 'Never published',
      priceCents: 100,
      currency: 'EUR',
      totalStock: 10,
      perUserLimit: 1,
      prequeueAt: now,
      startsAt: now,
      endsAt: now + 3_600_000,
      queueing: 'fifo',
      shuffleSeed: 'seed',
      admission: { perSecond: 5, maxActive: 50, sessionSeconds: 300 },
      holdSeconds: 120,
    },
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Each route's valid request and the ways to make it bad. */
function routeSpec(route: RouteName, fx: Fixture, h: HttpHarness): RouteSpec {
  const { app } = h;
  const limit = app.config.bodyLimitBytes;
  const admin = h.admin;
  const liveStats = () => app.engine.stats(fx.live);

  const auth = (values: fc.Arbitrary<{ value: string | null; why: string }>): fc.Arbitrary<Change> =>
    values.map(({ value, why }) => ({ why, codes: ['UNAUTHENTICATED'], headers: { authorization: value } }));
  const userAuth = auth(badUserAuth(fx.users));
  const adminAuth = auth(badAdminAuth(h.ctx.adminKey, fx.buyer.token));

  /** Unknown and odd ids in the `:saleId` (or `:orderId`) of `urlOf`. */
  const ids = (urlOf: (id: string) => string, unknown: Change['codes'][number], pattern: RegExp | null) =>
    fc.oneof(
      unknownSaleIds(fx.saleIds).map(
        (id): Change => ({ why: `unknown id ${id}`, codes: [unknown], url: urlOf(id) }),
      ),
      oddPathIds(pattern).map(
        ({ segment, why }): Change => ({
          why,
          codes: ['INVALID_REQUEST', 'NOT_FOUND', 'SALE_NOT_FOUND', unknown] as const,
          url: urlOf(segment),
        }),
      ),
    );

  /** The state an admin action would change on its target sale. */
  const viewOf = (saleId: string) => async () => {
    const view = await app.engine.getSale(saleId);
    return view && { state: view.state, flags: view.flags, stock: view.stock, starts: view.startsAt };
  };

  let fresh = 0;
  const freshToken = () => fx.fresh[fresh++ % fx.fresh.length] as string;

  switch (route) {
    case 'POST /api/v1/visitors':
      return {
        base: () => ({ method: 'POST', url: '/api/v1/visitors', headers: {} }),
        bad: fc.oneof(
          badTransport(null, limit, false),
          wrongMethod(['POST']),
          otherPaths('/api/v1/visitors'),
        ),
        watch: liveStats,
      };

    case 'GET /api/v1/sales/:saleId': {
      const url = (id: string) => `/api/v1/sales/${id}`;
      return {
        base: () => ({ method: 'GET', url: url(fx.live), headers: {} }),
        bad: fc.oneof(
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          wrongMethod(['GET']),
          otherPaths(url(fx.live)),
        ),
        watch: liveStats,
      };
    }

    case 'POST /api/v1/sales/:saleId/challenge': {
      // Asking for a challenge changes nothing, valid or not; the bad ones must still be refused.
      const url = (id: string) => `/api/v1/sales/${id}/challenge`;
      return {
        base: () => ({ method: 'POST', url: url(fx.live), headers: bearer(freshToken()) }),
        bad: fc.oneof(
          userAuth,
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          badTransport(null, limit, false),
          wrongMethod(['POST']),
        ),
        watch: liveStats,
      };
    }

    case 'POST /api/v1/sales/:saleId/queue': {
      // A user who never joined, with a solved challenge: had any of these been taken for a join,
      // `waiting` would move.
      const url = (id: string) => `/api/v1/sales/${id}/queue`;
      const solved = (token: string) => fx.solutions.get(token) as { live: string; other: string };
      const joinAs = (token: string) => ({ ...bearer(token), 'x-pow-solution': solved(token).live });
      const powInvalid = (why: string, value: string): Change => ({
        why,
        codes: ['POW_INVALID'],
        headers: { 'x-pow-solution': value },
      });
      return {
        base: () => ({ method: 'POST', url: url(fx.live), headers: joinAs(freshToken()) }),
        bad: fc.oneof(
          userAuth,
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          fc.constant<Change>({
            why: 'waiting room not open yet (the solution is for the live sale)',
            codes: ['NOT_LIVE', 'POW_INVALID'],
            url: url(fx.scheduled),
          }),
          fc.constantFrom<Change>({
            why: 'no solution',
            codes: ['POW_REQUIRED'],
            headers: { 'x-pow-solution': null },
          }),
          fc
            .constantFrom(...fx.fresh)
            .map((token) => powInvalid('a solution for the other sale', solved(token).other)),
          // A fresh user sending another fresh user's solution.
          fc
            .tuple(fc.nat({ max: fx.fresh.length - 1 }), fc.nat({ max: fx.fresh.length - 2 }))
            .map(([a, b]): Change => {
              const token = fx.fresh[a] as string;
              const other = fx.fresh.filter((t) => t !== token)[b] as string;
              return {
                why: "another user's solution",
                codes: ['POW_INVALID'],
                headers: { ...bearer(token), 'x-pow-solution': solved(other).live },
              };
            }),
          fc.constantFrom(...fx.fresh).map((token) => {
            const [payload, mac, counter] = solved(token).live.split('.') as [string, string, string];
            const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
            return powInvalid('a tampered challenge', `${payload}.${flipped}.${counter}`);
          }),
          fc
            .string({ minLength: 1, maxLength: 300 })
            .filter((v) => v.trim() !== '' && /^[\x21-\x7e]+$/.test(v))
            .map((v) => powInvalid(`solution ${JSON.stringify(v).slice(0, 60)}`, v)),
          badTransport(null, limit, false),
          wrongMethod(['GET', 'POST', 'DELETE']),
        ),
        watch: liveStats,
      };
    }

    case 'GET /api/v1/sales/:saleId/queue': {
      const url = (id: string) => `/api/v1/sales/${id}/queue`;
      return {
        base: () => ({ method: 'GET', url: url(fx.live), headers: bearer(fx.waiter.token) }),
        bad: fc.oneof(
          userAuth,
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          fc.constantFrom(...fx.fresh).map(
            (token): Change => ({
              why: 'a user who never joined',
              codes: ['NOT_IN_QUEUE'],
              headers: bearer(token),
            }),
          ),
          fc.constantFrom(fx.other, fx.scheduled, fx.paused).map(
            (id): Change => ({
              why: 'a sale the user never joined',
              codes: ['NOT_IN_QUEUE'],
              url: url(id),
            }),
          ),
          wrongMethod(['GET', 'POST', 'DELETE']),
        ),
        watch: liveStats,
      };
    }

    case 'DELETE /api/v1/sales/:saleId/queue': {
      // The waiter's own token: had any of these been taken for a leave, `waiting` would drop.
      const url = (id: string) => `/api/v1/sales/${id}/queue`;
      return {
        base: () => ({ method: 'DELETE', url: url(fx.live), headers: bearer(fx.waiter.token) }),
        bad: fc.oneof(userAuth, ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN)),
        watch: liveStats,
      };
    }

    case 'POST /api/v1/sales/:saleId/checkout':
      return checkoutSpec(fx, h, userAuth, ids);

    case 'GET /api/v1/orders/:orderId': {
      const url = (id: string) => `/api/v1/orders/${id}`;
      const [, holdId] = fx.owner.orderId.split('.') as [string, string];
      const notFound = ['ORDER_NOT_FOUND'] as const;
      return {
        base: () => ({ method: 'GET', url: url(fx.owner.orderId), headers: bearer(fx.owner.token) }),
        bad: fc.oneof(
          userAuth,
          oddPathIds(ORDER_ID).map(
            ({ segment, why }): Change => ({
              why,
              codes: ['ORDER_NOT_FOUND', 'INVALID_REQUEST', 'NOT_FOUND'] as const,
              url: url(segment),
            }),
          ),
          fc
            .uuid()
            .map(
              (uuid): Change => ({ why: 'unknown order', codes: notFound, url: url(`${fx.live}.${uuid}`) }),
            ),
          fc.constantFrom(fx.buyer.token, fx.waiter.token, ...fx.fresh).map(
            (token): Change => ({
              why: "another user's order",
              codes: notFound,
              headers: bearer(token),
            }),
          ),
          fc.oneof(fc.constantFrom(fx.other, fx.ended), unknownSaleIds(fx.saleIds)).map(
            (saleId): Change => ({
              why: `the hold under sale ${saleId}`,
              codes: notFound,
              url: url(`${saleId}.${holdId}`),
            }),
          ),
          fc
            .constantFrom(
              fx.owner.orderId.toUpperCase(),
              `${fx.owner.orderId}x`,
              `${fx.owner.orderId}.`,
              `.${fx.owner.orderId}`,
              holdId,
              `${fx.live}..${holdId}`,
              `${fx.live}.${holdId.replaceAll('-', '')}`,
              encode(`${fx.owner.orderId} `),
            )
            .map((id): Change => ({ why: `order id ${id}`, codes: notFound, url: url(id) })),
          wrongMethod(['GET']),
        ),
        watch: liveStats,
      };
    }

    case 'POST /api/v1/admin/sales':
      return createSaleSpec(fx, h, adminAuth);

    case 'GET /api/v1/admin/sales':
      return {
        base: () => ({ method: 'GET', url: '/api/v1/admin/sales', headers: admin }),
        bad: fc.oneof(adminAuth, wrongMethod(['GET', 'POST']), otherPaths('/api/v1/admin/sales')),
        watch: liveStats,
      };

    case 'GET /api/v1/admin/sales/:saleId':
    case 'GET /api/v1/admin/sales/:saleId/stats':
    case 'GET /api/v1/admin/sales/:saleId/history': {
      const suffix = route.slice(route.indexOf(':saleId') + ':saleId'.length);
      const url = (id: string) => `/api/v1/admin/sales/${id}${suffix}`;
      // The history's one query parameter: anything but 2..1000 in digits is refused.
      const points = fc
        .oneof(
          fc.integer({ min: -5, max: 1 }).map(String),
          fc.integer({ min: 1001, max: 1_000_000 }).map(String),
          fc.constantFrom('', 'x', '2.5', '1e2', ' 10', '0x10', '010'),
        )
        .map(
          (value): Change => ({
            why: `points=${JSON.stringify(value)}`,
            codes: ['INVALID_REQUEST'],
            url: `${url(fx.live)}?points=${encodeURIComponent(value)}`,
          }),
        );
      return {
        base: () => ({ method: 'GET', url: url(fx.live), headers: admin }),
        bad: fc.oneof(
          adminAuth,
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          wrongMethod(['GET']),
          ...(suffix === '/history' ? [points] : []),
        ),
        watch: liveStats,
      };
    }

    case 'POST /api/v1/admin/sales/:saleId/start':
    case 'POST /api/v1/admin/sales/:saleId/pause':
    case 'POST /api/v1/admin/sales/:saleId/resume':
    case 'POST /api/v1/admin/sales/:saleId/end': {
      const action = route.slice(route.lastIndexOf('/') + 1);
      // A target the action would change, so a request taken for a valid one shows.
      const target = { start: fx.scheduled, pause: fx.live, resume: fx.paused, end: fx.other }[
        action
      ] as string;
      const url = (id: string) => `/api/v1/admin/sales/${id}/${action}`;
      return {
        base: () => ({ method: 'POST', url: url(target), headers: admin }),
        bad: fc.oneof(
          adminAuth,
          ids(url, 'SALE_NOT_FOUND', SALE_ID_PATTERN),
          badTransport(null, limit, false),
          wrongMethod(['POST']),
        ),
        watch: viewOf(target),
      };
    }

    case 'GET /assets/:file': {
      // Assets are looked up by their content-hashed name: no name, however built, reaches a file.
      const [asset] = [...loadAssets().byHashed.keys()];
      if (asset === undefined) throw new Error('no web assets');
      const url = (file: string) => `/assets/${file}`;
      const traversal = [
        '..%2F..%2Fpackage.json',
        '..%2Fpublic%2Fhome.js',
        '%2e%2e%2f%2e%2e%2fsrc%2fconfig.ts',
        '..%5C..%5Cpackage.json',
        '%2Fetc%2Fpasswd',
        `${asset}%00.js`,
        `${asset}%2F`,
        asset.toUpperCase(),
        asset.replace(/\.[^.]+$/, ''),
        'home.js',
        '.env',
      ];
      return {
        base: () => ({ method: 'GET', url: url(asset), headers: {} }),
        bad: fc.oneof(
          fc
            .constantFrom(...traversal)
            .map((file): Change => ({ why: `asset ${file}`, codes: ['NOT_FOUND'], url: url(file) })),
          // `.` and `..` stay as they are when encoded: inject() resolves them like a browser, to other pages.
          stringsNotMatching(/^\.{0,2}$/).map(
            (name): Change => ({
              why: `asset ${JSON.stringify(name).slice(0, 60)}`,
              codes: ['NOT_FOUND', 'INVALID_REQUEST'],
              url: url(encode(name)),
            }),
          ),
          wrongMethod(['GET']),
        ),
        watch: liveStats,
      };
    }

    case 'GET /healthz':
    case 'GET /readyz':
    case 'GET /.well-known/jwks.json': {
      const path = route.slice(4);
      return {
        base: () => ({ method: 'GET', url: path, headers: {} }),
        bad: fc.oneof(wrongMethod(['GET']), otherPaths(path)),
        watch: liveStats,
      };
    }
  }
}

function checkoutSpec(
  fx: Fixture,
  h: HttpHarness,
  userAuth: fc.Arbitrary<Change>,
  ids: (
    urlOf: (id: string) => string,
    unknown: Change['codes'][number],
    pattern: RegExp | null,
  ) => fc.Arbitrary<Change>,
): RouteSpec {
  const url = (id: string) => `/api/v1/sales/${id}/checkout`;
  const body = { quantity: 1, paymentMethod: 'pm_ok' };
  const json = JSON.stringify(body);
  let n = 0;
  /** Over the limit (2) is a 409; anything else that is not 1 or 2 fails the schema. */
  const quantityCodes = (q: unknown) =>
    typeof q === 'number' && Number.isInteger(q) && q >= 3 && q <= 1000
      ? (['LIMIT_EXCEEDED', 'INSUFFICIENT_STOCK'] as const)
      : (['INVALID_REQUEST'] as const);
  const inState = (saleId: string, admission: string, codes: Change['codes'], why: string): Change => ({
    why,
    codes,
    url: url(saleId),
    headers: { 'x-admission-token': admission },
  });
  const owner = (key: string, quantity: number, codes: Change['codes'], why: string): Change => ({
    why,
    codes,
    headers: { ...bearer(fx.owner.token), 'x-admission-token': fx.owner.admission, 'idempotency-key': key },
    payload: JSON.stringify({ ...body, quantity }),
  });
  return {
    base: () => ({
      method: 'POST',
      url: url(fx.live),
      headers: {
        ...JSON_HEADERS,
        ...bearer(fx.buyer.token),
        'x-admission-token': fx.buyer.admission,
        'idempotency-key': `fz-${process.pid}-${++n}`,
      },
      payload: json,
    }),
    bad: fc.oneof(
      userAuth,
      badAdmission(fx.admission).map(
        ({ value, why }): Change => ({
          why,
          codes: ['NOT_ADMITTED'],
          headers: { 'x-admission-token': value },
        }),
      ),
      fc
        .oneof(
          fc.constant(null),
          stringsNotMatching(IDEMPOTENCY_KEY_PATTERN, 128).filter(
            (k) => !IDEMPOTENCY_KEY_PATTERN.test(k.trim()),
          ),
        )
        .map(
          (key): Change => ({
            why: `Idempotency-Key ${key === null ? 'missing' : JSON.stringify(key).slice(0, 60)}`,
            codes: ['INVALID_REQUEST'],
            headers: { 'idempotency-key': key },
          }),
        ),
      ids(url, 'NOT_ADMITTED', SALE_ID_PATTERN),
      fc.constantFrom(
        inState(fx.paused, fx.buyer.admissionTo.paused, ['NOT_LIVE'], 'a paused sale'),
        inState(fx.ended, fx.buyer.admissionTo.ended, ['NOT_LIVE'], 'an ended sale'),
        inState(
          fx.soldOut,
          fx.buyer.admissionTo.soldOut,
          ['SOLD_OUT', 'INSUFFICIENT_STOCK'],
          'a sold-out sale',
        ),
        owner('fz-owner-again', 2, ['LIMIT_EXCEEDED'], 'past the per-user limit'),
        owner(fx.owner.key, 2, ['IDEMPOTENCY_CONFLICT', 'LIMIT_EXCEEDED'], 'a used key for another quantity'),
      ),
      badField(body, 'quantity', notAWholeNumberIn(1, 2), quantityCodes),
      rawNumberLiterals(body, 'quantity', 1, 2).map(
        ({ literal, payload }): Change => ({
          why: `quantity written ${literal}`,
          codes: quantityCodes(JSON.parse(literal)),
          payload,
        }),
      ),
      badField(body, 'paymentMethod', notAStringMatching(/^[A-Za-z0-9_]{1,64}$/, 64)),
      missingOrExtra(body, ['quantity', 'paymentMethod']),
      badTransport(json, h.app.config.bodyLimitBytes, true),
      wrongMethod(['POST']),
    ),
    watch: () => h.app.engine.stats(fx.live),
  };
}

function createSaleSpec(fx: Fixture, h: HttpHarness, adminAuth: fc.Arbitrary<Change>): RouteSpec {
  const valid = fx.newSale;
  const startsAt = valid.startsAt as number;
  const endsAt = valid.endsAt as number;
  const field = (name: string, values: fc.Arbitrary<unknown>) => badField(valid, name, values);
  const invalidSale = (name: string, values: fc.Arbitrary<number>) =>
    badField(valid, name, values, () => ['INVALID_SALE']);
  const text = (max: number) =>
    fc.oneof(
      fc.string({ minLength: max + 1, maxLength: max + 100 }),
      fc.constantFrom(null, 1, true, [], {}, ['x']),
    );
  return {
    base: () => ({
      method: 'POST',
      url: '/api/v1/admin/sales',
      headers: { ...JSON_HEADERS, ...h.admin },
      payload: JSON.stringify(valid),
    }),
    bad: fc.oneof(
      adminAuth,
      field('id', notAStringMatching(SALE_ID_PATTERN, 64)),
      badField(valid, 'id', fc.constantFrom(...fx.saleIds), () => ['SALE_EXISTS']),
      field('name', fc.oneof(fc.constant(''), text(200))),
      field('description', text(4000)),
      field('priceCents', notAWholeNumberIn(0, 2_147_483_647)),
      field('currency', notAStringMatching(/^[A-Z]{3}$/, 10)),
      field('totalStock', notAWholeNumberIn(1, 1_000_000_000)),
      field('perUserLimit', notAWholeNumberIn(1, 1000)),
      field('prequeueAt', notAWholeNumberIn(0, MAX_INSTANT)),
      field('startsAt', notAWholeNumberIn(0, MAX_INSTANT)),
      field('endsAt', notAWholeNumberIn(0, MAX_INSTANT)),
      invalidSale('prequeueAt', fc.integer({ min: startsAt + 1, max: MAX_INSTANT })),
      invalidSale('startsAt', fc.integer({ min: endsAt, max: MAX_INSTANT })),
      invalidSale('endsAt', fc.integer({ min: 0, max: startsAt })),
      field('queueing', notAStringMatching(/^(fifo|shuffle)$/, 20)),
      field('shuffleSeed', fc.oneof(fc.constant(''), text(128))),
      field('admission', fc.constantFrom(null, 1, 'fast', [], [5, 50, 300], true)),
      field('admission.perSecond', notAWholeNumberIn(1, 1_000_000)),
      field('admission.maxActive', notAWholeNumberIn(1, 100_000_000)),
      field('admission.sessionSeconds', notAWholeNumberIn(1, 86_400)),
      field('holdSeconds', notAWholeNumberIn(1, 86_400)),
      rawNumberLiterals(valid, 'totalStock', 1, 1_000_000_000).map(({ literal, payload }) => ({
        why: `totalStock written ${literal}`,
        codes: ['INVALID_REQUEST'] as const,
        payload,
      })),
      missingOrExtra(valid, ['id', 'name', 'priceCents', 'totalStock', 'startsAt', 'endsAt'], ['admission']),
      badTransport(JSON.stringify(valid), h.app.config.bodyLimitBytes, true),
      wrongMethod(['GET', 'POST']),
    ),
    watch: async () => ({
      sales: (await h.app.store.listSales()).length,
      created: await h.app.store.getSale(valid.id as string),
    }),
  };
}

/** The last instant PostgreSQL takes as an ISO string from node-postgres and PGlite: 9999-12-31T23:59:59.999Z. */
const LAST_STORABLE_INSTANT = 253_402_300_799_999;

/** Sale fields the admin schema takes and the database cannot store. */
function unstorable(valid: Record<string, unknown>): fc.Arbitrary<Change> {
  const withNul = fc
    .tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }))
    .map(([a, b]) => `${a}\u0000${b}`);
  const codes = ['INVALID_REQUEST', 'INVALID_SALE'] as const;
  const past = fc.integer({ min: LAST_STORABLE_INSTANT + 1, max: LATEST_JS_DATE });
  return fc.oneof(
    badField(valid, 'name', withNul, () => codes),
    badField(valid, 'description', withNul, () => codes),
    badField(valid, 'shuffleSeed', withNul, () => codes),
    badField(valid, 'endsAt', past, () => codes),
    past.map(
      (at): Change => ({
        why: `startsAt = endsAt - 1000 = ${at - 1000}`,
        codes,
        payload: JSON.stringify({ ...valid, prequeueAt: at - 1000, startsAt: at - 1000, endsAt: at }),
      }),
    ),
  );
}
