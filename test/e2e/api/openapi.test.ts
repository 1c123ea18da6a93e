/**
 * The OpenAPI document as a client author meets it: every operation named (operationId), each error
 * status with its own codes as examples, Redocly's recommended rules passing, and the buyer path
 * driven end to end through a client generated from the document (openapi-typescript types +
 * openapi-fetch) against the service on a real port.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderNumberOf } from '../../../src/domain/order.ts';
import { HTTP_STATUS } from '../../../src/http/errors.ts';
import { type HttpHarness, liveSale, startHttp, userToken } from '../../http/harness.ts';
import { embeddedShape } from '../../pipeline/shapes.ts';
import type { operations, paths } from './openapi.d.ts';

const run = promisify(execFile);
const GENERATED = fileURLToPath(new URL('./openapi.d.ts', import.meta.url));
const REDOCLY = fileURLToPath(new URL('../../../node_modules/.bin/redocly', import.meta.url));

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>>; servers?: { url: string }[] };

describe('the OpenAPI document and a client generated from it', () => {
  const shape = embeddedShape();
  let h: HttpHarness;
  let baseUrl: string;
  let doc: Document;
  let dir: string;

  beforeAll(async () => {
    h = await startHttp(shape);
    h.startWorker(false);
    await h.server.listen({ port: 0, host: '127.0.0.1' });
    const address = h.server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    baseUrl = `http://127.0.0.1:${address.port}`;
    doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Document;
    dir = await mkdtemp(join(tmpdir(), 'flashsale-openapi-'));
  });
  afterAll(async () => {
    await h?.close();
    await shape.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const operationsOf = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
    );

  it('names every operation once, and declares security on each (public ones with [])', () => {
    const ids = operationsOf().map(({ where, op }) => {
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(Array.isArray(op.security), where).toBe(true);
      return op.operationId;
    });
    expect(ids.length).toBeGreaterThanOrEqual(17);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('gives each error status its own codes as examples', () => {
    let checked = 0;
    for (const { where, op } of operationsOf()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const examples = response.content?.['application/json']?.examples ?? {};
        const codes = Object.keys(examples);
        expect(codes.length, `${where} ${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(HTTP_STATUS[code as keyof typeof HTTP_STATUS], `${where} ${status} ${code}`).toBe(
            Number(status),
          );
          expect(examples[code]?.value).toMatchObject({ error: { code } });
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("passes Redocly's recommended rules: no errors; the only warnings are probes without a 4xx", async () => {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const out = join(dir, 'lint.json');
    // Exit code 1 on errors: read the report either way, then judge it here.
    await run(REDOCLY, ['lint', file, '--extends=recommended', '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    })
      .then((r) => writeFile(out, r.stdout))
      .catch((e: { stdout?: string }) => writeFile(out, e.stdout ?? ''));
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; location: { pointer: string }[] }[];
    };
    expect(report.totals.errors).toBe(0);
    // /healthz and /readyz answer 200 or 503 and nothing else: no 4xx to document.
    const warnings = report.problems
      .filter((p) => p.severity === 'warn')
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}`);
    expect(warnings.sort()).toEqual([
      'operation-4xx-response #/paths/~1healthz/get/responses',
      'operation-4xx-response #/paths/~1readyz/get/responses',
    ]);
  });

  it('is the document the committed client types were generated from', async () => {
    // Regenerate with: npx openapi-typescript http://localhost:3000/openapi.json -o test/e2e/api/openapi.d.ts
    const fresh = astToString(await openapiTS(JSON.stringify(doc)));
    const committed = await readFile(GENERATED, 'utf8');
    const body = (text: string) => text.slice(text.indexOf('export interface paths')).trim();
    // A boolean, not the two texts: a drift would print some 100 kB of types.
    expect(body(committed) === body(fresh), 'test/e2e/api/openapi.d.ts is stale: regenerate it').toBe(true);
  });

  it('drives the buyer path through the generated client: sale, queue, checkout, order', async () => {
    const sale = await liveSale(h.app, { totalStock: 3, perUserLimit: 1 });
    const token = await userToken('typed-client', undefined, { email: 'typed@example.test' });
    const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });
    const params = { path: { saleId: sale.id } };

    const page = await api.GET('/api/v1/sales/{saleId}', { params });
    expect(page.response.status).toBe(200);
    expect(page.data).toMatchObject({ id: sale.id, remaining: 3, state: 'live' });

    const joined = await api.POST('/api/v1/sales/{saleId}/queue', { params });
    expect(joined.response.status).toBe(200);
    await h.app.engine.admit(sale.id);
    let status: operations['getQueueStatus']['responses'][200]['content']['application/json'] | undefined;
    for (let i = 0; i < 100 && status?.state !== 'admitted'; i++) {
      status = (await api.GET('/api/v1/sales/{saleId}/queue', { params })).data;
      if (status?.state !== 'admitted') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const admission = status?.admission?.token;
    if (admission === undefined) throw new Error(`never admitted: ${JSON.stringify(status)}`);

    const placed = await api.POST('/api/v1/sales/{saleId}/checkout', {
      params: { ...params, header: { 'idempotency-key': 'typed-client-1' } },
      headers: { 'x-admission-token': admission },
      body: { quantity: 1, paymentMethod: 'pm_ok' },
    });
    expect(placed.response.status).toBe(202);
    const orderId = placed.data?.orderId;
    if (orderId === undefined) throw new Error(JSON.stringify(placed.error));
    expect(placed.data?.orderNumber).toBe(orderNumberOf(orderId));

    let order: operations['getOrder']['responses'][200]['content']['application/json'] | undefined;
    for (let i = 0; i < 200 && order?.status !== 'confirmed'; i++) {
      order = (await api.GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } })).data;
      if (order?.status !== 'confirmed') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(order).toMatchObject({ orderId, saleId: sale.id, quantity: 1, status: 'confirmed' });

    // A refusal comes back typed as the error body, with its code.
    const again = await api.POST('/api/v1/sales/{saleId}/checkout', {
      params: { ...params, header: { 'idempotency-key': 'typed-client-2' } },
      headers: { 'x-admission-token': admission },
      body: { quantity: 1, paymentMethod: 'pm_ok' },
    });
    expect(again.response.status).toBe(409);
    expect(again.error?.error.code).toBe('LIMIT_EXCEEDED');
  });
});
