import { afterAll, describe, expect, it } from 'vitest';
import { userToken } from '../http/harness.ts';
import { redisShape, TEST_ENV } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { type Cli, productionCliEnv, runCli } from './child.ts';

const ready = (await hasRedis()) && (await hasPostgres());

describe.skipIf(!ready)('flashsale serve, production shape', () => {
  const shape = redisShape();
  const processes: Cli[] = [];
  afterAll(async () => {
    for (const p of processes) p.kill();
    await shape.cleanup();
  });

  it('runs as many API processes as wanted over the same stores', async () => {
    const env = await productionCliEnv(shape);
    const a = runCli(['serve'], env);
    const b = runCli(['serve'], env);
    processes.push(a, b);
    const urlOf = async (p: Cli) => (await p.waitFor(/listening on (http:\/\/\S+) \(production shape\)/))[1];
    const [urlA, urlB] = await Promise.all([urlOf(a), urlOf(b)]);
    const admin = {
      authorization: `Bearer ${TEST_ENV.FLASHSALE_ADMIN_KEY}`,
      'content-type': 'application/json',
    };

    const now = Date.now();
    const sale = {
      id: 'two-apis',
      name: 'Two APIs',
      priceCents: 500,
      totalStock: 5,
      startsAt: now,
      endsAt: now + 60_000,
    };
    const created = await fetch(`${urlA}/api/v1/admin/sales`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify(sale),
    });
    expect(created.status).toBe(201);
    const stats = await fetch(`${urlB}/api/v1/admin/sales/two-apis/stats`, { headers: admin });
    expect((await stats.json()).stock).toEqual({ total: 5, available: 5, held: 0, sold: 0 });

    const buyer = { authorization: `Bearer ${await userToken('buyer-1')}` };
    const joined = await fetch(`${urlA}/api/v1/sales/two-apis/queue`, { method: 'POST', headers: buyer });
    expect(joined.status).toBe(200);
    const status = await fetch(`${urlB}/api/v1/sales/two-apis/queue`, { headers: buyer });
    expect(status.status).toBe(200);
    expect((await status.json()).position).toBe((await joined.json()).position);

    const readyz = await (await fetch(`${urlB}/readyz`)).json();
    expect(readyz).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', queue: 'ok' } });

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  });
});
