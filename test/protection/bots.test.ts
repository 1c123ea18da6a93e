/**
 * A bot crowd against real buyers, on a real socket with the rate limits and proof of work at their
 * defaults: 100 real buyers, each from an address of their own (127.0.1.x: Fastify sees the socket's
 * peer address, no proxy is trusted), and one bot IP (127.0.2.1) trying to mint 1,000 visitor
 * identities, all arriving together for 100 units (one per buyer, a FIFO room).
 *
 * Arrival order is decided by work, not by this machine's scheduler: every buyer solves their own
 * challenge on their own device, so a buyer joins after the hashes of their own solution; the bot
 * runs its identities on one machine at the same speed, so its k-th solved identity joins after the
 * hashes of its first k solutions. The bot's identities that skip the challenge (no solution, or
 * another identity's) arrive first, since skipping costs nothing. The hashing itself runs on worker
 * threads (the reference solver), and the joins are then sent in that order.
 *
 * Reported: the real buyers' share of admissions and of units, against what a fair lottery would
 * give them, both among the identities that arrived (100 in 1,100) and among those that joined.
 */
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { SALE_DEFAULTS } from '../../src/domain/sale.ts';
import { type HttpHarness, startHttp } from '../http/harness.ts';
import { embeddedShape, redisShape } from '../pipeline/shapes.ts';
import { hasRedisAndPostgres } from '../support/services.ts';

const REAL_BUYERS = 100;
const BOT_IDENTITIES = 1000;
const STOCK = 100;

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the service, read field by field
  body: any;
  retryAfterMs: number;
}

async function call(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  const res = await pool.request({
    method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  const retryAfter = Number(res.headers['retry-after'] ?? 1);
  return { status: res.statusCode, body: text ? JSON.parse(text) : null, retryAfterMs: retryAfter * 1000 };
}

const codeOf = (a: Answer) => (a.status < 400 ? a.status : (a.body?.error?.code ?? a.status));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The reference solver on two worker threads; answers the solution and the hashes it took. */
class Solvers {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<() => void> = [];
  private readonly waiting = new Map<number, (solution: string) => void>();
  private next = 0;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./solver.worker.mjs', import.meta.url));
      worker.on('message', ({ id, solution }: { id: number; solution: string }) => {
        this.waiting.get(id)?.(solution);
        this.waiting.delete(id);
        this.idle.push(worker);
        this.queue.shift()?.();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  async solve(challenge: string, difficulty: number): Promise<{ solution: string; hashes: number }> {
    if (this.idle.length === 0) await new Promise<void>((resolve) => this.queue.push(resolve));
    const worker = this.idle.pop() as Worker;
    const id = this.next++;
    const solution = await new Promise<string>((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, challenge, difficulty });
    });
    // The solver counts from 0: counter n took n + 1 hashes.
    return { solution, hashes: Number(solution.slice(solution.lastIndexOf('.') + 1)) + 1 };
  }

  close() {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

interface Identity {
  who: 'real' | 'bot';
  pool: Pool;
  auth: Record<string, string>;
  /** The bot's identities that do not solve: none sends no solution, stolen sends another's. */
  skip: 'none' | 'stolen' | null;
  solution: string | null;
  /** Hashes spent before this identity could join (its device's, or the bot machine's so far). */
  work: number;
  join: Answer | null;
  admitted: boolean;
  unit: boolean;
  end: string;
}

// Without the services (on a laptop) the crowd meets the embedded shape instead; under CI they must be up.
const makeShape = (await hasRedisAndPostgres()) ? redisShape : embeddedShape;

describe(`bots against real buyers (${makeShape.name}, real socket, default limits and difficulty)`, () => {
  const pools: Pool[] = [];
  let h: HttpHarness | null = null;
  const shape = makeShape();
  const solvers = new Solvers(2);
  afterAll(async () => {
    await solvers.close();
    await Promise.all(pools.map((p) => p.close()));
    await h?.close();
    await shape.cleanup();
  });

  it('gives the real buyers at least a fair lottery’s share, and nothing to identities that skip the challenge', async () => {
    h = await startHttp(shape, {
      FLASHSALE_RATE_LIMITS: 'on',
      FLASHSALE_POW: 'on',
      FLASHSALE_VISITORS: 'on',
      // Every solution is hashed before the first join (see above): on a busy machine that may take
      // longer than a challenge's default life, which would test this machine, not the service.
      FLASHSALE_POW_TTL_SECONDS: '3600',
    });
    h.startWorker(true);
    await h.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.server.server.address() as { port: number };
    const origin = `http://127.0.0.1:${port}`;
    const limits = h.app.config.rateLimits;
    const pool = (localAddress: string, connections = 2) => {
      const p = new Pool(origin, { connections, localAddress });
      pools.push(p);
      return p;
    };
    const admin = pool('127.0.0.1');
    const adminHeaders = h.admin;

    const now = Date.now();
    const created = await call(admin, 'POST', '/api/v1/admin/sales', adminHeaders, {
      id: `bots-${now.toString(36)}`,
      name: 'Bot drop',
      description: 'Sneakers',
      priceCents: 12_900,
      currency: 'EUR',
      totalStock: STOCK,
      perUserLimit: 1,
      prequeueAt: now,
      startsAt: now,
      endsAt: now + 3_600_000,
      queueing: 'fifo',
      // maxActive wide: an admitted identity that cannot poll (the bot's IP spent) must not hold the
      // door shut for everyone behind it until its session ends.
      admission: { perSecond: 10, maxActive: 1000, sessionSeconds: 600 },
      holdSeconds: 300,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sale = created.body as { id: string; powDifficulty: number };
    expect(sale.powDifficulty).toBe(SALE_DEFAULTS.powDifficulty);
    const base = `/api/v1/sales/${sale.id}`;

    // Real buyers: one address and one visitor identity each.
    const identities: Identity[] = [];
    for (let i = 0; i < REAL_BUYERS; i++) {
      const p = pool(`127.0.1.${i + 1}`);
      const visitor = await call(p, 'POST', '/api/v1/visitors');
      expect(visitor.status).toBe(201);
      identities.push(newIdentity('real', p, visitor.body.token));
    }

    // The bot: one address, 1,000 identities asked for, 20 requests in flight.
    const bot = pool('127.0.2.1', 20);
    const minted: string[] = [];
    const mintAnswers = new Map<unknown, number>();
    let asked = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (asked < BOT_IDENTITIES) {
          asked += 1;
          const a = await call(bot, 'POST', '/api/v1/visitors');
          mintAnswers.set(codeOf(a), (mintAnswers.get(codeOf(a)) ?? 0) + 1);
          if (a.status === 201) minted.push(a.body.token);
        }
      }),
    );
    expect(minted.length).toBeGreaterThan(0);
    expect(minted.length).toBeLessThanOrEqual(limits.visitorsPerIpPerMinute);
    expect(mintAnswers.get('RATE_LIMITED')).toBe(BOT_IDENTITIES - minted.length);
    const bots = minted.map((token, k) => {
      const b = newIdentity('bot', bot, token);
      b.skip = k % 2 === 0 ? null : k % 4 === 1 ? 'none' : 'stolen';
      return b;
    });
    identities.push(...bots);

    // Challenges, then the work: each real buyer on their own device, the bot's solvers in a row.
    const solving = identities.filter((x) => x.skip === null);
    await Promise.all(
      solving.map(async (x) => {
        const c = await call(x.pool, 'POST', `${base}/challenge`, x.auth);
        expect(c.status, JSON.stringify(c.body)).toBe(200);
        expect(c.body.difficulty).toBe(SALE_DEFAULTS.powDifficulty);
        const { solution, hashes } = await solvers.solve(c.body.challenge, c.body.difficulty);
        x.solution = solution;
        x.work = hashes;
      }),
    );
    let botMachine = 0;
    for (const b of bots.filter((x) => x.skip === null)) {
      botMachine += b.work;
      b.work = botMachine;
    }
    const stolen = bots.find((x) => x.skip === null)?.solution ?? 'none.none.0';
    for (const b of bots) if (b.skip === 'stolen') b.solution = stolen;

    // Everyone arrives: joins in order of the work done, skippers first.
    const arrivals = [...identities].sort((a, b) => a.work - b.work);
    for (const x of arrivals) {
      const headers = x.solution === null ? x.auth : { ...x.auth, 'x-pow-solution': x.solution };
      x.join = await call(x.pool, 'POST', `${base}/queue`, headers);
    }
    for (const x of identities) {
      const expected = x.skip === 'none' ? 'POW_REQUIRED' : x.skip === 'stolen' ? 'POW_INVALID' : 200;
      expect(codeOf(x.join as Answer), JSON.stringify(x.join?.body)).toBe(expected);
    }

    // Then each waits as the server says, checks out when admitted, and follows the order.
    await Promise.all(identities.map((x) => (x.skip === null ? shop(x) : skipper(x))));

    async function shop(x: Identity): Promise<void> {
      let status = (x.join as Answer).body;
      for (;;) {
        if (status.state === 'admitted') break;
        if (status.state !== 'waiting') {
          x.end = status.state;
          return;
        }
        await sleep(status.pollAfterMs ?? 1000);
        const poll = await patient(() => call(x.pool, 'GET', `${base}/queue`, x.auth));
        expect(poll.status, JSON.stringify(poll.body)).toBe(200);
        status = poll.body;
      }
      x.admitted = true;
      const checkout = await patient(() =>
        call(
          x.pool,
          'POST',
          `${base}/checkout`,
          {
            ...x.auth,
            'x-admission-token': status.admission.token,
            'idempotency-key': `bots-${identities.indexOf(x)}`,
          },
          { quantity: 1, paymentMethod: 'pm_ok' },
        ),
      );
      if (checkout.status !== 202) {
        x.end = codeOf(checkout);
        return;
      }
      for (;;) {
        const order = await patient(() =>
          call(x.pool, 'GET', `/api/v1/orders/${checkout.body.orderId}`, x.auth),
        );
        if (order.body.status !== 'pending') {
          x.end = `order ${order.body.status}`;
          x.unit = order.body.status === 'confirmed';
          return;
        }
        await sleep(200);
      }
    }

    async function skipper(x: Identity): Promise<void> {
      // No ticket to poll, and no way to the checkout without an admission.
      const poll = await patient(() => call(x.pool, 'GET', `${base}/queue`, x.auth));
      const checkout = await patient(() =>
        call(
          x.pool,
          'POST',
          `${base}/checkout`,
          { ...x.auth, 'x-admission-token': 'none', 'idempotency-key': `skip-${identities.indexOf(x)}` },
          { quantity: 1, paymentMethod: 'pm_ok' },
        ),
      );
      x.end = `${codeOf(poll)} / ${codeOf(checkout)}`;
    }

    const stats = await call(admin, 'GET', `/api/v1/admin/sales/${sale.id}/stats`, adminHeaders);
    const real = identities.filter((x) => x.who === 'real');
    const joinedBots = bots.filter((x) => x.join?.status === 200);
    const admissions = identities.filter((x) => x.admitted).length;
    const realAdmissions = real.filter((x) => x.admitted).length;
    const units = identities.filter((x) => x.unit).length;
    const realUnits = real.filter((x) => x.unit).length;
    const share = realAdmissions / admissions;
    const lotteryArrived = REAL_BUYERS / (REAL_BUYERS + BOT_IDENTITIES);
    const lotteryJoined = REAL_BUYERS / (REAL_BUYERS + joinedBots.length);
    const ends = (xs: Identity[]) => {
      const m = new Map<string, number>();
      for (const x of xs) m.set(x.end, (m.get(x.end) ?? 0) + 1);
      return Object.fromEntries(m);
    };
    console.log(
      [
        `bots: ${REAL_BUYERS} real buyers (one IP each) and one bot IP asking ${BOT_IDENTITIES} identities, ${STOCK} units, difficulty ${sale.powDifficulty}`,
        `  bot identities minted ${minted.length} (the rest ${JSON.stringify(Object.fromEntries(mintAnswers))}), joined ${joinedBots.length}, skipped the challenge ${bots.filter((x) => x.skip !== null).length}`,
        `  admissions ${admissions}: real buyers ${realAdmissions} (${(share * 100).toFixed(1)} %), bots ${admissions - realAdmissions}`,
        `  units ${units} (sold ${stats.body.stock.sold}): real buyers ${realUnits}, bots ${units - realUnits}`,
        `  fair lottery: ${(lotteryArrived * 100).toFixed(1)} % among the ${REAL_BUYERS + BOT_IDENTITIES} arriving identities, ${(lotteryJoined * 100).toFixed(1)} % among the ${REAL_BUYERS + joinedBots.length} that joined`,
        `  real buyers ended: ${JSON.stringify(ends(real))}`,
        `  bots ended: ${JSON.stringify(ends(bots))}`,
      ].join('\n'),
    );

    expect(units).toBe(STOCK);
    expect(stats.body.stock.sold).toBe(STOCK);
    expect(share).toBeGreaterThanOrEqual(lotteryJoined);
    expect(share).toBeGreaterThanOrEqual(lotteryArrived);
    expect(realUnits / units).toBeGreaterThanOrEqual(lotteryJoined);
    // Identities that skipped the challenge: no ticket, no admission, no unit.
    const skippers = bots.filter((x) => x.skip !== null);
    expect(skippers.length).toBeGreaterThan(0);
    for (const x of skippers) {
      expect(x.admitted || x.unit).toBe(false);
      expect(x.end).toBe('NOT_IN_QUEUE / NOT_ADMITTED');
    }
  }, 900_000);
});

function newIdentity(who: 'real' | 'bot', pool: Pool, token: string): Identity {
  return {
    who,
    pool,
    auth: { authorization: `Bearer ${token}` },
    skip: null,
    solution: null,
    work: 0,
    join: null,
    admitted: false,
    unit: false,
    end: '',
  };
}

/** Sends again after Retry-After while rate limited (the bot's IP spends its minute quickly). */
async function patient(send: () => Promise<Answer>): Promise<Answer> {
  for (;;) {
    const a = await send();
    if (a.status !== 429) return a;
    await sleep(a.retryAfterMs);
  }
}
