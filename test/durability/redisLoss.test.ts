/**
 * Redis loses everything during a live sale served by two API processes and two workers, all real
 * processes on a Redis of the test's own: first FLUSHALL, then a real restart of that Redis without
 * persistence. PostgreSQL holds every promise afterwards: an ended sale stays ended, a paused one
 * paused; no buyer above their limit; the same Idempotency-Key gives the same order; pending orders
 * finish (none refunded because Redis forgot them); no oversell; a waiter is told NOT_IN_QUEUE and
 * joins again; each API accepts the other's admission tokens, also from an API started after the
 * loss; `flashsale audit` exits 0.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cli, productionCliEnv, runCli } from '../cli/child.ts';
import { userToken } from '../http/harness.ts';
import { redisShape, TEST_ENV } from '../pipeline/shapes.ts';
import { hasRedisServer, type OwnRedis, startOwnRedis } from '../support/ownRedis.ts';
import { hasPostgres } from '../support/services.ts';

const ready = hasRedisServer() && (await hasPostgres());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LISTENING = /listening on (http:\/\/\S+) \(production shape\)/;
const STOCK = 12;

describe.skipIf(!ready)('Redis loses everything during a live sale (two APIs, two workers)', () => {
  const shape = redisShape();
  const processes: Cli[] = [];
  let redis: OwnRedis | undefined;
  afterAll(async () => {
    for (const p of processes) p.kill();
    await redis?.kill();
    await shape.cleanup();
  });

  it('keeps every promise PostgreSQL holds, after FLUSHALL and after a restart', async () => {
    redis = await startOwnRedis();
    const env = {
      ...(await productionCliEnv(shape)),
      REDIS_URL: redis.url,
      FLASHSALE_RATE_LIMITS: 'off',
      // Slow enough that orders are still pending when Redis loses its data.
      FLASHSALE_PAYMENT_LATENCY_MS: '1500',
    };
    const startApi = async () => {
      const api = runCli(['serve'], env);
      processes.push(api);
      return (await api.waitFor(LISTENING))[1] as string;
    };
    const urls = [await startApi(), await startApi()];
    const workerEnv = { ...env, FLASHSALE_LOG_LEVEL: 'info' };
    const workers = [runCli(['worker'], workerEnv), runCli(['worker'], workerEnv)];
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.waitFor(/worker running/)));

    const admin = {
      authorization: `Bearer ${TEST_ENV.FLASHSALE_ADMIN_KEY}`,
      'content-type': 'application/json',
    };
    const operator = { authorization: admin.authorization };
    const now = Date.now();
    const publish = async (id: string, totalStock: number) => {
      const response = await fetch(`${urls[0]}/api/v1/admin/sales`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({
          id,
          name: id,
          priceCents: 1000,
          totalStock,
          perUserLimit: 1,
          startsAt: now,
          endsAt: now + 600_000,
          holdSeconds: 120,
          admission: { perSecond: 1000, maxActive: 1000, sessionSeconds: 300 },
        }),
      });
      expect(response.status).toBe(201);
    };
    await publish('live', STOCK);
    await publish('ended', 5);
    await publish('paused', 5);
    expect(
      (await fetch(`${urls[1]}/api/v1/admin/sales/ended/end`, { method: 'POST', headers: operator })).status,
    ).toBe(200);
    expect(
      (await fetch(`${urls[0]}/api/v1/admin/sales/paused/pause`, { method: 'POST', headers: operator }))
        .status,
    ).toBe(200);

    const auth = async (user: string) => ({ authorization: `Bearer ${await userToken(user)}` });
    /** Joins on one API and polls until admitted (re-joining when told NOT_IN_QUEUE); the token. */
    const admitted = async (user: string, api: string): Promise<string> => {
      const headers = await auth(user);
      for (;;) {
        const joined = await fetch(`${api}/api/v1/sales/live/queue`, { method: 'POST', headers });
        if (joined.status === 200) {
          let status = await joined.json();
          while (status.state === 'waiting') {
            await sleep(100);
            const polled = await fetch(`${api}/api/v1/sales/live/queue`, { headers });
            if (polled.status !== 200) break;
            status = await polled.json();
          }
          if (status.state === 'admitted') return status.admission.token as string;
        }
        await sleep(200); // the sale is being reloaded (503) or the line was lost: join again
      }
    };
    const checkout = async (user: string, api: string, token: string, key: string) => {
      const response = await fetch(`${api}/api/v1/sales/live/checkout`, {
        method: 'POST',
        headers: {
          ...(await auth(user)),
          'content-type': 'application/json',
          'x-admission-token': token,
          'idempotency-key': key,
        },
        body: JSON.stringify({ quantity: 1, paymentMethod: 'pm_ok' }),
      });
      return { status: response.status, body: await response.json() };
    };
    const orderOf = async (user: string, orderId: string) => {
      const response = await fetch(`${urls[1]}/api/v1/orders/${orderId}`, { headers: await auth(user) });
      return response.json();
    };
    const settled = async (user: string, orderId: string) => {
      for (;;) {
        const order = await orderOf(user, orderId);
        if (order.status !== 'pending') return order;
        await sleep(200);
      }
    };

    // Before the loss: three buyers confirmed, two still pending, each admitted by one API and
    // checking out through the other (tokens cross processes).
    const orders = new Map<string, string>();
    const buy = async (user: string, i: number) => {
      const token = await admitted(user, urls[i % 2] as string);
      const answer = await checkout(user, urls[(i + 1) % 2] as string, token, `key-${user}`);
      expect(answer.status).toBe(202);
      orders.set(user, answer.body.orderId);
    };
    await Promise.all(['c0', 'c1', 'c2'].map(buy));
    for (const user of ['c0', 'c1', 'c2'])
      expect((await settled(user, orders.get(user) as string)).status).toBe('confirmed');
    await Promise.all(['p0', 'p1'].map(buy));
    // A waiter who joined before the loss.
    const waiterHeaders = await auth('waiter');
    expect(
      (await fetch(`${urls[0]}/api/v1/sales/live/queue`, { method: 'POST', headers: waiterHeaders })).status,
    ).toBe(200);

    const afterLoss = async (label: string, pending: string[], atLimit: string[]) => {
      // Each API answers once a worker (or the API itself) has reloaded the sales.
      for (const url of urls) {
        for (const [saleId, state] of [
          ['ended', 'ended'],
          ['paused', 'paused'],
        ] as const) {
          let response = await fetch(`${url}/api/v1/sales/${saleId}`);
          while (response.status === 503) {
            await sleep(200);
            response = await fetch(`${url}/api/v1/sales/${saleId}`);
          }
          expect((await response.json()).state, `${label}: ${saleId} via ${url}`).toBe(state);
        }
      }
      // The waiter's ticket went with Redis: told NOT_IN_QUEUE by every API once it has checked the
      // engine's incarnation (at most a second later); polled, not slept for.
      for (const url of urls) {
        const poll = () => fetch(`${url}/api/v1/sales/live/queue`, { headers: waiterHeaders });
        const boundAt = Date.now() + 30_000;
        let polled = await poll();
        while (polled.status !== 404 && Date.now() < boundAt) {
          await sleep(100);
          polled = await poll();
        }
        expect(polled.status, `${label}: waiter via ${url}`).toBe(404);
        expect((await polled.json()).error.code).toBe('NOT_IN_QUEUE');
      }
      // Pending orders finish: confirmed, never refunded because Redis forgot them.
      for (const user of pending) {
        expect((await settled(user, orders.get(user) as string)).status, `${label}: ${user}`).toBe(
          'confirmed',
        );
      }
      // A buyer at their limit: the same key gives the same order; a new key is refused.
      for (const [i, user] of atLimit.entries()) {
        const token = await admitted(user, urls[i % 2] as string);
        const again = await checkout(user, urls[(i + 1) % 2] as string, token, `key-${user}`);
        expect(again.status, `${label}: ${user} retried`).toBe(202);
        expect(again.body.orderId).toBe(orders.get(user));
        const more = await checkout(user, urls[i % 2] as string, token, `another-${label}`);
        expect(more.status, `${label}: ${user} buying more`).toBe(409);
        expect(more.body.error.code).toBe('LIMIT_EXCEEDED');
      }
      // A new buyer still buys, through either API.
      await buy(`n-${label}`, 1);
      expect((await settled(`n-${label}`, orders.get(`n-${label}`) as string)).status).toBe('confirmed');
    };

    const client = new Redis(redis.url);
    await client.flushall();
    await client.quit();
    await afterLoss('flushall', ['p0', 'p1'], ['c0', 'p1']);

    await Promise.all(['p2', 'p3'].map(buy));
    const port = redis.port;
    await redis.kill();
    redis = await startOwnRedis(port);
    // An API started after the loss signs with the same key as the others.
    urls[0] = await startApi();
    await afterLoss('restart', ['p2', 'p3'], ['c1', 'p3']);

    const stats = await (
      await fetch(`${urls[1]}/api/v1/admin/sales/live/stats`, { headers: operator })
    ).json();
    expect(stats.stock.sold).toBe(stats.orders.confirmed);
    expect(stats.stock.sold).toBeLessThanOrEqual(STOCK);
    expect(stats.orders).toMatchObject({ pending: 0, failed: 0, expired: 0 });
    for (const saleId of ['live', 'ended', 'paused']) {
      const audit = runCli(['audit', saleId], env);
      expect(await audit.exited, audit.output).toBe(0);
    }
  }, 300_000);
});
