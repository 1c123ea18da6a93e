/**
 * Differential property test: the memory engine (which calls the domain functions) and the Redis
 * engine (whose Lua mirrors them) run the same random sequences of operations and clock moves on
 * one clock. After every step, each operation's result or refusal code, the snapshot, the stats, the
 * sale view and every hold must be equal. Clock moves include exact hits on the instants where rules
 * change: the window merge gap, session ends, hold deadlines, the pre-queue opening, the start and
 * the end. Buyers leave (waiting or admitted), heartbeat, and rejoin; both engines are built with
 * the run's heartbeat interval (or none). Real Redis, own key prefix, deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hold, ReleaseReason } from '../../src/domain/hold.ts';
import { WINDOW_MERGE_MS } from '../../src/domain/queue.ts';
import type { Queueing } from '../../src/domain/sale.ts';
import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import { RedisEngine } from '../../src/engine/redis/redisEngine.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { TestClock } from '../support/clock.ts';
import { deleteKeys } from '../support/redisKeys.ts';
import { hasRedis, REDIS_URL } from '../support/services.ts';

const USERS = 6;
const RUNS = 250;
const MAX_STEPS = 60;

interface Setup {
  queueing: Queueing;
  shuffleSeed: string;
  /** From the first instant of the run; startsAt = prequeueAt + startsAfter. */
  prequeueIn: number;
  startsAfter: number;
  lastsMs: number;
  totalStock: number;
  perUserLimit: number;
  perSecond: number;
  maxActive: number;
  sessionSeconds: number;
  holdSeconds: number;
  heartbeatMs: number | null;
}

/** Instants the clock can be moved to exactly (or 1 ms either side), if they are still ahead. */
type Landmark = 'prequeueAt' | 'startsAt' | 'endsAt' | 'mergeGap' | 'sessionEnd' | 'holdDeadline';

type Op =
  | { kind: 'join' | 'status' | 'leave'; user: number }
  | { kind: 'heartbeat'; users: number[] }
  | { kind: 'admit' | 'start' | 'pause' | 'resume' }
  | { kind: 'reserve'; user: number; quantity: number; key: number }
  | { kind: 'confirm'; hold: number }
  | { kind: 'release'; hold: number; reason: ReleaseReason }
  | { kind: 'sweep'; limit: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'reach'; landmark: Landmark; offset: -1 | 0 | 1 };

const setupArb: fc.Arbitrary<Setup> = fc.record({
  queueing: fc.constantFrom<Queueing>('fifo', 'shuffle'),
  shuffleSeed: fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom(...'abcxyz019-') }),
  prequeueIn: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
  startsAfter: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8000 })),
  lastsMs: fc.integer({ min: 20_000, max: 120_000 }),
  totalStock: fc.integer({ min: 1, max: 8 }),
  perUserLimit: fc.integer({ min: 1, max: 3 }),
  perSecond: fc.integer({ min: 1, max: 3 }),
  maxActive: fc.integer({ min: 1, max: 4 }),
  sessionSeconds: fc.integer({ min: 1, max: 5 }),
  holdSeconds: fc.integer({ min: 1, max: 5 }),
  heartbeatMs: fc.constantFrom(null, 1000, 2500),
});

const user = fc.nat(USERS - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('join' as const), user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('status' as const), user }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('leave' as const), user }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('heartbeat' as const),
      users: fc.uniqueArray(user, { minLength: 1, maxLength: USERS }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('admit' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('start' as const, 'pause' as const, 'resume' as const) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      user,
      // Now and then 0 (refused) or above the largest per-user limit.
      quantity: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 2 }) }, fc.constantFrom(0, 4)),
      key: fc.nat(2),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('confirm' as const), hold: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      hold: fc.nat(20),
      reason: fc.constantFrom<ReleaseReason>('cancelled', 'payment_failed', 'rejected', 'expired'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('sweep' as const), limit: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 4,
    // Around the merge gap (1000 ms) most often, sometimes several sessions at once.
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 1500 }) },
        { weight: 2, arbitrary: fc.constantFrom(999, 1000, 1001) },
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 12_000 }) },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reach' as const),
      landmark: fc.constantFrom<Landmark>(
        'prequeueAt',
        'startsAt',
        'endsAt',
        'mergeGap',
        'sessionEnd',
        'holdDeadline',
      ),
      offset: fc.constantFrom<-1 | 0 | 1>(0, 0, -1, 1),
    }),
  },
);

/** A run's two engines and the holds they made, index for index (hold ids are random per engine). */
interface Pair {
  memory: SaleEngine;
  redis: SaleEngine;
  saleId: string;
  holds: { memory: string; redis: string }[];
}

type Outcome = { ok: unknown } | { code: string };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

/** A hold with its id replaced by its index among the run's holds ('new' for one not seen yet). */
function comparableHold(hold: Hold, ids: readonly string[]): Omit<Hold, 'id'> & { id: number | 'new' } {
  const index = ids.indexOf(hold.id);
  return { ...hold, id: index === -1 ? 'new' : index };
}

function comparable(result: Outcome, ids: readonly string[]): unknown {
  if (!('ok' in result)) return result;
  const value = result.ok as Record<string, unknown> | null;
  if (value !== null && typeof value === 'object') {
    if ('expiresAt' in value) return { ok: comparableHold(value as unknown as Hold, ids) };
    if ('hold' in value) return { ok: { ...value, hold: comparableHold(value.hold as Hold, ids) } };
  }
  return result;
}

/** Runs one operation on one engine. `holdId` is that engine's id of the hold the op names. */
function apply(engine: SaleEngine, saleId: string, op: Op, holdId: string | undefined): Promise<unknown> {
  switch (op.kind) {
    case 'join':
    case 'status':
    case 'leave':
      return engine[op.kind](saleId, `u${op.user}`);
    case 'heartbeat':
      return engine.heartbeat(
        saleId,
        op.users.map((u) => `u${u}`),
      );
    case 'admit':
    case 'start':
    case 'pause':
    case 'resume':
      return engine[op.kind](saleId);
    case 'reserve':
      return engine.reserve({
        saleId,
        userId: `u${op.user}`,
        quantity: op.quantity,
        idempotencyKey: `k${op.key}`,
      });
    case 'confirm':
      return engine.confirm(saleId, holdId ?? 'none');
    case 'release':
      return engine.release(saleId, holdId ?? 'none', op.reason);
    case 'sweep':
      return engine.sweepExpired(saleId, op.limit);
    case 'advance':
    case 'reach':
      throw new Error('clock moves are not engine operations');
  }
}

/** The instant a landmark names now, from the reference engine's state; null when there is none. */
async function landmarkAt(pair: Pair, landmark: Landmark): Promise<number | null> {
  const view = await pair.memory.getSale(pair.saleId);
  if (view === null) return null;
  if (landmark === 'prequeueAt' || landmark === 'startsAt' || landmark === 'endsAt') return view[landmark];
  if (landmark === 'mergeGap') {
    // The last step that admitted someone: a step from here on opens a new window.
    const last = (await pair.memory.snapshot(pair.saleId)).windows.at(-1);
    return last === undefined ? null : last.at + WINDOW_MERGE_MS;
  }
  if (landmark === 'sessionEnd') {
    const snap = await pair.memory.snapshot(pair.saleId);
    const first = snap.windows[0];
    return first === undefined ? null : first.at + snap.sessionMs;
  }
  let earliest: number | null = null;
  for (const { memory } of pair.holds) {
    const hold = await pair.memory.getHold(pair.saleId, memory);
    if (hold?.status === 'held' && (earliest === null || hold.expiresAt < earliest)) {
      earliest = hold.expiresAt;
    }
  }
  return earliest;
}

/** Runs one step on both engines and compares the results; returns the memory engine's (null: a clock move). */
async function step(pair: Pair, clock: TestClock, op: Op): Promise<Outcome | null> {
  if (op.kind === 'advance') {
    clock.advance(op.ms);
    return null;
  }
  if (op.kind === 'reach') {
    const at = await landmarkAt(pair, op.landmark);
    // Time only moves forward, as the engines assume (holds expire in the order they were made).
    if (at !== null && at + op.offset > clock.now()) clock.t = at + op.offset;
    return null;
  }
  const named = 'hold' in op ? pair.holds[op.hold % Math.max(1, pair.holds.length)] : undefined;
  const onMemory = await outcome(() => apply(pair.memory, pair.saleId, op, named?.memory));
  const onRedis = await outcome(() => apply(pair.redis, pair.saleId, op, named?.redis));
  const memoryIds = pair.holds.map((h) => h.memory);
  const redisIds = pair.holds.map((h) => h.redis);
  expect(comparable(onRedis, redisIds), 'result').toEqual(comparable(onMemory, memoryIds));
  if (op.kind === 'reserve' && 'ok' in onMemory && 'ok' in onRedis) {
    const memoryHold = onMemory.ok as Hold;
    if (!memoryIds.includes(memoryHold.id)) {
      pair.holds.push({ memory: memoryHold.id, redis: (onRedis.ok as Hold).id });
    }
  }
  return onMemory;
}

/** Everything either engine shows about the sale. */
async function observe(engine: SaleEngine, saleId: string, holdIds: readonly string[]) {
  const [sale, snapshot, stats, holds] = await Promise.all([
    engine.getSale(saleId),
    engine.snapshot(saleId),
    engine.stats(saleId),
    Promise.all(holdIds.map((id) => engine.getHold(saleId, id))),
  ]);
  return { sale, snapshot, stats, holds: holds.map((h) => (h === null ? null : comparableHold(h, holdIds))) };
}

type Observation = Awaited<ReturnType<typeof observe>>;

/**
 * The rule-changing cases a step went through (judged on the reference engine), so the test can
 * show that its random runs reached each of them: equal results prove little if no one is admitted.
 */
function casesOf(
  op: Op,
  result: Outcome | null,
  before: Observation,
  after: Observation,
  tickets: Map<number, number>,
): string[] {
  const cases: string[] = [];
  const ok = result !== null && 'ok' in result ? result.ok : undefined;
  if (op.kind === 'admit' && ok !== undefined) {
    const advanced = after.snapshot.serving - before.snapshot.serving;
    if (advanced > (ok as { admitted: number }).admitted) {
      cases.push('departed waiter passed over');
      const snap = after.snapshot;
      if (
        snap.shuffleKeys !== null &&
        (snap.prequeueSize ?? 0) > 1 &&
        before.snapshot.serving < (snap.prequeueSize ?? 0)
      )
        cases.push('departed waiter passed over in a shuffled pre-queue');
    }
  }
  if (op.kind === 'leave' && ok === true && before.snapshot.serving > 0) cases.push('left');
  if (op.kind === 'heartbeat' && Array.isArray(ok) && ok.length > 0)
    cases.push('heartbeat told of an ended session');
  if ((op.kind === 'join' || op.kind === 'status') && ok !== undefined) {
    const ticket = (ok as { ticket: number | null }).ticket;
    const earlier = tickets.get(op.user);
    if (op.kind === 'join' && ticket !== null && earlier !== undefined && ticket > earlier)
      cases.push('rejoined at the back');
    if (ticket !== null) tickets.set(op.user, ticket);
  }
  const was = before.snapshot.windows.at(-1);
  const is = after.snapshot.windows.at(-1);
  if (
    op.kind === 'admit' &&
    is !== undefined &&
    was !== undefined &&
    is.at === was.at &&
    is.count > was.count
  ) {
    cases.push('admission merged into the last window');
  }
  if (op.kind === 'admit' && is !== undefined && is.at !== was?.at && was !== undefined) {
    cases.push('new window after an earlier one');
  }
  if (result !== null && 'ok' in result && (result.ok as { state?: string }).state === 'expired') {
    cases.push('session expired');
  }
  if (after.snapshot.windows.some((w) => w.freed > 0)) cases.push('checkout freed a slot');
  const snap = after.snapshot;
  if (snap.shuffleKeys !== null && (snap.prequeueSize ?? 0) > 1 && snap.serving > 0) {
    cases.push('shuffled pre-queue admitted');
  }
  if (op.kind === 'sweep' && result !== null && 'ok' in result && (result.ok as number) > 0) {
    cases.push('sweep released a hold');
  }
  if (result !== null && 'code' in result && result.code === 'HOLD_EXPIRED')
    cases.push('confirm past deadline');
  return cases;
}

const EXPECTED_CASES = [
  'admission merged into the last window',
  'checkout freed a slot',
  'confirm past deadline',
  'departed waiter passed over',
  'departed waiter passed over in a shuffled pre-queue',
  'heartbeat told of an ended session',
  'left',
  'new window after an earlier one',
  'rejoined at the back',
  'session expired',
  'shuffled pre-queue admitted',
  'sweep released a hold',
];

describe.skipIf(!(await hasRedis()))('memory and Redis engines agree step for step', () => {
  const clock = new TestClock();
  const prefix = `fsd:${randomUUID().slice(0, 8)}:`;
  let redis: Redis;
  let sales = 0;
  const reached = new Set<string>();

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(redis, `${prefix}*`);
    await redis.quit();
  });

  it(`on random sequences of waiting-room and inventory operations (${RUNS} runs a round)`, async () => {
    const round = () =>
      fc.assert(
        fc.asyncProperty(
          setupArb,
          fc.array(opArb, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }),
          async (setup, ops) => {
            const pair: Pair = {
              memory: new MemoryEngine(clock, { heartbeatMs: setup.heartbeatMs }),
              redis: new RedisEngine(redis, clock, { prefix, heartbeatMs: setup.heartbeatMs }),
              saleId: `d${++sales}`,
              holds: [],
            };
            const prequeueAt = clock.now() + setup.prequeueIn;
            const startsAt = prequeueAt + setup.startsAfter;
            const input = {
              id: pair.saleId,
              totalStock: setup.totalStock,
              perUserLimit: setup.perUserLimit,
              prequeueAt,
              startsAt,
              endsAt: startsAt + setup.lastsMs,
              queueing: setup.queueing,
              shuffleSeed: setup.shuffleSeed,
              holdSeconds: setup.holdSeconds,
              admission: {
                perSecond: setup.perSecond,
                maxActive: setup.maxActive,
                sessionSeconds: setup.sessionSeconds,
              },
            };
            expect(await pair.redis.createSale(input)).toEqual(await pair.memory.createSale(input));
            let before = await observe(pair.memory, pair.saleId, []);
            const tickets = new Map<number, number>();
            for (const [index, op] of ops.entries()) {
              const where = `step ${index} ${JSON.stringify(op)} at t=${clock.now()}`;
              const result = await step(pair, clock, op).catch((error: Error) => {
                error.message = `${where}: ${error.message}`;
                throw error;
              });
              const memoryIds = pair.holds.map((h) => h.memory);
              const redisIds = pair.holds.map((h) => h.redis);
              const [onMemory, onRedis] = [
                await observe(pair.memory, pair.saleId, memoryIds),
                await observe(pair.redis, pair.saleId, redisIds),
              ];
              expect(onRedis, where).toEqual(onMemory);
              for (const reachedCase of casesOf(op, result, before, onMemory, tickets))
                reached.add(reachedCase);
              before = onMemory;
            }
          },
        ),
        { numRuns: RUNS },
      );
    // Every case must be reached, or the generators have stopped exercising it. A rare case (a
    // departed waiter in a shuffled pre-queue) missed one round of random runs in about one CI run
    // of three: more rounds are run until every case is reached (ten in all at most), and the
    // engines must agree on those as well. A case no generator reaches still fails, after ten rounds.
    await round();
    for (let extra = 0; extra < 9 && EXPECTED_CASES.some((c) => !reached.has(c)); extra++) await round();
    expect([...reached].sort()).toEqual(EXPECTED_CASES);
  }, 600_000);
});
