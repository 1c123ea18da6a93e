/**
 * Leaving the waiting room (DELETE /sales/{id}/queue): a waiter leaves the line and the waiting
 * figure drops; an admitted shopper gives the slot back, cannot check out with the token they kept,
 * and joins again at the back; admitted polls are asked to come often enough to keep the slot.
 */
import { describe, expect, it } from 'vitest';
import { liveSale } from '../harness.ts';
import { expectError, type PublicTest } from './client.ts';

export function leaveCases(t: PublicTest): void {
  const { call, admitted, buy, queueUntil, stats } = t;

  describe('leaving the waiting room', () => {
    it('a waiter who leaves is out of the line, takes no slot, and the waiting figure drops', async () => {
      const sale = await liveSale(t.h.app, {
        admission: { perSecond: 1000, maxActive: 1, sessionSeconds: 600 },
      });
      const [a, b, c] = await Promise.all(['lv-a', 'lv-b', 'lv-c'].map((u) => t.h.userToken(u)));
      for (const token of [a, b, c]) await call('POST', `/sales/${sale.id}/queue`, { token });
      expect((await stats(sale.id)).waiting).toBe(3);
      const left = await call('DELETE', `/sales/${sale.id}/queue`, { token: b });
      expect(left.statusCode).toBe(200);
      expect(left.headers['cache-control']).toBe('no-store');
      expect(left.json()).toEqual({ left: true });
      expect((await call('DELETE', `/sales/${sale.id}/queue`, { token: b })).json()).toEqual({ left: false });
      expect((await stats(sale.id)).waiting).toBe(2);
      expectError(await call('GET', `/sales/${sale.id}/queue`, { token: b }), 404, 'NOT_IN_QUEUE');
      // One slot: a takes it. Once a gives it back, b's place is passed over and c is next.
      await t.h.app.engine.admit(sale.id);
      await queueUntil(sale.id, a as string, 'admitted');
      expect((await call('DELETE', `/sales/${sale.id}/queue`, { token: a })).json()).toEqual({ left: true });
      await t.h.app.engine.admit(sale.id);
      await queueUntil(sale.id, c as string, 'admitted');
      // Two admitted; b's place was passed over, not admitted.
      expect(await stats(sale.id)).toMatchObject({ waiting: 0, active: 1, admitted: 2 });
    });

    it('an admitted shopper who leaves gives the slot back, cannot check out, and rejoins at the back', async () => {
      const sale = await liveSale(t.h.app);
      const [who] = await admitted(sale.id, 'lv-shopper');
      if (who === undefined) throw new Error('not admitted');
      const polled = (await call('GET', `/sales/${sale.id}/queue`, { token: who.token })).json();
      // FLASHSALE_HEARTBEAT_SECONDS defaults to 30: polls a third of it apart keep the slot.
      expect(polled).toMatchObject({ state: 'admitted', pollAfterMs: 10_000 });
      expect((await stats(sale.id)).active).toBe(1);
      expect((await call('DELETE', `/sales/${sale.id}/queue`, { token: who.token })).json()).toEqual({
        left: true,
      });
      expect((await stats(sale.id)).active).toBe(0);
      expect((await call('GET', `/sales/${sale.id}/queue`, { token: who.token })).json().state).toBe(
        'expired',
      );
      expectError(await buy(sale.id, who), 403, 'NOT_ADMITTED');
      expect((await stats(sale.id)).held).toBe(0);
      const again = await call('POST', `/sales/${sale.id}/queue`, { token: who.token });
      expect(again.json()).toMatchObject({ state: 'waiting', position: 1 });
    });

    it('refuses leaving without a user token, for an unknown sale and for a malformed id', async () => {
      const sale = await liveSale(t.h.app);
      const token = await t.h.userToken('lv-other');
      expectError(await call('DELETE', `/sales/${sale.id}/queue`), 401, 'UNAUTHENTICATED');
      expectError(await call('DELETE', '/sales/nope/queue', { token }), 404, 'SALE_NOT_FOUND');
      expectError(await call('DELETE', '/sales/bad.id/queue', { token }), 400, 'INVALID_REQUEST');
      expect((await call('DELETE', `/sales/${sale.id}/queue`, { token })).json()).toEqual({ left: false });
    });
  });
}
