/**
 * The simulation loop. Open model: arrivals are scheduled by time up front, and each buyer's next step
 * by the answers it gets; a 5 ms ticker (and every answer) dispatches what is due, up to one request
 * per connection in flight. What waits for a free connection waits, and that wait is measured
 * (scheduler lag) rather than hidden.
 *
 * Two heaps: the arrivals (each buyer's first request) and the next steps of buyers under way (polls,
 * checkouts, order reads, retries). With `--priority due` (the default) whichever is due earliest goes
 * first. With `--priority in-line` due next steps go before any arrival: a real crowd has a
 * connection per buyer, so a buyer in line never waits behind strangers arriving, whereas a few
 * hundred connections standing in for a million buyers made every admitted buyer's poll wait behind
 * the whole backlog of arrivals, and a crowd beyond the service's join rate sold nothing until the
 * last stranger had joined. Arrivals then wait at the door instead, and their wait is in the lag.
 */
import { performance } from 'node:perf_hooks';
import { arrivalSchedule } from './arrivals.ts';
import { type Buyer, createBuyers, OUTCOMES, type Outcome, type PlacedOrder } from './buyers.ts';
import { TimeHeap } from './heap.ts';
import { Histogram } from './histogram.ts';
import { type AdminClient, type Reply, SimHttp } from './http.ts';
import type { CheckoutAnswer } from './invariants.ts';
import type { SimOptions } from './options.ts';
import { isRetryable, MAX_ATTEMPTS, retryDelayMs } from './retry.ts';
import { seededRng } from './rng.ts';
import { fetchStats, type SaleInfo, SimError, type Stats, saleAction } from './sale.ts';
import { PerSecond } from './series.ts';
import { type Next, onAnswer, requestOf, type StepContext } from './steps.ts';
import type { FirstFailure } from './stopReason.ts';

export interface StatsSample extends Stats {
  t: number;
}

export class Simulation implements StepContext {
  readonly saleId: string;
  readonly userSecret: string | null;
  readonly powDifficulty: number;
  readonly buyers: Buyer[];
  readonly http: SimHttp;
  readonly lag = new Histogram();
  readonly events = new PerSecond();
  readonly samples: StatsSample[] = [];
  readonly answers: CheckoutAnswer[] = [];
  readonly counts = new Map<string, number>();
  readonly outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  /** 1-based rank of each buyer's first join answer / accepted checkout; 0 = none. */
  readonly joinRank: Int32Array;
  readonly purchaseRank: Int32Array;
  /** 1 if the buyer's join was answered before the sale opened. */
  readonly joinedBeforeStart: Uint8Array;
  startedAtMs: number | null = null;
  done = 0;
  waiting = 0;
  /** Admissions the buyers saw (each buyer once, or again after a session ran out). */
  admissions = 0;
  retries = 0;
  abortReason: string | null = null;
  /** The first call that ended a buyer in error or stopped the run. */
  firstFailure: FirstFailure | null = null;

  /** Next steps of buyers under way. */
  private readonly heap: TimeHeap;
  /** Each buyer's first request, at its arrival time. */
  private readonly arrivals: TimeHeap;
  private readonly rng;
  private readonly startAtMs: number;
  private readonly t0 = performance.now();
  private joins = 0;
  private purchases = 0;
  private ticker: NodeJS.Timeout | null = null;
  private sampling = false;
  private lastSampleAt = Number.NEGATIVE_INFINITY;
  private resolve: () => void = () => undefined;

  constructor(
    private readonly o: SimOptions,
    readonly sale: SaleInfo,
    private readonly admin: AdminClient,
    readonly runId: string,
  ) {
    this.saleId = sale.id;
    this.userSecret = o.userSecret;
    this.powDifficulty = sale.powDifficulty;
    this.rng = seededRng(o.seed);
    this.buyers = createBuyers(o.buyers, sale.perUserLimit, o, this.rng);
    this.joinRank = new Int32Array(o.buyers);
    this.purchaseRank = new Int32Array(o.buyers);
    this.joinedBeforeStart = new Uint8Array(o.buyers);
    this.http = new SimHttp(o.url, o.connections, () => this.now());
    const schedule = arrivalSchedule(o.buyers, o);
    this.startAtMs = sale.created ? schedule.startAtMs : Math.max(0, sale.startsAt - Date.now());
    this.heap = new TimeHeap(1024);
    this.arrivals = new TimeHeap(o.buyers);
    for (let i = 0; i < o.buyers; i++) this.arrivals.push(schedule.offsets[i] as number, i);
  }

  now(): number {
    return performance.now() - this.t0;
  }

  /** Runs until every buyer is done, the time limit passes, or abort() is called. */
  run(): Promise<void> {
    const finished = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    this.ticker = setInterval(() => this.tick(), 5);
    this.tick();
    return finished.finally(() => {
      if (this.ticker) clearInterval(this.ticker);
      this.ticker = null;
    });
  }

  abort(reason: string): void {
    if (this.abortReason !== null || this.done === this.buyers.length) return;
    this.abortReason = reason;
    for (const b of this.buyers) if (b.step !== 'done') this.finish(b, 'unfinished', reason);
  }

  /** Waits for the admin stats to show nothing held and no order pending (or gives up after timeoutMs). */
  async settle(timeoutMs: number): Promise<Stats | null> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const stats = await fetchStats(this.admin, this.saleId).catch(() => null);
      const quiet = stats !== null && stats.stock.held === 0 && stats.orders.pending === 0;
      if (quiet || Date.now() >= until) return stats;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private tick(): void {
    const now = this.now();
    if (this.startedAtMs === null && now >= this.startAtMs) {
      this.startedAtMs = now;
      if (this.sale.created) {
        saleAction(this.admin, this.saleId, 'start').catch((error: Error) => {
          const failure = error instanceof SimError ? error.failure : null;
          this.noteFailure(
            failure ?? { route: 'admin start', status: 0, code: error.name, message: error.message },
          );
          this.abort(`could not start the sale: ${error.message}`);
        });
      }
    }
    if (now > this.o.maxSeconds * 1000) this.abort(`gave up after --max-seconds ${this.o.maxSeconds}`);
    if (!this.sampling && now - this.lastSampleAt >= 1000) this.sample(now);
    this.pump();
  }

  private sample(now: number): void {
    this.sampling = true;
    this.lastSampleAt = now;
    fetchStats(this.admin, this.saleId)
      .then((stats) => this.samples.push({ t: Math.round(this.now()), ...stats }))
      .catch(() => this.count('stats sample failed'))
      .finally(() => {
        this.sampling = false;
      });
  }

  private pump(): void {
    const now = this.now();
    while (this.http.inFlight < this.o.connections) {
      const from = this.next(now);
      if (from === null) return;
      const due = from.peekTime();
      const b = this.buyers[from.pop()] as Buyer;
      if (b.step === 'done') continue;
      this.lag.record(now - due);
      this.dispatch(b);
    }
  }

  /** The heap whose entry goes out next (see the header), or null when nothing is due. */
  private next(now: number): TimeHeap | null {
    const step = this.heap.peekTime();
    const arrival = this.arrivals.peekTime();
    if (this.o.priority === 'in-line' && step <= now) return this.heap;
    const first = step <= arrival ? this.heap : this.arrivals;
    return first.peekTime() <= now ? first : null;
  }

  private dispatch(b: Buyer): void {
    const spec = requestOf(b, this);
    this.http.send(spec).then((reply) => {
      if (b.step === 'done') return;
      try {
        if (isRetryable(reply.status)) {
          b.attempt += 1;
          this.count(`retry ${spec.route} ${reply.status || reply.error}`);
          if (b.attempt >= MAX_ATTEMPTS) {
            this.noteReply(spec.route, reply);
            this.finish(
              b,
              'error',
              `${spec.route}: gave up after ${b.attempt} tries (${reply.status || reply.error})`,
            );
          } else {
            this.retries += 1;
            this.at(b, this.now() + retryDelayMs(b.attempt, reply.retryAfterMs, this.rng));
          }
        } else {
          b.attempt = 0;
          const next = onAnswer(b, reply, this);
          if (next.kind === 'abort' || (next.kind === 'finish' && next.outcome === 'error'))
            this.noteReply(spec.route, reply);
          this.apply(b, next);
        }
      } catch (error) {
        this.finish(b, 'error', `simulator: ${(error as Error).message}`);
      }
      this.pump();
    });
  }

  /** Keeps the first failure only: later ones are usually its consequences. */
  noteFailure(failure: Omit<FirstFailure, 'atSeconds'>): void {
    if (this.firstFailure !== null) return;
    this.firstFailure = { ...failure, atSeconds: Math.round(this.now() / 100) / 10 };
  }

  private noteReply(route: string, reply: Reply): void {
    const error = reply.body?.error;
    this.noteFailure({
      route,
      status: reply.status,
      code: typeof error?.code === 'string' ? error.code : reply.error,
      message: typeof error?.message === 'string' ? error.message : null,
    });
  }

  private apply(b: Buyer, next: Next): void {
    if (next.kind === 'at') this.at(b, next.time);
    else if (next.kind === 'finish') this.finish(b, next.outcome, next.note ?? undefined);
    else this.abort(next.reason);
  }

  at(b: Buyer, time: number): void {
    this.heap.push(time, b.index);
  }

  finish(b: Buyer, outcome: Outcome, note?: string): void {
    if (b.step === 'done') return;
    this.inLine(b, false);
    b.step = 'done';
    b.outcome = outcome;
    b.note = note ?? null;
    b.token = null;
    b.admission = null;
    this.outcomes[outcome] += 1;
    this.events.add(outcome, this.now());
    this.done += 1;
    if (this.done === this.buyers.length) this.resolve();
  }

  joined(b: Buyer): void {
    if (this.joinRank[b.index] !== 0) return;
    this.joinRank[b.index] = ++this.joins;
    if (this.startedAtMs === null) this.joinedBeforeStart[b.index] = 1;
  }

  inLine(b: Buyer, waiting: boolean): void {
    if (b.inLine === waiting) return;
    b.inLine = waiting;
    this.waiting += waiting ? 1 : -1;
  }

  admitted(_b: Buyer): void {
    this.admissions += 1;
    this.events.add('admitted', this.now());
  }

  accepted(b: Buyer, orderId: string, kind: 'first' | 'resend' | 'second'): void {
    this.answers.push({ buyer: b.index, key: b.key, orderId });
    if (kind === 'first') this.purchaseRank[b.index] = ++this.purchases;
    this.events.add(kind === 'first' ? 'checkouts' : `checkouts (${kind})`, this.now());
  }

  settled(_b: Buyer, order: PlacedOrder): void {
    this.events.add(`orders ${order.status}`, this.now());
    if (order.status === 'confirmed') this.events.add('units confirmed', this.now(), order.quantity);
  }

  count(event: string): void {
    this.counts.set(event, (this.counts.get(event) ?? 0) + 1);
  }
}
