/**
 * `flashsale start` (= `npm start`) as a real process on a bare machine: it prints its URLs and the
 * admin key, serves the demo sale, and a scripted buyer goes through a whole drop over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SALE_DEFAULTS } from '../../src/domain/sale.ts';
import { solveChallenge } from '../../src/http/pow.ts';
import { type Cli, runCli } from './child.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('flashsale start', () => {
  let dir = '';
  let start: Cli | undefined;
  afterAll(async () => {
    start?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the URLs and admin key, serves the demo sale, sells to a scripted buyer, stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flashsale-start-'));
    start = runCli(['start'], {
      PORT: '0',
      FLASHSALE_DATA_DIR: join(dir, 'pglite'),
      FLASHSALE_OUTBOX: join(dir, 'outbox.jsonl'),
    });
    await start.waitFor(/Ctrl-C stops it/);
    const line = (label: string) => start?.output.match(new RegExp(`${label}\\s+(\\S+)`))?.[1] ?? '';
    const api = line('API');
    const saleUrl = line('Demo sale');
    const adminKey = line('Admin key');
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(line('Docs')).toBe(api.replace('/api/v1', '/docs'));
    expect(line('OpenAPI')).toBe(api.replace('/api/v1', '/openapi.json'));
    expect(saleUrl.startsWith(`${api}/sales/demo-`)).toBe(true);
    expect(start.output).toContain('(generated; set FLASHSALE_ADMIN_KEY to choose it)');
    const saleId = saleUrl.split('/').at(-1) as string;

    const admin = { authorization: `Bearer ${adminKey}` };
    const listed = await fetch(`${api}/admin/sales`, { headers: admin });
    expect(listed.status).toBe(200);
    expect((await listed.json()).sales).toEqual([
      expect.objectContaining({
        id: saleId,
        totalStock: 100,
        perUserLimit: 2,
        queueing: 'shuffle',
        state: 'prequeue',
      }),
    ]);
    expect((await fetch(`${api}/admin/sales`)).status).toBe(401);
    expect((await fetch(line('Docs'))).status).toBe(200);
    expect((await (await fetch(line('OpenAPI'))).json()).openapi).toMatch(/^3\./);
    expect((await fetch(saleUrl)).status).toBe(200);

    // A buyer: visitor token, join the pre-queue; the operator opens the sale early; wait, buy.
    const visitor = await fetch(`${api}/visitors`, { method: 'POST' });
    expect(visitor.status).toBe(201);
    const buyer = { authorization: `Bearer ${(await visitor.json()).token}` };
    // The demo sale asks for proof of work, as the banner says: no solution, no place in line.
    const unsolved = await fetch(`${saleUrl}/queue`, { method: 'POST', headers: buyer });
    expect(unsolved.status).toBe(428);
    expect(start.output).toContain(`${saleUrl}/challenge`);
    const challenge = await (await fetch(`${saleUrl}/challenge`, { method: 'POST', headers: buyer })).json();
    expect(challenge.difficulty).toBe(SALE_DEFAULTS.powDifficulty);
    const solved = { ...buyer, 'x-pow-solution': solveChallenge(challenge.challenge, challenge.difficulty) };
    expect((await fetch(`${saleUrl}/queue`, { method: 'POST', headers: solved })).status).toBe(200);
    expect(
      (await fetch(`${api}/admin/sales/${saleId}/start`, { method: 'POST', headers: admin })).status,
    ).toBe(200);
    let status = { state: 'waiting', pollAfterMs: 100, admission: { token: '' } };
    for (let i = 0; i < 100 && status.state === 'waiting'; i++) {
      await sleep(Math.min(status.pollAfterMs, 500));
      status = await (await fetch(`${saleUrl}/queue`, { headers: buyer })).json();
    }
    expect(status.state).toBe('admitted');
    const checkout = await fetch(`${saleUrl}/checkout`, {
      method: 'POST',
      headers: {
        ...buyer,
        'x-admission-token': status.admission.token,
        'idempotency-key': 'first-try',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ quantity: 2, paymentMethod: 'pm_ok' }),
    });
    expect(checkout.status).toBe(202);
    const { orderId } = await checkout.json();
    let order = { status: 'pending' };
    for (let i = 0; i < 100 && order.status === 'pending'; i++) {
      await sleep(100);
      order = await (await fetch(`${api}/orders/${orderId}`, { headers: buyer })).json();
    }
    expect(order).toMatchObject({ status: 'confirmed', quantity: 2, amountCents: 25_800 });
    const stats = await (await fetch(`${api}/admin/sales/${saleId}/stats`, { headers: admin })).json();
    expect(stats.stock).toEqual({ total: 100, available: 98, held: 0, sold: 2 });
    expect(stats.orders.confirmed).toBe(1);

    start.child.kill('SIGTERM');
    expect(await start.exited).toBe(0);

    // A second start on the same data retires the first demo instead of listing two.
    const again = runCli(['start'], {
      PORT: '0',
      FLASHSALE_DATA_DIR: join(dir, 'pglite'),
      FLASHSALE_OUTBOX: join(dir, 'outbox.jsonl'),
      FLASHSALE_ADMIN_KEY: 'a-fixed-admin-key-for-the-second-run',
    });
    start = again;
    await again.waitFor(/Ctrl-C stops it/);
    const secondLine = (label: string) => again.output.match(new RegExp(`${label}\\s+(\\S+)`))?.[1] ?? '';
    const secondId = secondLine('Demo sale').split('/').at(-1) as string;
    expect(secondId).not.toBe(saleId);
    expect(secondLine('Archived')).toBe(saleId);
    const root = secondLine('API').replace('/api/v1', '');
    const home = await (await fetch(`${root}/`)).text();
    expect(home).toContain(`href="/sales/${secondId}"`);
    expect(home).not.toContain(`href="/sales/${saleId}"`);
    const both = await (
      await fetch(`${secondLine('API')}/admin/sales`, {
        headers: { authorization: 'Bearer a-fixed-admin-key-for-the-second-run' },
      })
    ).json();
    const byId = new Map(both.sales.map((s: { id: string }) => [s.id, s]));
    expect(byId.get(saleId)).toMatchObject({ archivedAt: expect.any(Number) });
    expect(byId.get(secondId)).not.toHaveProperty('archivedAt');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
