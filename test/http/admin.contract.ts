/**
 * The admin API, one suite for both shapes: authentication, creating sales (and refusing bad ones
 * with a code, changing nothing), steering them, and their stats against the order pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleSales } from '../../src/sales/history.ts';
import { startTicks } from '../../src/sales/ticks.ts';
import { buy, drain } from '../pipeline/helpers.ts';
import type { Shape } from '../pipeline/shapes.ts';
import { type HttpHarness, startHttp } from './harness.ts';

const BASE = '/api/v1/admin';

export function describeAdminApi(makeShape: () => Shape) {
  describe(`admin API: ${makeShape.name}`, () => {
    const shape = makeShape();
    let h: HttpHarness;
    let n = 0;
    const newId = () => `adm-${Date.now().toString(36)}-${++n}`;

    beforeAll(async () => {
      h = await startHttp(shape);
      h.startWorker(false);
    });
    afterAll(async () => {
      await h?.close();
      await shape.cleanup();
    });

    const saleBody = (over: Record<string, unknown> = {}) => {
      const now = Date.now();
      return {
        id: newId(),
        name: 'Admin drop',
        description: 'Sneakers',
        priceCents: 9900,
        currency: 'EUR',
        totalStock: 10,
        perUserLimit: 2,
        startsAt: now,
        endsAt: now + 3_600_000,
        queueing: 'shuffle',
        admission: { perSecond: 5, maxActive: 50, sessionSeconds: 300 },
        holdSeconds: 120,
        ...over,
      };
    };
    const create = (body: unknown, headers: Record<string, string> = h.admin) =>
      h.server.inject({ method: 'POST', url: `${BASE}/sales`, headers, payload: body as object });
    const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = h.admin) =>
      h.server.inject({ method, url: `${BASE}${url}`, headers });
    const saleIds = async () =>
      ((await call('GET', '/sales')).json().sales as Array<{ id: string }>).map((s) => s.id).sort();

    describe('authentication', () => {
      const routes: Array<['GET' | 'POST', string]> = [
        ['GET', '/sales'],
        ['GET', '/sales/x'],
        ['POST', '/sales/x/start'],
        ['POST', '/sales/x/pause'],
        ['POST', '/sales/x/resume'],
        ['POST', '/sales/x/end'],
        ['GET', '/sales/x/stats'],
        ['GET', '/sales/x/history'],
      ];
      const badHeaders: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer wrong-key' },
        { authorization: 'test-admin-key' },
        { authorization: 'Basic dGVzdC1hZG1pbi1rZXk=' },
        { authorization: 'Bearer ' },
      ];

      it('refuses every route without the admin key with 401 UNAUTHENTICATED', async () => {
        for (const headers of badHeaders) {
          for (const [method, url] of routes) {
            const res = await call(method, url, headers);
            expect(res.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
            expect(res.json().error.code).toBe('UNAUTHENTICATED');
          }
          const res = await create(saleBody(), headers);
          expect(res.statusCode).toBe(401);
          expect(res.json().error.code).toBe('UNAUTHENTICATED');
        }
      });

      it('refuses a user token: buyers are not operators', async () => {
        const res = await call('GET', '/sales', { authorization: `Bearer ${await h.userToken('u1')}` });
        expect(res.statusCode).toBe(401);
      });

      it('refuses before looking at the body: an unauthenticated bad body is 401, not 400', async () => {
        const res = await create({ totalStock: -1 }, {});
        expect(res.statusCode).toBe(401);
      });
    });

    describe('creating a sale', () => {
      it('publishes it: 201 with the sale, its live state and a Location', async () => {
        // Starting now by the sale's clock, as below: on Redis it is Redis's clock, a few ms off
        // Date.now() (once 9 ms behind it in CI, and the waiting room opened before startsAt).
        const body = saleBody({ startsAt: h.app.clock.now() });
        const res = await create(body);
        expect(res.statusCode).toBe(201);
        expect(res.headers.location).toBe(`${BASE}/sales/${body.id}`);
        const sale = res.json();
        expect(sale).toMatchObject({
          ...body,
          prequeueAt: body.startsAt,
          loaded: true,
          state: 'live',
          flags: { paused: false, ended: false },
          stock: { total: 10, available: 10, held: 0, sold: 0 },
        });
        expect(sale.shuffleSeed).toMatch(/^[0-9a-f]{32}$/);
        expect(typeof sale.createdAt).toBe('number');

        expect((await call('GET', `/sales/${body.id}`)).json()).toMatchObject({ id: body.id, state: 'live' });
        const listed = (await call('GET', '/sales'))
          .json()
          .sales.find((s: { id: string }) => s.id === body.id);
        expect(listed).toMatchObject({ id: body.id, name: 'Admin drop', state: 'live', loaded: true });
        // The public sale page sees it at once, even in a process that looked it up before.
        expect((await h.app.catalog.get(body.id))?.name).toBe('Admin drop');
      });

      it('fills defaults for the optional fields', async () => {
        // The sale's clock, not Date.now(): on Redis it is Redis's clock, a few ms off this process's,
        // and the waiting room opens at min(publication, startsAt) by that clock.
        const now = h.app.clock.now();
        const body = {
          id: newId(),
          name: 'Minimal',
          priceCents: 100,
          totalStock: 1,
          startsAt: now,
          endsAt: now + 1000,
        };
        const res = await create(body);
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({
          description: '',
          currency: 'EUR',
          perUserLimit: 1,
          queueing: 'fifo',
          holdSeconds: 300,
          admission: { perSecond: 50, maxActive: 500, sessionSeconds: 600 },
          // Published after its start: the waiting room opened with the sale.
          prequeueAt: now,
        });
      });

      it('refuses a duplicate id with 409 SALE_EXISTS and keeps the first sale', async () => {
        const body = saleBody();
        expect((await create(body)).statusCode).toBe(201);
        const res = await create({ ...body, name: 'Impostor', totalStock: 999 });
        expect(res.statusCode).toBe(409);
        expect(res.json().error.code).toBe('SALE_EXISTS');
        expect((await call('GET', `/sales/${body.id}`)).json()).toMatchObject({
          name: 'Admin drop',
          totalStock: 10,
        });
      });

      const now = Date.now();
      const invalid: Array<[string, Record<string, unknown>, string]> = [
        ['negative stock', { totalStock: -1 }, 'INVALID_REQUEST'],
        ['zero stock', { totalStock: 0 }, 'INVALID_REQUEST'],
        ['fractional stock', { totalStock: 1.5 }, 'INVALID_REQUEST'],
        ['huge stock', { totalStock: 1e12 }, 'INVALID_REQUEST'],
        ['stock as a string', { totalStock: '10' }, 'INVALID_REQUEST'],
        ['bad id', { id: 'no spaces allowed' }, 'INVALID_REQUEST'],
        ['too long id', { id: 'x'.repeat(65) }, 'INVALID_REQUEST'],
        ['negative price', { priceCents: -5 }, 'INVALID_REQUEST'],
        ['price past int4', { priceCents: 2 ** 31 }, 'INVALID_REQUEST'],
        ['lowercase currency', { currency: 'eur' }, 'INVALID_REQUEST'],
        ['unknown queueing', { queueing: 'random' }, 'INVALID_REQUEST'],
        ['zero per-user limit', { perUserLimit: 0 }, 'INVALID_REQUEST'],
        ['zero admission rate', { admission: { perSecond: 0 } }, 'INVALID_REQUEST'],
        ['unknown admission field', { admission: { perMinute: 5 } }, 'INVALID_REQUEST'],
        ['zero hold', { holdSeconds: 0 }, 'INVALID_REQUEST'],
        ['unknown field', { colour: 'red' }, 'INVALID_REQUEST'],
        ['missing name', { name: undefined }, 'INVALID_REQUEST'],
        ['empty name', { name: '' }, 'INVALID_REQUEST'],
        ['instant past a Date', { endsAt: 9e15 }, 'INVALID_REQUEST'],
        ['ends before it starts', { startsAt: now, endsAt: now - 1 }, 'INVALID_SALE'],
        ['pre-queue after the start', { startsAt: now, prequeueAt: now + 1 }, 'INVALID_SALE'],
      ];
      it.each(invalid)('refuses %s with 400 %s, creating nothing', async (_name, over, code) => {
        const before = await saleIds();
        const res = await create(saleBody(over));
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe(code);
        expect(await saleIds()).toEqual(before);
      });

      it('refuses bodies that are not a JSON object', async () => {
        for (const payload of ['[]', '"sale"', '{"id":', 'null']) {
          const res = await h.server.inject({
            method: 'POST',
            url: `${BASE}/sales`,
            headers: { ...h.admin, 'content-type': 'application/json' },
            payload,
          });
          expect(res.statusCode, payload).toBe(400);
          expect(res.json().error.code).toBe('INVALID_REQUEST');
        }
        const xml = await h.server.inject({
          method: 'POST',
          url: `${BASE}/sales`,
          headers: { ...h.admin, 'content-type': 'application/xml' },
          payload: '<sale/>',
        });
        expect(xml.statusCode).toBe(415);
        expect(xml.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      });
    });

    describe('steering a sale', () => {
      it('starts, pauses, resumes and ends it', async () => {
        const later = Date.now() + 3_600_000;
        const body = saleBody({ startsAt: later, endsAt: later + 3_600_000 });
        // Without prequeueAt its waiting room opened as it was published.
        expect((await create(body)).json().state).toBe('prequeue');

        const started = (await call('POST', `/sales/${body.id}/start`)).json();
        expect(started.state).toBe('live');
        expect(started.startsAt).toBeLessThanOrEqual(h.app.clock.now());
        expect((await call('POST', `/sales/${body.id}/pause`)).json()).toMatchObject({
          state: 'paused',
          flags: { paused: true, ended: false },
        });
        expect((await call('POST', `/sales/${body.id}/resume`)).json().state).toBe('live');
        expect((await call('POST', `/sales/${body.id}/end`)).json()).toMatchObject({
          state: 'ended',
          flags: { ended: true },
        });
      });

      it('answers 404 SALE_NOT_FOUND for an unknown sale, 400 for a malformed id', async () => {
        for (const url of ['/sales/nope', '/sales/nope/start', '/sales/nope/end', '/sales/nope/stats']) {
          const res = await call(url === '/sales/nope' || url.endsWith('stats') ? 'GET' : 'POST', url);
          expect(res.statusCode, url).toBe(404);
          expect(res.json().error.code).toBe('SALE_NOT_FOUND');
        }
        const res = await call('POST', `/sales/${encodeURIComponent('bad id!')}/start`);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('INVALID_REQUEST');
      });
    });

    describe('stats', () => {
      it('counts stock, the waiting room and orders (declined payments as failed)', async () => {
        const body = saleBody({ totalStock: 5 });
        await create(body);
        for (const user of ['s1', 's2', 's3']) await h.app.engine.join(body.id, user);
        await h.app.engine.admit(body.id);
        await buy(h.app, body.id, 's1', 'pm_ok', 2);
        await buy(h.app, body.id, 's2', 'pm_decline');
        await drain(h.app);

        const res = await call('GET', `/sales/${body.id}/stats`);
        expect(res.statusCode).toBe(200);
        const stats = res.json();
        expect(stats).toEqual({
          stock: { total: 5, available: 3, held: 0, sold: 2 },
          queue: { waiting: expect.any(Number), admitted: expect.any(Number), active: expect.any(Number) },
          orders: { pending: 0, confirmed: 1, failed: 1, expired: 0 },
        });
        expect(stats.queue.waiting + stats.queue.admitted).toBe(3);
      });
    });

    describe('history', () => {
      it("answers the sale's samples as the worker took them, from the engine and the orders", async () => {
        const body = saleBody({ totalStock: 5 });
        await create(body);
        const empty = await call('GET', `/sales/${body.id}/history`);
        expect(empty.statusCode).toBe(200);
        expect(empty.json()).toEqual({ points: [] });

        for (const user of ['s1', 's2', 's3']) await h.app.engine.join(body.id, user);
        await h.app.engine.admit(body.id);
        await buy(h.app, body.id, 's1', 'pm_ok', 2);
        await buy(h.app, body.id, 's2', 'pm_decline');
        await drain(h.app);
        const record = await h.app.store.getSale(body.id);
        expect(await sampleSales(h.app, record === null ? [] : [record], 60_000)).toBe(1);

        const res = await call('GET', `/sales/${body.id}/history`);
        expect(res.statusCode).toBe(200);
        const { points } = res.json();
        expect(points).toHaveLength(1);
        // The same figures as the stats route, at the start of the sampling interval.
        const stats = (await call('GET', `/sales/${body.id}/stats`)).json();
        expect(points[0]).toEqual({ at: expect.any(Number), ...stats });
        expect(points[0].at % 60_000).toBe(0);
        expect(h.app.clock.now() - points[0].at).toBeLessThan(120_000);
        expect(stats.orders).toEqual({ pending: 0, confirmed: 1, failed: 1, expired: 0 });
      });

      it("the worker's ticks sample each open sale: two workers write one row per interval", async () => {
        const body = saleBody();
        await create(body);
        await h.app.engine.join(body.id, 'ticked');
        const ticks = {
          ...{ admitEveryMs: 50, sweepEveryMs: 1000, syncEveryMs: 1000, sweepBatch: 500 },
          history: { intervalMs: 200, retentionMs: 86_400_000 },
        };
        const deps = { engine: h.app.engine, store: h.app.store, clock: h.app.clock, log: h.app.log };
        const stops = [startTicks(deps, ticks), startTicks(deps, ticks)];
        let points: Array<{ at: number; queue: { waiting: number; admitted: number } }> = [];
        try {
          for (let i = 0; i < 100 && points.length < 4; i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            points = (await call('GET', `/sales/${body.id}/history`)).json().points;
          }
        } finally {
          await Promise.all(stops.map((stop) => stop()));
        }
        expect(points.length).toBeGreaterThanOrEqual(4);
        for (const [i, p] of points.entries()) {
          expect(p.at % 200).toBe(0);
          if (i > 0) expect(p.at).toBeGreaterThan(points[i - 1]?.at ?? 0);
          expect(p.queue.waiting + p.queue.admitted).toBe(1);
        }
      });

      it('thins a long history to the points asked for (300 by default), oldest first', async () => {
        const body = saleBody();
        await create(body);
        const start = Date.now() - 3_600_000;
        for (let i = 0; i < 700; i++) {
          await h.app.store.history.record(body.id, {
            at: start + i * 5000,
            stock: { total: 10, available: 10 - (i % 10), held: 0, sold: i % 10 },
            queue: { waiting: i, admitted: 0, active: 0 },
            orders: { pending: 0, confirmed: i % 10, failed: 0, expired: 0 },
          });
        }
        for (const [query, max] of [
          ['', 300],
          ['?points=50', 50],
          ['?points=1000', 1000],
        ] as const) {
          const res = await call('GET', `/sales/${body.id}/history${query}`);
          expect(res.statusCode, query).toBe(200);
          const points: Array<{ at: number; queue: { waiting: number } }> = res.json().points;
          expect(points.length, query).toBeLessThanOrEqual(max);
          expect(points.length, query).toBeGreaterThan(Math.min(max, 700) / 2);
          expect(points[0]?.at).toBe(start);
          expect(points.at(-1)?.queue.waiting).toBe(699);
          expect(points.every((p, i) => i === 0 || p.at > (points[i - 1]?.at ?? 0))).toBe(true);
        }
        for (const query of ['?points=1', '?points=1001', '?points=x']) {
          const res = await call('GET', `/sales/${body.id}/history${query}`);
          expect(res.statusCode, query).toBe(400);
          expect(res.json().error.code).toBe('INVALID_REQUEST');
        }
        const unknown = await call('GET', '/sales/nope/history');
        expect(unknown.statusCode).toBe(404);
        expect(unknown.json().error.code).toBe('SALE_NOT_FOUND');
      });
    });

    it('serves the same API through a real socket', async () => {
      const address = await h.server.listen({ host: '127.0.0.1', port: 0 });
      const body = saleBody();
      const headers = { ...h.admin, 'content-type': 'application/json' };
      const created = await fetch(`${address}${BASE}/sales`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      expect(created.status).toBe(201);
      const stats = await fetch(`${address}${BASE}/sales/${body.id}/stats`, { headers: h.admin });
      expect((await stats.json()).stock.available).toBe(10);
      expect((await fetch(`${address}${BASE}/sales`)).status).toBe(401);
    });
  });
}
