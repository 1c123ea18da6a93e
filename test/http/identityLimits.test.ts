/**
 * Identity limits and operators, on both shapes (counters in Redis in the production shape):
 * anonymous identities per IP and per IPv6 /64, challenges and joins per user token, and admin calls
 * with the admin key in a budget of their own — a crowd flooding the buyer routes from one IP cannot
 * stop an operator behind that IP from pausing the sale.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedShape, redisShape, type Shape } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { type HttpHarness, liveSale, startHttp } from './harness.ts';

const ready = (await hasRedis()) && (await hasPostgres());

const harnesses: HttpHarness[] = [];
const shapes: Shape[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of shapes.splice(0)) await s.cleanup();
});

async function start(makeShape: () => Shape, env: Record<string, string>) {
  const shape = makeShape();
  shapes.push(shape);
  const h = await startHttp(shape, { FLASHSALE_RATE_LIMITS: 'on', FLASHSALE_VISITORS: 'on', ...env });
  harnesses.push(h);
  return h;
}

const codeOf = (res: { statusCode: number; json(): { error?: { code: string } } }) =>
  res.statusCode < 400 ? res.statusCode : res.json().error?.code;

for (const makeShape of [embeddedShape, ...(ready ? [redisShape] : [])]) {
  describe(`identity limits and operators: ${makeShape.name}`, () => {
    it('mints at most N anonymous identities a minute per IP, and per /64 for IPv6', async () => {
      const h = await start(makeShape, { FLASHSALE_RATE_LIMIT_VISITORS_PER_IP_PER_MINUTE: '3' });
      const visitor = (remoteAddress: string) =>
        h.server.inject({ method: 'POST', url: '/api/v1/visitors', remoteAddress });
      for (let i = 0; i < 3; i++) expect(codeOf(await visitor('192.0.2.7'))).toBe(201);
      expect(codeOf(await visitor('192.0.2.7'))).toBe('RATE_LIMITED');
      // The IP's other requests are not refused by this limit.
      expect(
        (await h.server.inject({ url: '/.well-known/jwks.json', remoteAddress: '192.0.2.7' })).statusCode,
      ).toBe(200);
      expect(codeOf(await visitor('192.0.2.8'))).toBe(201);
      // One /64: every address in it shares the allowance; the next /64 has its own.
      for (const host of ['::1', '::2', '::ffff:1'])
        expect(codeOf(await visitor(`2001:db8:0:1${host}`))).toBe(201);
      expect(codeOf(await visitor('2001:db8:0:1:abcd::9'))).toBe('RATE_LIMITED');
      expect(codeOf(await visitor('2001:db8:0:2::1'))).toBe(201);
    });

    it('takes at most N challenges and N joins a minute per user token; polls do not count', async () => {
      const h = await start(makeShape, { FLASHSALE_RATE_LIMIT_JOINS_PER_USER_PER_MINUTE: '2' });
      const sale = await liveSale(h.app);
      const as = async (user: string) => ({ authorization: `Bearer ${await h.userToken(user)}` });
      const alice = await as('alice');
      const url = `/api/v1/sales/${sale.id}`;
      const post = (path: string, headers: Record<string, string>) =>
        h.server.inject({ method: 'POST', url: `${url}${path}`, headers });
      for (let i = 0; i < 2; i++) {
        expect(codeOf(await post('/queue', alice))).toBe(200);
        expect(codeOf(await post('/challenge', alice))).toBe(200);
      }
      expect(codeOf(await post('/queue', alice))).toBe('RATE_LIMITED');
      expect(codeOf(await post('/challenge', alice))).toBe('RATE_LIMITED');
      for (let i = 0; i < 5; i++)
        expect((await h.server.inject({ url: `${url}/queue`, headers: alice })).statusCode).toBe(200);
      expect(codeOf(await post('/queue', await as('bob')))).toBe(200);
    });

    it('never throttles an operator by the buyers: a flooded IP still pauses the sale with the admin key', async () => {
      const h = await start(makeShape, {
        FLASHSALE_RATE_LIMIT_IP_PER_MINUTE: '20',
        FLASHSALE_RATE_LIMIT_ADMIN_PER_MINUTE: '5',
      });
      const sale = await liveSale(h.app);
      const crowd = '198.51.100.1';
      const token = await h.userToken('buyer');
      const salePage = () => h.server.inject({ url: `/api/v1/sales/${sale.id}`, remoteAddress: crowd });
      const buyerCalls = [
        salePage,
        () =>
          h.server.inject({
            method: 'POST',
            url: `/api/v1/sales/${sale.id}/queue`,
            headers: { authorization: `Bearer ${token}` },
            remoteAddress: crowd,
          }),
        () => h.server.inject({ method: 'POST', url: '/api/v1/visitors', remoteAddress: crowd }),
      ];
      const answers = new Map<unknown, number>();
      for (let i = 0; i < 60; i++) {
        const code = codeOf(await (buyerCalls[i % buyerCalls.length] as () => Promise<never>)());
        answers.set(code, (answers.get(code) ?? 0) + 1);
      }
      expect(answers.get('RATE_LIMITED'), JSON.stringify([...answers])).toBeGreaterThanOrEqual(40);
      // The IP is spent for buyers, and for anyone guessing the admin key…
      expect(codeOf(await salePage())).toBe('RATE_LIMITED');
      const admin = (path: string, headers = h.admin) =>
        h.server.inject({
          method: 'POST',
          url: `/api/v1/admin/sales/${sale.id}${path}`,
          headers,
          remoteAddress: crowd,
        });
      expect(codeOf(await admin('/pause', { authorization: 'Bearer not-the-key' }))).toBe('RATE_LIMITED');
      // …but the operator pauses the sale from the same IP.
      const paused = await admin('/pause');
      expect(paused.statusCode, paused.body).toBe(200);
      expect(paused.json().state).toBe('paused');
      expect((await h.app.engine.getSale(sale.id))?.state).toBe('paused');
      // Operators have a budget of their own (5 a minute here), reported in its own headers.
      expect(paused.headers['x-ratelimit-limit']).toBe('5');
      for (let i = 0; i < 4; i++) expect(codeOf(await admin('/resume'))).toBe(200);
      expect(codeOf(await admin('/end'))).toBe('RATE_LIMITED');
    });
  });
}
