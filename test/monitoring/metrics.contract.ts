/**
 * /metrics during a small sale, one suite for both shapes: buyers join, are admitted, check out, and
 * the worker confirms their orders, all through the HTTP API; each step shows in the counters and
 * gauges. Then an oversell that PostgreSQL refuses shows in both oversell metrics, and the admin
 * summary reports sane figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSale } from '../../src/domain/sale.ts';
import { type HttpHarness, liveSale, startHttp } from '../http/harness.ts';
import { client } from '../http/public/client.ts';
import { drain } from '../pipeline/helpers.ts';
import type { Shape } from '../pipeline/shapes.ts';
import { type Exposition, NO_SHEDDING, parseExposition } from './support.ts';

export function describeMetrics(makeShape: () => Shape) {
  describe(`metrics during a sale: ${makeShape.name}`, () => {
    const shape = makeShape();
    let h: HttpHarness;
    const api = client(() => h);

    beforeAll(async () => {
      h = await startHttp(shape, NO_SHEDDING);
    });
    afterAll(async () => {
      await h?.close();
      await shape.cleanup();
    });

    const scrape = async (on: HttpHarness = h): Promise<Exposition> => {
      const res = await on.server.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(res.body);
    };
    const CHECKOUT = { method: 'POST', route: '/api/v1/sales/:saleId/checkout' };

    // Counters are per app and the tests share one: each test reads differences from its own start,
    // so it passes alone and in any order.
    it('shows the sale move through join, admission, checkout and confirmation', async () => {
      const sale = await liveSale(h.app, { totalStock: 10, perUserLimit: 2 });
      const of = { sale: sale.id };
      const m0 = await scrape();
      expect(m0.value('flashsale_sale_stock_total', of)).toBe(10);
      expect(m0.value('flashsale_sale_stock', { ...of, state: 'available' })).toBe(10);
      expect(m0.value('flashsale_sale_waiting', of)).toBe(0);
      expect(m0.value('flashsale_sale_state', { ...of, state: 'live' })).toBe(1);
      expect(m0.value('flashsale_orders', { ...of, status: 'confirmed' })).toBe(0);
      expect(m0.value('flashsale_metrics_source_up', { source: 'engine' })).toBe(1);
      const requests0 = m0.sum('flashsale_http_requests_total');
      const atStart = (name: string, labels: Record<string, string>) => m0.value(name, labels) ?? 0;
      const JOIN = { method: 'POST', route: '/api/v1/sales/:saleId/queue', status: '200' };
      const checkouts0 = atStart('flashsale_http_requests_total', { ...CHECKOUT, status: '202' });
      const durations0 = atStart('flashsale_http_request_duration_seconds_count', CHECKOUT);
      const completed0 = atStart('flashsale_queue_jobs', { queue: 'orders', state: 'completed' });

      // Three buyers join: they wait.
      const tokens = await Promise.all(['m-1', 'm-2', 'm-3'].map((u) => h.userToken(u)));
      for (const token of tokens) {
        expect((await api.call('POST', `/sales/${sale.id}/queue`, { token })).statusCode).toBe(200);
      }
      const m1 = await scrape();
      expect(m1.sum('flashsale_http_requests_total')).toBeGreaterThanOrEqual(requests0 + 4);
      expect(m1.value('flashsale_http_requests_total', JOIN)).toBe(
        atStart('flashsale_http_requests_total', JOIN) + 3,
      );
      expect(m1.value('flashsale_sale_waiting', of)).toBe(3);
      expect(m1.value('flashsale_sale_admitted', of)).toBe(0);

      // One admission step admits them (the helper joins again, which keeps their tickets).
      const buyers = await api.admitted(sale.id, 'm-1', 'm-2', 'm-3');
      const m2 = await scrape();
      expect(m2.value('flashsale_sale_waiting', of)).toBe(0);
      expect(m2.value('flashsale_sale_admitted', of)).toBe(3);
      expect(m2.value('flashsale_sale_active', of)).toBe(3);

      // Two of them check out (1 + 2 units): units held, jobs queued, their active slots freed.
      const [b1, b2] = buyers;
      if (b1 === undefined || b2 === undefined) throw new Error('unreachable');
      expect((await api.buy(sale.id, b1, { quantity: 1 })).statusCode).toBe(202);
      const order2 = await api.buy(sale.id, b2, { quantity: 2 });
      expect(order2.statusCode).toBe(202);
      const m3 = await scrape();
      expect(m3.value('flashsale_sale_stock', { ...of, state: 'held' })).toBe(3);
      expect(m3.value('flashsale_sale_stock', { ...of, state: 'available' })).toBe(7);
      expect(m3.value('flashsale_sale_active', of)).toBe(1);
      expect(m3.value('flashsale_http_requests_total', { ...CHECKOUT, status: '202' })).toBe(checkouts0 + 2);
      expect(m3.value('flashsale_http_request_duration_seconds_count', CHECKOUT)).toBe(durations0 + 2);
      const queued = m3.sum('flashsale_queue_jobs', { queue: 'orders', state: 'waiting' });
      expect(queued + m3.sum('flashsale_queue_jobs', { queue: 'orders', state: 'delayed' })).toBe(2);

      // The worker confirms both orders.
      h.startWorker();
      await drain(h.app);
      const m4 = await scrape();
      expect(m4.value('flashsale_sale_stock', { ...of, state: 'sold' })).toBe(3);
      expect(m4.value('flashsale_sale_stock', { ...of, state: 'held' })).toBe(0);
      expect(m4.value('flashsale_orders', { ...of, status: 'confirmed' })).toBe(2);
      expect(m4.value('flashsale_orders', { ...of, status: 'pending' })).toBe(0);
      expect(m4.value('flashsale_queue_jobs', { queue: 'orders', state: 'completed' })).toBe(completed0 + 2);
      expect(m4.value('flashsale_queue_jobs', { queue: 'orders', state: 'failed' })).toBe(0);
      expect(m4.value('flashsale_db_oversell_refusals', of)).toBe(0);
      expect(m4.sum('flashsale_http_requests_total')).toBeGreaterThan(
        m1.sum('flashsale_http_requests_total'),
      );
    });

    it('counts an oversell PostgreSQL refuses, in the database gauge and the worker counter', async () => {
      // An app of its own: this test runs the worker, which the test above must start itself.
      const ownShape = makeShape();
      const own = await startHttp(ownShape, NO_SHEDDING);
      try {
        await oversell(own);
      } finally {
        await own.close();
        await ownShape.cleanup();
      }
    });

    async function oversell(h: HttpHarness) {
      const api = client(() => h);
      // The engine believes in 2 units, PostgreSQL knows 1: as after a Redis failover that lost writes.
      const now = h.app.clock.now();
      const settings = normalizeSale(
        {
          id: `ovs-${crypto.randomUUID().slice(0, 8)}`,
          totalStock: 1,
          perUserLimit: 1,
          startsAt: now,
          endsAt: now + 3_600_000,
          holdSeconds: 300,
          admission: { perSecond: 1000, maxActive: 1000, sessionSeconds: 600 },
        },
        () => 'seed',
        now,
      );
      await h.app.store.upsertSale({ ...settings, name: 'Oversold', priceCents: 1000, currency: 'EUR' });
      await h.app.engine.createSale({ ...settings, totalStock: 2 });
      const of = { sale: settings.id };
      const buyers = await api.admitted(settings.id, 'o-1', 'o-2');
      for (const who of buyers) expect((await api.buy(settings.id, who)).statusCode).toBe(202);
      h.startWorker();
      await drain(h.app);

      const m = await scrape(h);
      expect(m.value('flashsale_db_oversell_refusals', of)).toBe(1);
      expect(m.value('flashsale_oversell_refused_total', of)).toBe(1);
      expect(m.value('flashsale_orders', { ...of, status: 'confirmed' })).toBe(1);
      expect(m.value('flashsale_orders', { ...of, status: 'rejected' })).toBe(1);
    }

    it('summarizes requests and latencies for the admin console', async () => {
      const summary = async () => {
        const res = await h.server.inject({ url: '/api/v1/admin/metrics/summary', headers: h.admin });
        expect(res.statusCode).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        return res.json();
      };
      const before = await summary();
      expect(before.at).toBeGreaterThan(Date.now() - 60_000);
      // Whose figures: under `serve --processes N` any of the N may answer.
      expect(before.pid).toBe(process.pid);
      // A bad request (no user token) and an unknown URL: two 4xx.
      expect((await api.call('POST', '/sales/nope/queue')).statusCode).toBe(401);
      expect((await h.server.inject({ url: '/no/such/page' })).statusCode).toBe(404);
      const after = await summary();
      expect(after.requests.total).toBe(before.requests.total + 3);
      expect(after.requests.errors4xx).toBe(before.requests.errors4xx + 2);
      expect(after.requests.errors5xx).toBe(before.requests.errors5xx);
      const { p50, p95, p99 } = after.latencyMs;
      expect(p50).toBeGreaterThan(0);
      expect(p50).toBeLessThanOrEqual(p95);
      expect(p95).toBeLessThanOrEqual(p99);
      expect(p99).toBeLessThan(60_000);
      expect(
        (await scrape()).value('flashsale_http_requests_total', { route: 'unmatched', status: '404' }),
      ).toBe(1);
    });
  });
}
