/**
 * The monitoring plumbing on the embedded shape: who may read /metrics, request ids in headers and
 * logs, 5xx in the summary, one registry per app, and a scrape that answers when the engine and the
 * job queue never do.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpContext } from '../../src/http/context.ts';
import { buildServer } from '../../src/http/server.ts';
import { type HttpHarness, liveSale, startHttp } from '../http/harness.ts';
import { embeddedShape } from '../pipeline/shapes.ts';
import { NO_SHEDDING, parseExposition } from './support.ts';

const SUMMARY = '/api/v1/admin/metrics/summary';

describe('GET /metrics access', () => {
  let open: HttpHarness;
  let keyed: HttpHarness;
  beforeAll(async () => {
    open = await startHttp(embeddedShape(), NO_SHEDDING);
    keyed = await startHttp(embeddedShape(), { ...NO_SHEDDING, FLASHSALE_METRICS_KEY: 'scrape-key-1' });
  });
  afterAll(async () => {
    await open?.close();
    await keyed?.close();
  });

  it('is open by default, with process metrics', async () => {
    const res = await open.server.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const m = parseExposition(res.body);
    expect(m.types.get('flashsale_http_requests_total')).toBe('counter');
    expect(m.types.get('flashsale_http_request_duration_seconds')).toBe('histogram');
    expect(m.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('requires the bearer key when FLASHSALE_METRICS_KEY is set', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'scrape-key-1', keyed.admin.authorization]) {
      const res = await keyed.server.inject({
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
    const res = await keyed.server.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-key-1' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('keeps one registry per app: requests to one do not count in the other', async () => {
    for (let i = 0; i < 3; i++) await open.server.inject({ url: '/healthz' });
    const healthz = { route: '/healthz', status: '200' };
    const a = parseExposition((await open.server.inject({ url: '/metrics' })).body);
    const b = parseExposition(
      (await keyed.server.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-key-1' } }))
        .body,
    );
    expect(a.value('flashsale_http_requests_total', healthz)).toBe(3);
    expect(b.value('flashsale_http_requests_total', healthz)).toBeUndefined();
  });

  it('refuses the summary without the admin key', async () => {
    expect((await open.server.inject({ url: SUMMARY })).statusCode).toBe(401);
    const wrong = await open.server.inject({ url: SUMMARY, headers: { authorization: 'Bearer x' } });
    expect(wrong.json().error.code).toBe('UNAUTHENTICATED');
  });
});

describe('request ids, logs and 5xx', () => {
  const shape = embeddedShape();
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  let server: Awaited<ReturnType<typeof buildServer>>;
  let close: () => Promise<void>;
  let admin: { authorization: string };

  beforeAll(async () => {
    const app = await shape.make(
      { log: pino({ level: 'debug' }, sink) },
      { ...NO_SHEDDING, FLASHSALE_LOG_LEVEL: 'debug' },
    );
    const ctx = await createHttpContext(app);
    admin = { authorization: `Bearer ${ctx.adminKey}` };
    server = await buildServer(ctx);
    server.get('/test/boom', async () => {
      throw new Error('boom');
    });
    await server.ready();
    close = async () => {
      await server.close();
      await app.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await shape.cleanup();
  });

  it('answers X-Request-Id and logs every line of a request with it as reqId', async () => {
    lines.length = 0;
    const ok = await server.inject({ url: '/healthz' });
    const boom = await server.inject({ url: '/test/boom' });
    const theirs = await server.inject({ url: '/healthz', headers: { 'x-request-id': 'edge-1234' } });
    expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(boom.statusCode).toBe(500);
    expect(theirs.headers['x-request-id']).toBe('edge-1234');
    // An id that could not go back in a header (or into a log line) is replaced by one of ours.
    const odd = await server.inject({ url: '/healthz', headers: { 'x-request-id': 'bad\u0001id' } });
    expect(odd.statusCode).toBe(200);
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const requestLines = lines.filter((l) => 'req' in l || 'res' in l || l.msg === 'request failed');
    expect(requestLines.length).toBeGreaterThanOrEqual(9); // incoming + completed each, and the failure
    for (const line of requestLines) expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
    const failure = lines.find((l) => l.msg === 'request failed');
    expect(failure?.reqId).toBe(boom.headers['x-request-id']);
    expect(lines.some((l) => l.reqId === 'edge-1234')).toBe(true);
  });

  it('counts 5xx in the summary', async () => {
    const before = (await server.inject({ url: SUMMARY, headers: admin })).json();
    await server.inject({ url: '/test/boom' });
    const after = (await server.inject({ url: SUMMARY, headers: admin })).json();
    expect(after.requests.errors5xx).toBe(before.requests.errors5xx + 1);
    expect(after.requests.total).toBe(before.requests.total + 2);
  });
});

describe('scrape-time reads are time-boxed', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttp(embeddedShape(), NO_SHEDDING);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers without the series of a source that hangs, and has them again after', async () => {
    const sale = await liveSale(h.app);
    const never = () => new Promise<never>(() => {});
    vi.spyOn(h.app.engine, 'stats').mockImplementation(never);
    vi.spyOn(h.app.engine, 'getSale').mockImplementation(never);
    vi.spyOn(h.app.queues.orders, 'counts').mockImplementation(never);
    // Those reads never settle: an answer at all (not the test's timeout) is the time box at work.
    const res = await h.server.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const m = parseExposition(res.body);
    expect(m.value('flashsale_metrics_source_up', { source: 'engine' })).toBe(0);
    expect(m.value('flashsale_metrics_source_up', { source: 'queues' })).toBe(0);
    expect(m.value('flashsale_metrics_source_up', { source: 'database' })).toBe(1);
    expect(m.value('flashsale_sale_waiting', { sale: sale.id })).toBeUndefined();
    expect(m.value('flashsale_orders', { sale: sale.id, status: 'pending' })).toBe(0);
    expect(m.value('flashsale_queue_jobs', { queue: 'orders', state: 'waiting' })).toBeUndefined();
    expect(m.value('flashsale_queue_jobs', { queue: 'analytics', state: 'waiting' })).toBe(0);

    vi.restoreAllMocks();
    const again = parseExposition((await h.server.inject({ url: '/metrics' })).body);
    expect(again.value('flashsale_metrics_source_up', { source: 'engine' })).toBe(1);
    expect(again.value('flashsale_sale_waiting', { sale: sale.id })).toBe(0);
  });
});
