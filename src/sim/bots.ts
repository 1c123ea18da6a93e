/**
 * A bot crowd for the rehearsal (`--bots N`): N scripted identities run by one client, on connections
 * of its own (from an address of its own on loopback, so the service's per-IP limits see one IP apart
 * from the buyers). They arrive with the crowd and go as fast as the service lets them: each mints a
 * visitor identity (waiting out a 429 as told), then joins — solving the challenge in this process,
 * one after another as one machine would, or skipping it (`--bot-skip`) — waits as the server says,
 * checks out as many units as the sale allows, and follows its order. Every refusal is counted by
 * route and code, so the report shows what stopped them and who got the stock.
 */
import { solveChallenge } from '../http/pow.ts';
import type { OrderStatus } from './buyers.ts';
import { type Reply, type RequestSpec, SimHttp } from './http.ts';
import type { CheckoutAnswer, OrderSeen } from './invariants.ts';
import type { SimOptions } from './options.ts';
import { isRetryable } from './retry.ts';
import { type Rng, seededRng } from './rng.ts';

/** What the bot crowd got: the report's `bots` section. */
export interface BotFigures {
  identities: number;
  sourceAddress: string | null;
  /** Identities the service minted (201 from POST /visitors). */
  minted: number;
  /** Identities that went to join without solving the challenge. */
  skipped: number;
  /** Identities that got a ticket (200 from the join). */
  joined: number;
  admitted: number;
  /** Orders confirmed, and their units. */
  orders: number;
  units: number;
  /** Refusals by "route CODE" (a 429 waited out counts each time). */
  refusals: Record<string, number>;
  /** How each identity ended. */
  ended: Record<string, number>;
}

type Post = Pick<RequestSpec, 'route' | 'method' | 'path'> & {
  headers?: Record<string, string>;
  body?: string;
};

const codeOf = (reply: Reply): string => reply.body?.error?.code ?? `HTTP ${reply.status || reply.error}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class BotCrowd {
  readonly http: SimHttp;
  /** Checkout answers and orders, for the run's invariants (owners numbered after the buyers). */
  readonly answers: CheckoutAnswer[] = [];
  readonly orders: OrderSeen[] = [];
  private readonly figures: BotFigures;
  private readonly refusals = new Map<string, number>();
  private readonly ended = new Map<string, number>();
  private readonly rng: Rng;
  private stopped = false;
  /** Waits cut short by stop(): an identity sleeping out a minute's 429 gives up at once. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly o: Pick<SimOptions, 'url' | 'bots' | 'botSkip' | 'botAddress' | 'seed'>,
    private readonly sale: { id: string; perUserLimit: number },
    private readonly runId: string,
    /** Owner numbers of the bot's orders start here (after the buyers'). */
    private readonly firstOwner: number,
    clock: () => number,
  ) {
    this.http = new SimHttp(o.url, Math.min(64, Math.max(1, o.bots)), clock, o.botAddress);
    this.rng = seededRng(o.seed ^ 0x5eed);
    this.figures = {
      identities: o.bots,
      sourceAddress: o.botAddress,
      minted: 0,
      skipped: 0,
      joined: 0,
      admitted: 0,
      orders: 0,
      units: 0,
      refusals: {},
      ended: {},
    };
  }

  /** Runs every identity to its end; after stop(), those not yet holding an order give up. */
  async run(): Promise<void> {
    const skips = Array.from({ length: this.o.bots }, () => this.rng() < this.o.botSkip);
    await Promise.all(
      skips.map((skip, k) =>
        this.identity(k, skip).then(
          (end) => this.ended.set(end, (this.ended.get(end) ?? 0) + 1),
          (error: Error) => this.ended.set(`simulator: ${error.message}`, 1),
        ),
      ),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  private nap(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  report(): BotFigures {
    return {
      ...this.figures,
      refusals: Object.fromEntries([...this.refusals].sort()),
      ended: Object.fromEntries([...this.ended].sort()),
    };
  }

  private refused(route: string, reply: Reply): void {
    const key = `${route} ${codeOf(reply)}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }

  /**
   * One request, sent again after Retry-After while the service throttles or sheds it; null once
   * stop() was called, unless `persistent` (following an order placed).
   */
  private async send(spec: Post, persistent = false): Promise<Reply | null> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped && !persistent) return null;
      const reply = await this.http.send({ headers: {}, ...spec });
      if (!isRetryable(reply.status) || (persistent && attempt >= 20)) return reply;
      this.refused(spec.route, reply);
      const wait = reply.retryAfterMs ?? 1000;
      await (persistent ? sleep(wait) : this.nap(wait));
    }
  }

  /** One scripted identity; answers how it ended. */
  private async identity(k: number, skip: boolean): Promise<string> {
    const visitor = await this.send({ route: 'visitor', method: 'POST', path: '/api/v1/visitors' });
    if (visitor === null) return 'stopped';
    if (visitor.status !== 201) return this.end('visitor', visitor);
    this.figures.minted += 1;
    const auth = { authorization: `Bearer ${visitor.body.token}` };
    const base = `/api/v1/sales/${this.sale.id}`;

    let solution: string | null = null;
    if (skip) this.figures.skipped += 1;
    else {
      const challenge = await this.send({
        route: 'challenge',
        method: 'POST',
        path: `${base}/challenge`,
        headers: auth,
      });
      if (challenge === null) return 'stopped';
      if (challenge.status === 200)
        solution = solveChallenge(challenge.body.challenge, challenge.body.difficulty);
      else return this.end('challenge', challenge);
    }
    const headers = solution === null ? auth : { ...auth, 'x-pow-solution': solution };
    let status = await this.send({ route: 'join', method: 'POST', path: `${base}/queue`, headers });
    if (status === null) return 'stopped';
    if (status.status !== 200) return this.end('join', status);
    this.figures.joined += 1;
    while (status.body.state === 'waiting') {
      await this.nap(status.body.pollAfterMs ?? 1000);
      status = await this.send({ route: 'poll', method: 'GET', path: `${base}/queue`, headers: auth });
      if (status === null) return 'stopped';
      if (status.status !== 200) return this.end('poll', status);
    }
    if (status.body.state !== 'admitted') return status.body.state;
    this.figures.admitted += 1;
    return this.buy(k, auth, status.body.admission?.token ?? '');
  }

  private async buy(k: number, auth: Record<string, string>, admission: string): Promise<string> {
    const key = `bot-${this.runId}-${k}`;
    const quantity = this.sale.perUserLimit;
    const checkout = await this.send({
      route: 'checkout',
      method: 'POST',
      path: `/api/v1/sales/${this.sale.id}/checkout`,
      headers: {
        ...auth,
        'x-admission-token': admission,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ quantity, paymentMethod: 'pm_ok' }),
    });
    if (checkout === null) return 'stopped';
    if (checkout.status !== 202) return this.end('checkout', checkout);
    const owner = this.firstOwner + k;
    const id: string = checkout.body.orderId;
    this.answers.push({ buyer: owner, key, orderId: id });
    // An order placed is followed to its end, even after stop(): the run's invariants count it.
    for (let polls = 0; ; polls++) {
      await sleep(Math.min(2000, 200 * 2 ** polls));
      const order = await this.send(
        { route: 'order', method: 'GET', path: `/api/v1/orders/${id}`, headers: auth },
        true,
      );
      if (order === null || order.status !== 200) {
        this.orders.push({ buyer: owner, id, quantity, status: 'pending' });
        return order === null ? 'stopped' : this.end('order', order);
      }
      const status = order.body.status as OrderStatus;
      if (status === 'pending') continue;
      this.orders.push({ buyer: owner, id, quantity: order.body.quantity ?? quantity, status });
      if (status === 'confirmed') {
        this.figures.orders += 1;
        this.figures.units += order.body.quantity ?? quantity;
      }
      return `order ${status}`;
    }
  }

  private end(route: string, reply: Reply): string {
    this.refused(route, reply);
    return `${route} ${codeOf(reply)}`;
  }
}
