/**
 * Load shedding by priority (src/http/shedding.ts): new joins are refused first, waiters are told to
 * poll more slowly and are refused only later, and an admitted buyer's checkout and order reads are
 * never refused. Once level by level with an injected lag (deterministic), once under a real flood
 * of joins through a socket.
 */
import { createHmac } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLoopLag } from '../../src/http/shedding.ts';
import { controlSale } from '../../src/sales/control.ts';
import { embeddedShape, TEST_ENV } from '../pipeline/shapes.ts';
import { type HttpHarness, liveSale, startHttp } from './harness.ts';
import { sleep } from './public/client.ts';

/**
 * One process for both tests (starting one is the slow part): the threshold T is low, so 200
 * connections saturate it on a small machine; levels at T/2 = 10, T = 20 and 2T = 40 ms. While
 * `forced` is set, it is the lag the process sees; null: its real event-loop lag.
 */
const THRESHOLD_MS = 20;
let forced: number | null = 0;
const real = eventLoopLag();
let h: HttpHarness;
beforeAll(async () => {
  h = await startHttp(
    embeddedShape(),
    { FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: String(THRESHOLD_MS), FLASHSALE_VISITORS: 'on' },
    {
      lag: {
        start: () => real.start(),
        stop: () => real.stop(),
        read: () => {
          const lag = real.read(); // read even when forced, so each real window starts afresh
          return forced ?? lag;
        },
      },
    },
  );
  h.startWorker(false);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/** A user token as the shop signs it (HS256), without jose's async cost: the flood signs thousands. */
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEAD = b64({ alg: 'HS256', typ: 'JWT' });
function fastToken(userId: string): string {
  const body = `${HEAD}.${b64({ sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const signature = createHmac('sha256', TEST_ENV.FLASHSALE_USER_SECRET).update(body).digest('base64url');
  return `${body}.${signature}`;
}
const bearer = (userId: string) => ({ authorization: `Bearer ${fastToken(userId)}` });

/**
 * A buyer admitted to `saleId` (their admission token) and a waiter in line for a paused sale: a
 * paused sale admits nobody, so its waiters are told a fixed 5000 ms, whatever the clock says.
 */
async function buyerAndWaiter() {
  const sale = await liveSale(h.app, { perUserLimit: 10 });
  const paused = await liveSale(h.app);
  const inject = h.server.inject.bind(h.server);
  expect(
    (await inject({ method: 'POST', url: `/api/v1/sales/${sale.id}/queue`, headers: bearer('buyer') }))
      .statusCode,
  ).toBe(200);
  await h.app.engine.admit(sale.id);
  expect(
    (await inject({ method: 'POST', url: `/api/v1/sales/${paused.id}/queue`, headers: bearer('waiter') }))
      .statusCode,
  ).toBe(200);
  await controlSale(h.app, paused.id, 'pause');
  const until = async (url: string, userId: string, done: (body: Record<string, unknown>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const body = (await inject({ url, headers: bearer(userId) })).json();
      if (done(body)) return body;
      await sleep(50);
    }
    throw new Error(`${url} never became what the test waits for`);
  };
  const admitted = await until(`/api/v1/sales/${sale.id}/queue`, 'buyer', (b) => b.state === 'admitted');
  await until(`/api/v1/sales/${paused.id}/queue`, 'waiter', (b) => b.pollAfterMs === 5000);
  return { sale, paused, admission: (admitted.admission as { token: string }).token };
}

describe('load shedding by priority', () => {
  it('sheds joins from half the threshold, other routes from it, polls from twice it, checkouts never', async () => {
    forced = 0;
    h.ctx.load.sample();
    const { sale, paused, admission } = await buyerAndWaiter();
    const inject = h.server.inject.bind(h.server);
    let n = 0;
    const checkout = () =>
      inject({
        method: 'POST',
        url: `/api/v1/sales/${sale.id}/checkout`,
        headers: { ...bearer('buyer'), 'x-admission-token': admission, 'idempotency-key': `key-${n++}` },
        payload: { quantity: 1, paymentMethod: 'pm_ok' },
      });
    const first = await checkout();
    expect(first.statusCode).toBe(202);
    const orderId = first.json().orderId as string;
    const baseline = (
      await inject({ url: `/api/v1/sales/${sale.id}/queue`, headers: bearer('buyer') })
    ).json();

    /** What each kind of request gets at the current level: its status, and a poll's pollAfterMs. */
    const answers = async () => {
      const [join, challenge, visitor, poll, admittedPoll, saleRead, readyz, page, guess] = await Promise.all(
        [
          inject({ method: 'POST', url: `/api/v1/sales/${sale.id}/queue`, headers: bearer(`new-${n++}`) }),
          inject({
            method: 'POST',
            url: `/api/v1/sales/${sale.id}/challenge`,
            headers: bearer(`new-${n++}`),
          }),
          inject({ method: 'POST', url: '/api/v1/visitors' }),
          inject({ url: `/api/v1/sales/${paused.id}/queue`, headers: bearer('waiter') }),
          inject({ url: `/api/v1/sales/${sale.id}/queue`, headers: bearer('buyer') }),
          inject({ url: `/api/v1/sales/${sale.id}` }),
          inject({ url: '/readyz' }),
          inject({ url: '/' }),
          inject({ url: '/api/v1/admin/sales', headers: { authorization: 'Bearer wrong' } }),
        ],
      );
      for (const res of [join, challenge, visitor, poll, saleRead, readyz, page, guess]) {
        if (res.statusCode !== 503) continue;
        expect(res.json().error.code).toBe('OVERLOADED');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      const [order, leave, admin, healthz, metrics, buy] = await Promise.all([
        inject({ url: `/api/v1/orders/${orderId}`, headers: bearer('buyer') }),
        inject({ method: 'DELETE', url: `/api/v1/sales/${sale.id}/queue`, headers: bearer('outsider') }),
        inject({ url: '/api/v1/admin/sales', headers: h.admin }),
        inject({ url: '/healthz' }),
        inject({ url: '/metrics' }),
        checkout(),
      ]);
      return {
        joins: [join.statusCode, challenge.statusCode, visitor.statusCode],
        poll: poll.statusCode === 200 ? poll.json().pollAfterMs : poll.statusCode,
        admittedPoll:
          admittedPoll.statusCode === 200 ? admittedPoll.json().pollAfterMs : admittedPoll.statusCode,
        saleRead: saleRead.statusCode,
        others: [readyz.statusCode, page.statusCode, guess.statusCode],
        kept: [
          buy.statusCode,
          order.statusCode,
          leave.statusCode,
          admin.statusCode,
          healthz.statusCode,
          metrics.statusCode,
        ],
      };
    };
    const at = async (lagMs: number) => {
      forced = lagMs;
      h.ctx.load.sample();
      return answers();
    };

    const kept = [202, 200, 200, 200, 200, 200];
    const heartbeat = baseline.pollAfterMs;
    expect(await at(0)).toEqual({
      joins: [200, 200, 201],
      poll: 5000,
      admittedPoll: heartbeat,
      saleRead: 200,
      others: [200, 200, 401],
      kept,
    });
    // Busy (over T/2): no new joins; waiters poll half as often; admitted pollers keep their heartbeat.
    expect(await at(15)).toEqual({
      joins: [503, 503, 503],
      poll: 10_000,
      admittedPoll: heartbeat,
      saleRead: 200,
      others: [200, 200, 401],
      kept,
    });
    // Overloaded (over T): everything that is not a buyer's line or purchase is shed, as before.
    expect(await at(30)).toEqual({
      joins: [503, 503, 503],
      poll: 20_000,
      admittedPoll: heartbeat,
      saleRead: 200,
      others: [503, 503, 503],
      kept,
    });
    // Saturated (over 2T): polls too; checkout, orders, leaving, operators and probes still answered.
    expect(await at(50)).toEqual({
      joins: [503, 503, 503],
      poll: 503,
      admittedPoll: 503,
      saleRead: 503,
      others: [503, 503, 503],
      kept,
    });
    // Back to normal.
    expect((await at(5)).joins).toEqual([200, 200, 201]);
  });

  it('under a real flood of joins: joins refused, waiters slowed, the admitted buyer checks out', async () => {
    forced = 0;
    h.ctx.load.sample();
    const { sale, paused, admission } = await buyerAndWaiter();
    forced = null;
    const address = await h.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const agent = new Agent({ keepAlive: true, maxSockets: 200 });

    const send = (method: string, path: string, headers: Record<string, string>, body?: object) =>
      new Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }>(
        (resolve, reject) => {
          const payload = body === undefined ? undefined : JSON.stringify(body);
          const req = httpRequest(
            {
              agent,
              host: '127.0.0.1',
              port,
              method,
              path,
              headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => {
                const text = Buffer.concat(chunks).toString();
                resolve({
                  status: res.statusCode ?? 0,
                  headers: res.headers,
                  json: text ? JSON.parse(text) : {},
                });
              });
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(payload);
        },
      );

    const deadline = Date.now() + 30_000;
    let stop = false;
    const joins = { answered: 0, shed: 0, other: 0 };
    let n = 0;
    const flooder = async () => {
      while (!stop && Date.now() < deadline) {
        const res = await send('POST', `/api/v1/sales/${sale.id}/queue`, bearer(`flood-${n++}`));
        if (res.status === 200) joins.answered++;
        else if (
          res.status === 503 &&
          (res.json.error as { code: string }).code === 'OVERLOADED' &&
          Number(res.headers['retry-after']) > 0
        )
          joins.shed++;
        else joins.other++;
      }
    };
    const flood = Array.from({ length: 200 }, flooder);

    // The waiter polls meanwhile; the admitted buyer checks out once the process sheds.
    const polls: Array<number | string> = [];
    let bought: { status: number; ms: number; level: number } | null = null;
    while (
      Date.now() < deadline &&
      (bought === null || !polls.some((p) => typeof p === 'number' && p > 5000))
    ) {
      const poll = await send('GET', `/api/v1/sales/${paused.id}/queue`, bearer('waiter'));
      polls.push(
        poll.status === 200
          ? (poll.json.pollAfterMs as number)
          : poll.status === 503
            ? 'shed'
            : `${poll.status}`,
      );
      if (bought === null && h.ctx.load.level >= 1 && joins.shed > 0) {
        const level = h.ctx.load.level;
        const sentAt = Date.now();
        const res = await send(
          'POST',
          `/api/v1/sales/${sale.id}/checkout`,
          { ...bearer('buyer'), 'x-admission-token': admission, 'idempotency-key': 'flood-buy' },
          { quantity: 1, paymentMethod: 'pm_ok' },
        );
        bought = { status: res.status, ms: Date.now() - sentAt, level };
      }
      await sleep(20);
    }
    stop = true;
    await Promise.all(flood);
    agent.destroy();

    expect(joins.shed, JSON.stringify(joins)).toBeGreaterThan(0);
    expect(joins.other, JSON.stringify(joins)).toBe(0);
    // Sent while the process was refusing joins, answered at once and accepted.
    expect(bought).not.toBeNull();
    expect(bought?.level).toBeGreaterThanOrEqual(1);
    expect(bought?.status).toBe(202);
    expect(bought?.ms).toBeLessThan(10_000);
    // The waiter was answered all along (or shed at the top level), and told to come back later.
    expect(
      polls.every((p) => p === 'shed' || typeof p === 'number'),
      polls.join(','),
    ).toBe(true);
    expect(Math.max(...polls.filter((p): p is number => typeof p === 'number'))).toBeGreaterThan(5000);
    console.log(
      `flood: ${joins.answered} joins answered, ${joins.shed} shed; checkout ${bought?.status} in ${bought?.ms} ms ` +
        `at level ${bought?.level}; waiter polls ${polls.length}: ${[...new Set(polls)].join(',')}`,
    );
  }, 90_000);
});
