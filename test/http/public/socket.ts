/**
 * Whole buyer flows through a real socket, with the worker's ticks admitting at the sale's rate:
 * visitor token → join → poll (as told by pollAfterMs) → admitted → checkout → order confirmed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shape } from '../../pipeline/shapes.ts';
import { type HttpHarness, liveSale, startHttp } from '../harness.ts';
import { ORDER_ID, sleep } from './client.ts';

/** The fields of the answers this flow reads. */
interface Json {
  token: string;
  state: string;
  position: number;
  pollAfterMs: number | null;
  admission: { token: string };
  orderId: string;
  status: string;
  error: { code: string };
}

export function socketCases(makeShape: () => Shape): void {
  describe(`public API over a socket: ${makeShape.name}`, () => {
    const shape = makeShape();
    let h: HttpHarness;
    let base = '';

    const request = async (
      method: string,
      path: string,
      headers: Record<string, string> = {},
      body?: unknown,
    ) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
    };

    beforeAll(async () => {
      h = await startHttp(shape, { FLASHSALE_VISITORS: 'on' });
      h.startWorker(true);
      base = `${await h.server.listen({ port: 0, host: '127.0.0.1' })}/api/v1`;
    });
    afterAll(async () => {
      await h?.close();
      await shape.cleanup();
    });

    /** One buyer, start to finish; answers what became of them. */
    const buyer = async (saleId: string) => {
      const visitor = await request('POST', '/visitors');
      expect(visitor.status).toBe(201);
      const auth = { authorization: `Bearer ${visitor.body.token}` };
      let status = await request('POST', `/sales/${saleId}/queue`, auth);
      expect(status.status).toBe(200);
      const positions: number[] = [];
      while (status.body.state === 'waiting') {
        positions.push(status.body.position);
        // As the server asks, capped so the test stays quick.
        await sleep(Math.min(status.body.pollAfterMs ?? 100, 100));
        status = await request('GET', `/sales/${saleId}/queue`, auth);
        expect(status.status).toBe(200);
        expect(status.headers.get('cache-control')).toBe('no-store');
      }
      if (status.body.state !== 'admitted') return { outcome: status.body.state, positions };
      const checkout = await request(
        'POST',
        `/sales/${saleId}/checkout`,
        { ...auth, 'x-admission-token': status.body.admission.token, 'idempotency-key': crypto.randomUUID() },
        { quantity: 1, paymentMethod: 'pm_ok' },
      );
      if (checkout.status !== 202) return { outcome: checkout.body.error.code, positions };
      expect(checkout.body.orderId).toMatch(ORDER_ID);
      for (;;) {
        const order = await request('GET', `/orders/${checkout.body.orderId}`, auth);
        expect(order.status).toBe(200);
        if (order.body.status !== 'pending') return { outcome: order.body.status, positions };
        await sleep(50);
      }
    };

    it('four visitors wait their turn; three units sell to three of them, exactly', async () => {
      // Two admissions a second: the later buyers really wait.
      const sale = await liveSale(h.app, {
        totalStock: 3,
        perUserLimit: 1,
        admission: { perSecond: 2, maxActive: 100, sessionSeconds: 600 },
      });
      const page = await request('GET', `/sales/${sale.id}`);
      expect(page).toMatchObject({ status: 200, body: { state: 'live', remaining: 3 } });
      const etag = page.headers.get('etag') ?? '';
      expect((await request('GET', `/sales/${sale.id}`, { 'if-none-match': etag })).status).toBe(304);

      const results = await Promise.all([0, 1, 2, 3].map(() => buyer(sale.id)));
      const outcomes = results.map((r) => r.outcome).sort();
      expect(outcomes.slice(0, 3)).toEqual(['confirmed', 'confirmed', 'confirmed']);
      expect(['SOLD_OUT', 'sold_out']).toContain(outcomes[3]);
      // Someone stood in line behind others before being let in.
      expect(Math.max(...results.flatMap((r) => r.positions))).toBeGreaterThan(1);

      expect(await h.app.engine.stats(sale.id)).toMatchObject({ available: 0, held: 0, sold: 3 });
      expect(await h.app.store.orderCounts(sale.id)).toMatchObject({ confirmed: 3, pending: 0 });
      const after = await request('GET', `/sales/${sale.id}`, { 'if-none-match': etag });
      expect(after).toMatchObject({ status: 200, body: { state: 'sold_out', remaining: 0 } });
    });
  });
}
