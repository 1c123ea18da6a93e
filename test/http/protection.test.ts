/**
 * Protecting the origin: rate limits per IP and per user (biting when on, silent when off, shared
 * through Redis in the production shape), the body size limit, and load shedding when the event
 * loop lags.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedShape, redisShape, type Shape } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { type HttpHarness, liveSale, startHttp } from './harness.ts';
import { expectSharedRateLimits } from './sharedRateLimits.ts';

const LIST = '/api/v1/admin/sales';
/** An open read that counts against the IP limit (admin calls with the key have their own budget). */
const OPEN = '/.well-known/jwks.json';
const ready = (await hasRedis()) && (await hasPostgres());

const harnesses: HttpHarness[] = [];
const shapes: Shape[] = [];
async function start(shape: Shape, env: Record<string, string>) {
  const h = await startHttp(shape, env);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of shapes.splice(0)) await s.cleanup();
});

const limited = (ipPerMinute: number, userPerMinute = 1000) => ({
  FLASHSALE_RATE_LIMITS: 'on',
  FLASHSALE_RATE_LIMIT_IP_PER_MINUTE: String(ipPerMinute),
  FLASHSALE_RATE_LIMIT_USER_PER_MINUTE: String(userPerMinute),
});

function expectRateLimited(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): { error: { code: string } };
}) {
  expect(res.statusCode).toBe(429);
  expect(res.json().error.code).toBe('RATE_LIMITED');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('rate limits', () => {
  it('per IP: the 6th request in a minute with a limit of 5 is 429 RATE_LIMITED with Retry-After', async () => {
    const h = await start(embeddedShape(), limited(5));
    for (let i = 1; i <= 5; i++) {
      const res = await h.server.inject({ url: OPEN });
      expect(res.statusCode, `request ${i}`).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(5 - i));
    }
    expectRateLimited(await h.server.inject({ url: OPEN }));
    // Counted per IP across routes (an admin call without the key too); another address has its own allowance.
    expectRateLimited(await h.server.inject({ url: '/api/v1/sales/any' }));
    expectRateLimited(await h.server.inject({ url: LIST, headers: { authorization: 'Bearer wrong' } }));
    const other = await h.server.inject({ url: OPEN, remoteAddress: '10.0.0.2' });
    expect(other.statusCode).toBe(200);
    // Orchestrator probes are never throttled.
    for (let i = 0; i < 10; i++) {
      expect((await h.server.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await h.server.inject({ url: '/readyz' })).statusCode).toBe(200);
    }
  });

  it('per user: a buyer over their allowance is refused while others go on', async () => {
    const h = await start(embeddedShape(), limited(1000, 3));
    const sale = await liveSale(h.app);
    const as = async (user: string) => ({ authorization: `Bearer ${await h.userToken(user)}` });
    const alice = await as('alice');
    const url = `/api/v1/sales/${sale.id}/queue`;
    expect((await h.server.inject({ method: 'POST', url, headers: alice })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await h.server.inject({ url, headers: alice })).statusCode).toBe(200);
    expectRateLimited(await h.server.inject({ url, headers: alice }));

    const bob = await as('bob');
    expect((await h.server.inject({ method: 'POST', url, headers: bob })).statusCode).toBe(200);
    // Anonymous reads (the sale page) and the admin API count per IP only.
    for (let i = 0; i < 5; i++) {
      expect((await h.server.inject({ url: `/api/v1/sales/${sale.id}` })).statusCode).toBe(200);
      expect((await h.server.inject({ url: LIST, headers: h.admin })).statusCode).toBe(200);
    }
  });

  it('are off with FLASHSALE_RATE_LIMITS=off', async () => {
    const h = await start(embeddedShape(), { ...limited(5, 5), FLASHSALE_RATE_LIMITS: 'off' });
    for (let i = 0; i < 30; i++) {
      const res = await h.server.inject({ url: OPEN });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it.skipIf(!ready)('are counted in Redis in the production shape: API processes share them', async () => {
    const shape = redisShape();
    shapes.push(shape);
    await expectSharedRateLimits(shape);
  });
});

describe('body size', () => {
  it('refuses a body over FLASHSALE_BODY_LIMIT_BYTES with 413 PAYLOAD_TOO_LARGE, creating nothing', async () => {
    const h = await start(embeddedShape(), { FLASHSALE_BODY_LIMIT_BYTES: '1024' });
    const now = Date.now();
    const body = { id: 'big', name: 'Big', description: 'x'.repeat(2000), priceCents: 1, totalStock: 1 };
    const res = await h.server.inject({
      method: 'POST',
      url: '/api/v1/admin/sales',
      headers: h.admin,
      payload: { ...body, startsAt: now, endsAt: now + 1000 },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await h.server.inject({ url: LIST, headers: h.admin })).json().sales).toEqual([]);
  });
});

describe('load shedding', () => {
  const busyWait = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // Blocks the event loop, as a CPU-bound burst would.
    }
  };

  it('answers 503 OVERLOADED with Retry-After while the event loop lags, but never on /healthz nor to an operator', async () => {
    const h = await start(embeddedShape(), { FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '50' });
    expect((await h.server.inject({ url: OPEN })).statusCode).toBe(200);
    // The lag is sampled, not instant: keep the loop blocked until a sample sees it.
    let shed: Awaited<ReturnType<typeof h.server.inject>> | undefined;
    let health: Awaited<ReturnType<typeof h.server.inject>> | undefined;
    let admin: Awaited<ReturnType<typeof h.server.inject>> | undefined;
    for (let i = 0; i < 20 && shed === undefined; i++) {
      busyWait(300);
      // Requests arrive through the loop's I/O phase, after its timers (where the lag is sampled).
      await new Promise((resolve) => setTimeout(resolve, 1));
      const [res, healthz, operator] = await Promise.all([
        h.server.inject({ url: OPEN }),
        h.server.inject({ url: '/healthz' }),
        h.server.inject({ url: LIST, headers: h.admin }),
      ]);
      if (res.statusCode === 503) [shed, health, admin] = [res, healthz, operator];
    }
    expect(shed, 'no request was shed').toBeDefined();
    expect(shed?.json().error.code).toBe('OVERLOADED');
    expect(Number(shed?.headers['retry-after'])).toBeGreaterThan(0);
    expect(health?.statusCode).toBe(200);
    expect(health?.json()).toEqual({ status: 'ok' });
    // The operator's call in the same instant went through: an overloaded crowd cannot lock them out.
    expect(admin?.statusCode).toBe(200);
  });
});
