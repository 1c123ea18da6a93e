/**
 * Public API cases: visitors, the sale page, the waiting room and orders, through `inject()`.
 */
import { describe, expect, it } from 'vitest';
import { orderNumberOf } from '../../../src/domain/order.ts';
import { placeOf, shuffleKeys } from '../../../src/domain/shuffle.ts';
import { createHttpContext } from '../../../src/http/context.ts';
import { buildServer } from '../../../src/http/server.ts';
import { sale as catalogSale } from '../../db/fixtures.ts';
import { liveSale, userToken } from '../harness.ts';
import { expectError, type PublicTest, sleep } from './client.ts';

export function readCases(t: PublicTest): void {
  const { call, admitted, buy, orderUntil, stats } = t;

  describe('POST /visitors', () => {
    it('issues a user token the other routes accept', async () => {
      const res = await call('POST', '/visitors');
      expect(res.statusCode).toBe(201);
      const { token, userId } = res.json();
      expect(userId).toMatch(/^v_/);
      const sale = await liveSale(t.h.app);
      const joined = await call('POST', `/sales/${sale.id}/queue`, { token });
      expect(joined.statusCode).toBe(200);
    });

    it('is 404 VISITORS_DISABLED when visitors are off', async () => {
      // A second server over the same app, not a second app: booting another database in this
      // process would stall the event loop long enough for the first server to shed load.
      const app = { ...t.h.app, config: Object.freeze({ ...t.h.app.config, visitors: false }) };
      const off = await buildServer(await createHttpContext(app));
      try {
        expectError(await off.inject({ method: 'POST', url: '/api/v1/visitors' }), 404, 'VISITORS_DISABLED');
      } finally {
        await off.close();
      }
    });
  });

  describe('GET /sales/:saleId', () => {
    it('answers the catalog with live state and remaining units, cacheable with a strong ETag', async () => {
      const sale = await liveSale(t.h.app, { totalStock: 7, perUserLimit: 3, priceCents: 4_500 });
      const res = await call('GET', `/sales/${sale.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        id: sale.id,
        name: 'HTTP test drop',
        description: 'Sneakers',
        priceCents: 4_500,
        currency: 'EUR',
        totalStock: 7,
        perUserLimit: 3,
        prequeueAt: sale.prequeueAt,
        startsAt: sale.startsAt,
        endsAt: sale.endsAt,
        state: 'live',
        remaining: 7,
      });
      expect(res.headers['cache-control']).toBe('public, max-age=1, stale-while-revalidate=5');
      const etag = String(res.headers.etag);
      expect(etag).toMatch(/^"[^"]+"$/); // strong: no W/ prefix

      const again = await call('GET', `/sales/${sale.id}`, { headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
      expect(again.headers['cache-control']).toBe('public, max-age=1, stale-while-revalidate=5');
      const listed = await call('GET', `/sales/${sale.id}`, {
        headers: { 'if-none-match': `"x", W/${etag}` },
      });
      expect(listed.statusCode).toBe(304);

      await t.h.app.engine.reserve({ saleId: sale.id, userId: 'u1', quantity: 2, idempotencyKey: 'k' });
      const changed = await call('GET', `/sales/${sale.id}`, { headers: { 'if-none-match': etag } });
      expect(changed.statusCode).toBe(200);
      expect(changed.json().remaining).toBe(5);
      expect(changed.headers.etag).not.toBe(etag);
    });

    it('shows the state of a sale that has not started', async () => {
      const now = t.h.app.clock.now();
      const sale = await liveSale(t.h.app, { prequeueAt: now + 60_000, startsAt: now + 120_000 });
      expect((await call('GET', `/sales/${sale.id}`)).json().state).toBe('scheduled');
    });

    it('refuses unknown and malformed ids without caching the refusal', async () => {
      const res = await call('GET', '/sales/no-such-sale');
      expectError(res, 404, 'SALE_NOT_FOUND');
      expect(res.headers['cache-control']).toBe('no-store');
      expectError(await call('GET', '/sales/bad.id'), 400, 'INVALID_REQUEST');
      expectError(await call('GET', `/sales/${'x'.repeat(65)}`), 400, 'INVALID_REQUEST');
      expectError(await call('GET', `/sales/${'x'.repeat(300)}`), 400, 'INVALID_REQUEST');
      expectError(await call('GET', '/sales/%E0%A4%A'), 400, 'INVALID_REQUEST');
    });
  });

  describe('the waiting room', () => {
    it('answers 503 UNAVAILABLE with Retry-After for a sale the catalog has but the engine lost', async () => {
      // The catalog row without the engine's counters: the state a Redis loss leaves until a
      // worker's sync tick reloads the sale (this harness runs no ticks).
      const id = `lost-${Date.now().toString(36)}`;
      await t.h.app.store.upsertSale(catalogSale(id, 5));
      const token = await t.h.userToken('lost-buyer');
      for (const method of ['POST', 'GET', 'DELETE'] as const) {
        const res = await call(method, `/sales/${id}/queue`, { token });
        expectError(res, 503, 'UNAVAILABLE');
        expect(res.headers['retry-after'], method).toBe('2');
      }
      // The sale read route says the same; a sale the catalog does not have either stays 404.
      expectError(await call('GET', `/sales/${id}`), 503, 'UNAVAILABLE');
      for (const method of ['POST', 'GET', 'DELETE'] as const)
        expectError(await call(method, '/sales/no-such-sale/queue', { token }), 404, 'SALE_NOT_FOUND');
    });

    it('joining is idempotent; a status poll answers from the snapshot, not the engine', async () => {
      const sale = await liveSale(t.h.app);
      const [a, b] = [await t.h.userToken('q-a'), await t.h.userToken('q-b')];
      const first = await call('POST', `/sales/${sale.id}/queue`, { token: a });
      expect(first.statusCode).toBe(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.json()).toMatchObject({ state: 'waiting', position: 1, ahead: 0 });
      expect(first.json().admission).toBeUndefined();
      expect((await call('POST', `/sales/${sale.id}/queue`, { token: b })).json().position).toBe(2);
      const again = await call('POST', `/sales/${sale.id}/queue`, { token: a });
      expect(again.json()).toMatchObject({ state: 'waiting', position: 1, ahead: 0 });
      expect((await stats(sale.id)).waiting).toBe(2);

      const engine = t.h.app.engine;
      const original = { status: engine.status, join: engine.join };
      const calls = { status: 0, join: 0 };
      engine.status = (...args) => {
        calls.status++;
        return original.status.apply(engine, args);
      };
      engine.join = (...args) => {
        calls.join++;
        return original.join.apply(engine, args);
      };
      try {
        for (let i = 0; i < 20; i++) {
          const res = await call('GET', `/sales/${sale.id}/queue`, { token: b });
          expect(res.statusCode).toBe(200);
          expect(res.headers['cache-control']).toBe('no-store');
          expect(res.json()).toMatchObject({ state: 'waiting', position: 2, ahead: 1 });
          expect(res.json().pollAfterMs).toBeGreaterThan(0);
        }
        expect(calls).toEqual({ status: 0, join: 0 });
        // A user this process never saw (joined through another process) costs one read, once.
        await original.join.call(engine, sale.id, 'q-c');
        const c = await t.h.userToken('q-c');
        for (let i = 0; i < 5; i++) {
          expect((await call('GET', `/sales/${sale.id}/queue`, { token: c })).json().position).toBe(3);
        }
        expect(calls).toEqual({ status: 1, join: 0 });
      } finally {
        Object.assign(engine, original);
      }
    });

    it('hands an admission token, bound to the user and sale, to admitted users', async () => {
      const sale = await liveSale(t.h.app);
      const [who] = await admitted(sale.id, 'adm-1');
      const status = (await call('GET', `/sales/${sale.id}/queue`, { token: who?.token })).json();
      expect(status).toMatchObject({ state: 'admitted', admission: { token: who?.admission } });
      expect(status.admission.expiresAt).toBeGreaterThan(Date.now());
      await expect(t.h.ctx.admission.verify(who?.admission, 'adm-1', sale.id)).resolves.toBeUndefined();
      // Joining again once admitted keeps the admission.
      const rejoin = await call('POST', `/sales/${sale.id}/queue`, { token: who?.token });
      expect(rejoin.json().state).toBe('admitted');
    });

    it('opens at prequeueAt: 409 NOT_LIVE before, waiting in the pre-queue after', async () => {
      const now = t.h.app.clock.now();
      const token = await t.h.userToken('early');
      const later = await liveSale(t.h.app, { prequeueAt: now + 60_000, startsAt: now + 120_000 });
      expectError(await call('POST', `/sales/${later.id}/queue`, { token }), 409, 'NOT_LIVE');
      expect((await stats(later.id)).waiting).toBe(0);
      const pre = await liveSale(t.h.app, { prequeueAt: now - 1000, startsAt: now + 120_000 });
      const res = await call('POST', `/sales/${pre.id}/queue`, { token });
      expect(res.json()).toMatchObject({ state: 'waiting', position: 1 });
      // Before the start the estimate is the time to the opening plus the line ahead at the sale's
      // rate (1000/s here: one place adds a millisecond, rounded up to a second at most).
      const eta = res.json().etaSeconds;
      expect(eta).toBeGreaterThanOrEqual(Math.floor((pre.startsAt - t.h.app.clock.now()) / 1000));
      expect(eta).toBeLessThanOrEqual(121);
      expect(res.json().pollAfterMs).toEqual(expect.any(Number));
    });

    it('without prequeueAt opens at publication: early buyers wait, ordered at the start as the sale says', async () => {
      for (const queueing of ['fifo', 'shuffle'] as const) {
        const before = t.h.app.clock.now();
        const id = `early-${queueing}-${crypto.randomUUID().slice(0, 8)}`;
        const created = await t.h.server.inject({
          method: 'POST',
          url: '/api/v1/admin/sales',
          headers: t.h.admin,
          payload: {
            id,
            name: 'Early birds',
            priceCents: 1000,
            totalStock: 10,
            startsAt: before + 3_600_000,
            endsAt: before + 7_200_000,
            queueing,
            shuffleSeed: 'early-birds',
          },
        });
        expect(created.statusCode, queueing).toBe(201);
        expect(created.json().state, queueing).toBe('prequeue');
        const page = (await call('GET', `/sales/${id}`)).json();
        expect(page.prequeueAt).toBeGreaterThanOrEqual(before);
        expect(page.prequeueAt).toBeLessThanOrEqual(t.h.app.clock.now());

        // An hour before the start, eight buyers line up (tickets 1..8 in this order).
        const tokens = await Promise.all(
          Array.from({ length: 8 }, (_, i) => t.h.userToken(`early-${queueing}-${i}`)),
        );
        for (const token of tokens) {
          const res = await call('POST', `/sales/${id}/queue`, { token });
          expect(res.statusCode, queueing).toBe(200);
          expect(res.json().state).toBe('waiting');
        }
        expect((await stats(id)).waiting).toBe(8);

        // The operator opens the sale: the pre-queue is ordered as the sale says.
        expect(
          (
            await t.h.server.inject({
              method: 'POST',
              url: `/api/v1/admin/sales/${id}/start`,
              headers: t.h.admin,
            })
          ).statusCode,
        ).toBe(200);
        const places: number[] = [];
        for (const token of tokens) {
          let position: number | null = null;
          for (let i = 0; i < 100 && position === null; i++) {
            const body = (await call('GET', `/sales/${id}/queue`, { token })).json();
            if (body.state === 'waiting' && typeof body.position === 'number') position = body.position;
            else await sleep(50);
          }
          if (position === null) throw new Error(`no place for a buyer of ${id}`);
          places.push(position);
        }
        const joinOrder = [1, 2, 3, 4, 5, 6, 7, 8];
        if (queueing === 'fifo') expect(places).toEqual(joinOrder);
        else {
          const keys = shuffleKeys('early-birds');
          expect(places).toEqual(joinOrder.map((ticket) => placeOf(ticket, 8, keys)));
          expect(places).not.toEqual(joinOrder);
        }
      }
    });

    it('refuses status for non-joiners, unknown sales and bad tokens', async () => {
      const sale = await liveSale(t.h.app);
      const token = await t.h.userToken('never-joined');
      expectError(await call('GET', `/sales/${sale.id}/queue`, { token }), 404, 'NOT_IN_QUEUE');
      expectError(await call('POST', '/sales/nope/queue', { token }), 404, 'SALE_NOT_FOUND');
      expectError(await call('GET', '/sales/nope/queue', { token }), 404, 'SALE_NOT_FOUND');
      expectError(await call('POST', '/sales/bad.id/queue', { token }), 400, 'INVALID_REQUEST');
      const foreign = await userToken('u', 'another-secret-0123456789');
      for (const method of ['GET', 'POST'] as const) {
        const path = `/sales/${sale.id}/queue`;
        expectError(await call(method, path), 401, 'UNAUTHENTICATED');
        expectError(await call(method, path, { token: 'garbage' }), 401, 'UNAUTHENTICATED');
        expectError(await call(method, path, { token: foreign }), 401, 'UNAUTHENTICATED');
        expectError(await call(method, path, { headers: { authorization: token } }), 401, 'UNAUTHENTICATED');
      }
      expect((await stats(sale.id)).waiting).toBe(0);
    });
  });

  describe('GET /orders/:orderId', () => {
    it('shows the owner the order from the hold before the row exists, and nobody else', async () => {
      // Holds taken straight from the engine: no order job, so only the engine knows them.
      const sale = await liveSale(t.h.app, { perUserLimit: 5 });
      const reserve = (key: string) =>
        t.h.app.engine.reserve({ saleId: sale.id, userId: 'owner', quantity: 1, idempotencyKey: key });
      const [held, expired, failed] = [await reserve('a'), await reserve('b'), await reserve('c')];
      await t.h.app.engine.release(sale.id, expired.id, 'expired');
      await t.h.app.engine.release(sale.id, failed.id, 'payment_failed');
      const owner = await t.h.userToken('owner');
      const expect404 = async (orderId: string, token = owner) =>
        expectError(
          await call('GET', `/orders/${encodeURIComponent(orderId)}`, { token }),
          404,
          'ORDER_NOT_FOUND',
        );
      for (const [hold, status] of [
        [held, 'pending'],
        [expired, 'expired'],
        [failed, 'failed'],
      ] as const) {
        const res = await call('GET', `/orders/${sale.id}.${hold.id}`, { token: owner });
        expect(res.statusCode).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.json()).toEqual({
          orderId: `${sale.id}.${hold.id}`,
          orderNumber: orderNumberOf(hold.id),
          saleId: sale.id,
          quantity: 1,
          amountCents: 12_900,
          currency: 'EUR',
          status,
        });
      }
      await expect404(`${sale.id}.${held.id}`, await t.h.userToken('someone-else'));
      await expect404(held.id);
      await expect404(`${sale.id}.${held.id.toUpperCase()}`);
      await expect404(`${sale.id}.${crypto.randomUUID()}`);
      await expect404(`no-such-sale.${held.id}`);
      await expect404(`${sale.id}.not-a-uuid`);
      await expect404('x'.repeat(200));
      expectError(await call('GET', `/orders/${sale.id}.${held.id}`), 401, 'UNAUTHENTICATED');
    });

    it('follows the order row: declined payments end failed; other users get 404', async () => {
      const id = `s${'x'.repeat(63)}`; // the longest sale id still routes
      const sale = await liveSale(t.h.app, { id });
      const [who] = await admitted(sale.id, 'decliner');
      if (who === undefined) throw new Error('unreachable');
      const { orderId } = (await buy(sale.id, who, { paymentMethod: 'pm_decline' })).json();
      expect(await orderUntil(who.token, orderId, 'failed')).toMatchObject({ saleId: id, quantity: 1 });
      expect(await t.h.app.store.orderCounts(sale.id)).toMatchObject({ failed: 1 });
      const other = await t.h.userToken('not-the-decliner');
      expectError(await call('GET', `/orders/${orderId}`, { token: other }), 404, 'ORDER_NOT_FOUND');
    });
  });
}
