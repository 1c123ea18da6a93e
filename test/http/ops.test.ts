/**
 * Operations endpoints on both shapes: liveness, readiness (503 rather than a hang when the database
 * is closed or Redis stops answering), the JWKS that verifies admission tokens, and the OpenAPI
 * document with its browsable docs.
 */
import net from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embeddedShape, redisShape, type Shape } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis, REDIS_URL } from '../support/services.ts';
import { type HttpHarness, startHttp } from './harness.ts';

const ready = (await hasRedis()) && (await hasPostgres());

describe.each([
  ['embedded', embeddedShape, true],
  ['production', redisShape, ready],
] as const)('operations: %s shape', (name, makeShape, available) => {
  describe.skipIf(!available)('', () => {
    const shape: Shape = makeShape();
    let h: HttpHarness;
    beforeAll(async () => {
      h = await startHttp(shape);
    });
    afterAll(async () => {
      await h?.close();
      await shape.cleanup();
    });

    it('/healthz: 200 {status: ok}', async () => {
      const res = await h.server.inject({ url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('/readyz: 200 with every backing service checked', async () => {
      const res = await h.server.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(200);
      const checks = name === 'embedded' ? { database: 'ok' } : { database: 'ok', redis: 'ok', queue: 'ok' };
      expect(res.json()).toEqual({ status: 'ready', checks });
    });

    it('/.well-known/jwks.json: the public key that verifies admission tokens, and nothing private', async () => {
      const res = await h.server.inject({ url: '/.well-known/jwks.json' });
      expect(res.statusCode).toBe(200);
      const jwks = res.json();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwks.keys[0].d).toBeUndefined();

      const expiresAt = Date.now() + 60_000;
      const token = await h.ctx.admission.sign({ userId: 'u-jwks', saleId: 's-jwks', expiresAt });
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: 'flashsale',
        audience: 'flashsale-checkout',
      });
      expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
      expect(payload).toMatchObject({ sub: 'u-jwks', sale: 's-jwks', exp: Math.floor(expiresAt / 1000) });
    });

    it('/readyz: 503 UNAVAILABLE once the database is closed', async () => {
      const own = await startHttp(shape);
      try {
        await own.app.db.close();
        const res = await own.server.inject({ url: '/readyz' });
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.json().error).toMatchObject({
          code: 'UNAVAILABLE',
          details: { checks: { database: 'failed' } },
        });
        // Liveness is the process, not its services.
        expect((await own.server.inject({ url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await own.server.close();
        await own.app.close().catch(() => undefined); // its database is already closed
      }
    });
  });
});

/**
 * A TCP proxy in front of Redis that can stop answering (holding the bytes, so the connection's
 * replies stay in order once it resumes) or drop every connection and refuse new ones.
 */
class FlakyProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private held: Array<[net.Socket, Buffer]> | null = null;
  port = 0;

  async listen(): Promise<void> {
    const { hostname, port } = new URL(REDIS_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect({ host: hostname, port: Number(port || 6379) });
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('data', (chunk: Buffer) => (this.held ? this.held.push([to, chunk]) : to.write(chunk)));
        from.on('error', () => undefined);
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const [to, chunk] of held) to.write(chunk);
  }

  async refuse(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe.skipIf(!ready)('operations: Redis unreachable', () => {
  const shape = redisShape();
  const proxy = new FlakyProxy();
  let h: HttpHarness;
  beforeAll(async () => {
    await proxy.listen();
    h = await startHttp(shape, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  });
  afterEach(() => proxy.release());
  afterAll(async () => {
    await h?.close();
    await shape.cleanup();
  });

  const readyz = async () => {
    const res = await h.server.inject({ url: '/readyz' });
    return { status: res.statusCode, body: res.json() };
  };

  it('answers 503 with redis: timeout when Redis stops answering, instead of hanging', async () => {
    expect((await readyz()).status).toBe(200);
    proxy.hold();
    const res = await readyz();
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({
      code: 'UNAVAILABLE',
      details: { checks: { database: 'ok', redis: 'timeout', queue: 'timeout' } },
    });
    proxy.release();
    expect((await readyz()).status).toBe(200);
  });

  it('answers 503 with redis: failed when Redis refuses connections, and 200 once it is back', async () => {
    await proxy.refuse();
    const res = await readyz();
    expect(res.status).toBe(503);
    const { checks } = res.body.error.details;
    expect(checks).toMatchObject({ database: 'ok', redis: 'failed' });
    // BullMQ waits for its connection to come back: refused or silent, the probe still answers.
    expect(['failed', 'timeout']).toContain(checks.queue);

    await proxy.listen(); // same port: the clients reconnect on their own
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await readyz()).status;
    }
    expect(status).toBe(200);
  });
});

describe('OpenAPI document and docs', () => {
  const shape = embeddedShape();
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttp(shape);
  });
  afterAll(async () => {
    await h?.close();
  });

  type Operation = {
    tags?: string[];
    summary?: string;
    security?: Array<Record<string, string[]>>;
    parameters?: Array<{ in: string; name: string }>;
    responses?: Record<string, unknown>;
  };

  it('/openapi.json is an OpenAPI 3 document listing every route', async () => {
    const res = await h.server.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'flashsale API', version: expect.any(String) });

    const expected: Record<string, string[]> = {
      '/healthz': ['get'],
      '/readyz': ['get'],
      '/.well-known/jwks.json': ['get'],
      '/api/v1/admin/sales': ['get', 'post'],
      '/api/v1/admin/sales/{saleId}': ['get'],
      '/api/v1/admin/sales/{saleId}/start': ['post'],
      '/api/v1/admin/sales/{saleId}/pause': ['post'],
      '/api/v1/admin/sales/{saleId}/resume': ['post'],
      '/api/v1/admin/sales/{saleId}/end': ['post'],
      '/api/v1/admin/sales/{saleId}/stats': ['get'],
      // The public API (routes/public.ts).
      '/api/v1/visitors': ['post'],
      '/api/v1/sales/{saleId}': ['get'],
      '/api/v1/sales/{saleId}/queue': ['get', 'post'],
      '/api/v1/sales/{saleId}/checkout': ['post'],
      '/api/v1/orders/{orderId}': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual(expect.arrayContaining(methods));
    }
    expect(doc.paths['/openapi.json']).toBeUndefined();

    const schemes = Object.keys(doc.components.securitySchemes);
    expect(schemes).toEqual(expect.arrayContaining(['userToken', 'adminKey', 'admissionToken']));
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.summary, where).toEqual(expect.any(String));
        expect(op.tags?.length, where).toBeGreaterThan(0);
        expect(Object.keys(op.responses ?? {}).length, where).toBeGreaterThan(0);
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(schemes, where).toContain(scheme);
        }
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort(), where).toEqual(templated.sort());
        if (path.startsWith('/api/v1/admin/')) expect(op.security, where).toEqual([{ adminKey: [] }]);
      }
    }
  });

  it('/docs serves the browsable docs', async () => {
    const res = await h.server.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect((await h.server.inject({ url: '/docs/json' })).json().openapi).toMatch(/^3\./);
  });
});
