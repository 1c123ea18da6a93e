/**
 * Public API cases: checkout, its refusals (each with its status and code, and no change to the
 * sale's counters) and idempotency, through `inject()`.
 */

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { orderNumberOf } from '../../../src/domain/order.ts';
import { AdmissionTokens } from '../../../src/http/auth.ts';
import { liveSale, userToken } from '../harness.ts';
import { expectError, ORDER_ID, type PublicTest, sleep } from './client.ts';

export function checkoutCases(t: PublicTest): void {
  const { call, admitted, buy, orderUntil, queueUntil, stats } = t;

  describe('POST /sales/:saleId/checkout', () => {
    it('accepts an admitted buyer; the same key returns the same order and takes stock once', async () => {
      const sale = await liveSale(t.h.app, { totalStock: 5, perUserLimit: 2 });
      const [who] = await admitted(sale.id, 'buyer-1');
      if (who === undefined) throw new Error('unreachable');
      const res = await buy(sale.id, who, { key: 'key-1', quantity: 2 });
      expect(res.statusCode).toBe(202);
      expect(res.headers['cache-control']).toBe('no-store');
      const order = res.json();
      expect(order).toMatchObject({ status: 'pending' });
      expect(order.orderId).toMatch(ORDER_ID);
      expect(order.orderId.startsWith(`${sale.id}.`)).toBe(true);
      expect(order.holdExpiresAt).toBeGreaterThan(Date.now());
      const [again, concurrent] = await Promise.all([
        buy(sale.id, who, { key: 'key-1', quantity: 2 }),
        buy(sale.id, who, { key: 'key-1', quantity: 2 }),
      ]);
      expect([again.statusCode, concurrent.statusCode]).toEqual([202, 202]);
      expect([again.json().orderId, concurrent.json().orderId]).toEqual([order.orderId, order.orderId]);
      expectError(await buy(sale.id, who, { key: 'key-1', quantity: 1 }), 409, 'IDEMPOTENCY_CONFLICT');

      const done = await orderUntil(who.token, order.orderId, 'confirmed');
      expect(order.orderNumber).toBe(orderNumberOf(order.orderId));
      expect(done).toEqual({
        orderId: order.orderId,
        orderNumber: order.orderNumber,
        saleId: sale.id,
        quantity: 2,
        amountCents: 2 * 12_900,
        currency: 'EUR',
        status: 'confirmed',
      });
      expect(await stats(sale.id)).toMatchObject({ available: 3, held: 0, sold: 2 });
      expect(await t.h.app.store.orderCounts(sale.id)).toMatchObject({ confirmed: 1 });
    });

    it("mails the token's email claim, else the address given at checkout, never the user id", async () => {
      const sale = await liveSale(t.h.app, { totalStock: 5, perUserLimit: 1 });
      const withClaim = await userToken('mail-claim', undefined, {
        email: 'claim@example.test',
        name: 'Ada',
      });
      const plain = [await userToken('mail-body'), await userToken('mail-none')];
      for (const token of [withClaim, ...plain])
        expect((await call('POST', `/sales/${sale.id}/queue`, { token })).statusCode).toBe(200);
      await t.h.app.engine.admit(sale.id);
      const admissionOf = async (token: string) =>
        (await queueUntil(sale.id, token, 'admitted')).admission.token;
      const checkoutWith = async (token: string, email?: string) => {
        const headers = {
          'x-admission-token': await admissionOf(token),
          'idempotency-key': crypto.randomUUID(),
        };
        const body = { quantity: 1, paymentMethod: 'pm_ok', ...(email ? { email } : {}) };
        const res = await call('POST', `/sales/${sale.id}/checkout`, { token, headers, body });
        expect(res.statusCode).toBe(202);
        const { orderId } = res.json();
        await orderUntil(token, orderId, 'confirmed');
        return orderId as string;
      };
      // The claim wins over a typed address; a typed address serves a token without one.
      const claimed = await checkoutWith(withClaim, 'typed@example.test');
      const typed = await checkoutWith(plain[0] as string, 'typed@example.test');
      const none = await checkoutWith(plain[1] as string);
      expectError(
        await call('POST', `/sales/${sale.id}/checkout`, {
          token: plain[1],
          headers: {
            'x-admission-token': await admissionOf(plain[1] as string),
            'idempotency-key': 'bad-mail',
          },
          body: { quantity: 1, paymentMethod: 'pm_ok', email: 'not an address' },
        }),
        400,
        'INVALID_REQUEST',
      );
      // The worker queues each order's message before its analytics event: once the three events are
      // recorded, the three messages are queued, and a drained queue has handled them all.
      for (let i = 0; i < 200 && (await t.h.app.store.countEvents(sale.id, 'order_confirmed')) < 3; i++)
        await sleep(50);
      await t.h.app.queues.notifications.drained(30_000);
      const outbox = (await readFile(t.h.app.config.outboxPath, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l));
      const mailOf = (orderId: string) => outbox.filter((m) => m.meta.orderId === orderId);
      expect(mailOf(claimed).map((m) => m.to)).toEqual(['claim@example.test']);
      expect(mailOf(typed).map((m) => m.to)).toEqual(['typed@example.test']);
      expect(mailOf(typed)[0].subject).toBe(`Order ${orderNumberOf(typed)} confirmed`);
      expect(mailOf(none)).toEqual([]);
    });

    it('refuses missing, forged, expired and foreign admission tokens (403 NOT_ADMITTED)', async () => {
      const sale = await liveSale(t.h.app);
      const other = await liveSale(t.h.app);
      const [a, b] = await admitted(sale.id, 'adm-a', 'adm-b');
      if (a === undefined || b === undefined) throw new Error('unreachable');
      const [inOther] = await admitted(other.id, 'adm-a');
      const stranger = await AdmissionTokens.create(null);
      const later = Date.now() + 600_000;
      const cases = [
        '',
        'not-a-jwt',
        `${a.admission.slice(0, -4)}AAAA`, // signature tampered
        b.admission, // another user's
        inOther?.admission ?? '', // another sale's
        await t.h.ctx.admission.sign({ userId: 'adm-a', saleId: sale.id, expiresAt: Date.now() - 60_000 }),
        await stranger.sign({ userId: 'adm-a', saleId: sale.id, expiresAt: later }),
      ];
      const before = await stats(sale.id);
      expectError(
        await call('POST', `/sales/${sale.id}/checkout`, {
          token: a.token,
          headers: { 'idempotency-key': 'k' },
          body: { quantity: 1, paymentMethod: 'pm_ok' },
        }),
        403,
        'NOT_ADMITTED',
      );
      for (const admission of cases) {
        expectError(await buy(sale.id, { token: a.token, admission }), 403, 'NOT_ADMITTED');
      }
      expect(await stats(sale.id)).toEqual(before);
    });

    it('checks the user token first: 401 UNAUTHENTICATED whatever else is wrong', async () => {
      const sale = await liveSale(t.h.app);
      const [a] = await admitted(sale.id, 'auth-a');
      const before = await stats(sale.id);
      const foreign = await userToken('auth-a', 'another-secret-0123456789');
      for (const token of [undefined, 'garbage', foreign]) {
        const res = await call('POST', `/sales/${sale.id}/checkout`, {
          ...(token !== undefined ? { token } : {}),
          headers: { 'x-admission-token': a?.admission ?? '', 'idempotency-key': 'k' },
          body: { quantity: 1, paymentMethod: 'pm_ok' },
        });
        expectError(res, 401, 'UNAUTHENTICATED');
        // Also with a broken body and no idempotency key: the caller learns nothing but 401.
        expectError(
          await call('POST', `/sales/${sale.id}/checkout`, { body: { quantity: 'x' } }),
          401,
          'UNAUTHENTICATED',
        );
      }
      expect(await stats(sale.id)).toEqual(before);
    });

    it('refuses bad input with 400 INVALID_REQUEST (or 413/415), changing nothing', async () => {
      const sale = await liveSale(t.h.app, { perUserLimit: 5 });
      const [who] = await admitted(sale.id, 'bad-input');
      if (who === undefined) throw new Error('unreachable');
      const before = await stats(sale.id);
      const post = (headers: Record<string, string>, body: unknown) =>
        call('POST', `/sales/${sale.id}/checkout`, {
          token: who.token,
          headers: { 'x-admission-token': who.admission, ...headers },
          body,
        });
      const good = { quantity: 1, paymentMethod: 'pm_ok' };
      for (const key of [null, '', 'x'.repeat(129), 'has space', 'naïve']) {
        expectError(await post(key === null ? {} : { 'idempotency-key': key }, good), 400, 'INVALID_REQUEST');
      }
      const bodies = [
        { quantity: 0, paymentMethod: 'pm_ok' },
        { quantity: -1, paymentMethod: 'pm_ok' },
        { quantity: 1.5, paymentMethod: 'pm_ok' },
        { quantity: '1', paymentMethod: 'pm_ok' },
        { quantity: 1001, paymentMethod: 'pm_ok' },
        { quantity: 1e300, paymentMethod: 'pm_ok' },
        { quantity: 1 },
        { paymentMethod: 'pm_ok' },
        { quantity: 1, paymentMethod: 'pm ok; drop' },
        { quantity: 1, paymentMethod: '' },
        { ...good, extra: true },
        [good],
        'null',
        '{"quantity": 1,',
        '',
      ];
      for (const body of bodies)
        expectError(await post({ 'idempotency-key': 'k' }, body), 400, 'INVALID_REQUEST');
      expectError(
        await post(
          { 'idempotency-key': 'k', 'content-type': 'application/x-www-form-urlencoded' },
          'quantity=1',
        ),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        await post({ 'idempotency-key': 'k' }, { ...good, pad: 'x'.repeat(t.h.app.config.bodyLimitBytes) }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
      expect(await stats(sale.id)).toEqual(before);
    });

    it('refuses beyond the limit, the stock, and outside the sale with 409 and the reason', async () => {
      const sale = await liveSale(t.h.app, { totalStock: 3, perUserLimit: 2 });
      const [a, b, c] = await admitted(sale.id, 'lim-a', 'lim-b', 'lim-c');
      if (a === undefined || b === undefined || c === undefined) throw new Error('unreachable');
      const refused = async (res: Promise<Awaited<ReturnType<typeof buy>>>, code: string) => {
        const before = await stats(sale.id);
        expectError(await res, 409, code);
        expect(await stats(sale.id)).toEqual(before);
      };
      await refused(buy(sale.id, a, { quantity: 3 }), 'LIMIT_EXCEEDED');
      const first = (await buy(sale.id, a, { quantity: 2 })).json();
      await orderUntil(a.token, first.orderId, 'confirmed');
      await refused(buy(sale.id, a, { quantity: 1 }), 'LIMIT_EXCEEDED');
      await refused(buy(sale.id, b, { quantity: 2 }), 'INSUFFICIENT_STOCK');
      await t.h.app.engine.pause(sale.id);
      await refused(buy(sale.id, b, { quantity: 1 }), 'NOT_LIVE');
      await t.h.app.engine.resume(sale.id);
      const last = (await buy(sale.id, b, { quantity: 1 })).json();
      await orderUntil(b.token, last.orderId, 'confirmed');
      await refused(buy(sale.id, c, { quantity: 1 }), 'SOLD_OUT');
      expect(await stats(sale.id)).toMatchObject({ available: 0, held: 0, sold: 3 });
      const page = (await call('GET', `/sales/${sale.id}`)).json();
      expect(page).toMatchObject({ state: 'sold_out', remaining: 0 });
      await queueUntil(sale.id, c.token, 'sold_out');
    });

    it('is 404 SALE_NOT_FOUND for a sale that does not exist', async () => {
      const token = await t.h.userToken('ghost');
      const admission = await t.h.ctx.admission.sign({
        userId: 'ghost',
        saleId: 'ghost-sale',
        expiresAt: Date.now() + 60_000,
      });
      expectError(await buy('ghost-sale', { token, admission }), 404, 'SALE_NOT_FOUND');
    });
  });
}
