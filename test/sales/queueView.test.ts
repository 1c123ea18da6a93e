/**
 * The per-process poll cache (src/sales/queueView.ts) with departures and heartbeats: polls still
 * cost no store call, heartbeats go in one batch per sale, a page that keeps polling keeps its slot,
 * a shopper whose slot lapsed is told so, and a ticket that left through another process is never
 * let in from the cache. On the memory engine, counting the calls the view makes to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryEngine } from '../../src/engine/memory/memoryEngine.ts';
import type { SaleEngine } from '../../src/engine/types.ts';
import { QueueView } from '../../src/sales/queueView.ts';
import { TestClock } from '../support/clock.ts';

const SEC = 1000;
const HEARTBEAT_MS = 30 * SEC;

/** The engine, with a count of the calls made to each of its methods. */
function counted(engine: SaleEngine): { engine: SaleEngine; calls: Map<string, number>; beats: string[][] } {
  const calls = new Map<string, number>();
  const beats: string[][] = [];
  const proxy = new Proxy(engine, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
        if (name === 'heartbeat') beats.push([...(args[1] as string[])]);
        return value.apply(target, args);
      };
    },
  });
  return { engine: proxy, calls, beats };
}

async function setup(maxActive = 2) {
  const clock = new TestClock();
  const memory = new MemoryEngine(clock, { heartbeatMs: HEARTBEAT_MS });
  const { id } = await memory.createSale({
    id: 'qv',
    totalStock: 10,
    perUserLimit: 2,
    startsAt: clock.now(),
    endsAt: clock.now() + 3600 * SEC,
    holdSeconds: 60,
    admission: { perSecond: 100, maxActive, sessionSeconds: 600 },
  });
  const view = (engine: SaleEngine) =>
    new QueueView(engine, clock, { refreshMs: 0, heartbeatMs: HEARTBEAT_MS, heartbeatFlushMs: 60_000 });
  return { clock, memory, id, view };
}

describe('QueueView with heartbeats and departures', () => {
  it('answers an admitted poller from the cache and sends their heartbeats in one batch', async () => {
    const { memory, id, view } = await setup();
    const { engine, calls, beats } = counted(memory);
    const queue = view(engine);
    await queue.join(id, 'a');
    await queue.join(id, 'b');
    await memory.admit(id);
    for (let i = 0; i < 10; i++) {
      const status = await queue.status(id, 'a');
      expect(status.state).toBe('admitted');
      // Asked to poll a third of the heartbeat interval apart, so an open page keeps its slot.
      expect(status.pollAfterMs).toBe(HEARTBEAT_MS / 3);
      await queue.status(id, 'b');
    }
    // One read each to confirm the admission; every other poll came from the snapshot.
    expect(calls.get('status')).toBe(2);
    expect(calls.get('heartbeat')).toBeUndefined();
    await queue.flushHeartbeats();
    expect(beats).toEqual([['a', 'b']]);
  });

  it('a page that keeps polling keeps its slot; one that stopped loses it and is told', async () => {
    const { clock, memory, id, view } = await setup(2);
    const queue = view(memory);
    for (const u of ['a', 'b', 'c']) await queue.join(id, u);
    await memory.admit(id);
    await queue.status(id, 'a');
    await queue.status(id, 'b');
    for (let i = 0; i < 6; i++) {
      clock.advance(10 * SEC);
      expect((await queue.status(id, 'a')).state).toBe('admitted');
      await queue.flushHeartbeats();
      await memory.admit(id);
    }
    // b stopped polling 60 s ago: c has the slot, a still has theirs.
    expect((await memory.status(id, 'c')).state).toBe('admitted');
    expect((await memory.stats(id)).active).toBe(2);
    // b's cached ticket says admitted once; the batch brings back that b's session ended.
    expect((await queue.status(id, 'b')).state).toBe('admitted');
    await queue.flushHeartbeats();
    expect((await queue.status(id, 'b')).state).toBe('expired');
    // Joining again takes a new ticket at the back, and this process answers from it.
    expect(await queue.join(id, 'b')).toMatchObject({ state: 'waiting', ticket: 4 });
    expect((await queue.status(id, 'b')).state).toBe('waiting');
  });

  it('never lets in from the cache a ticket that left the line through another process', async () => {
    const { memory, id, view } = await setup(5);
    const one = view(memory);
    const other = view(memory);
    for (const u of ['a', 'b', 'c']) await one.join(id, u);
    expect((await one.status(id, 'b')).state).toBe('waiting');
    expect(await other.leave(id, 'b')).toBe(true);
    await memory.admit(id);
    // `one` still remembers b's old ticket, whose place admission passed over.
    await expect(one.status(id, 'b')).resolves.toMatchObject({ state: 'not_in_queue' });
    expect((await one.status(id, 'c')).state).toBe('admitted');
    expect((await memory.stats(id)).active).toBe(2);
  });
});

describe('QueueView.statusNow, the poll answered without waiting', () => {
  it('answers what status would, and null whenever status would have to read the store', async () => {
    const { clock, memory, id } = await setup(1);
    const { engine, calls } = counted(memory);
    // Snapshots age by the process's own clock (Date.now), not the test's: refreshMs is real time.
    const queue = new QueueView(engine, clock, {
      refreshMs: SEC,
      incarnationCheckMs: 60 * SEC,
      heartbeatMs: HEARTBEAT_MS,
      heartbeatFlushMs: 60_000,
    });
    // Nothing known yet: no incarnation check, no ticket, no snapshot.
    expect(queue.statusNow(id, 'a')).toBeNull();
    await queue.join(id, 'a');
    await queue.join(id, 'b');
    await memory.admit(id);
    // The join took a snapshot before the admission: let it go stale, then take a fresh one.
    await sleep(1.2 * SEC);
    await queue.snapshot(id);
    // b waits: answered at once, as status answers, with no call to the store.
    const before = new Map(calls);
    const waiting = queue.statusNow(id, 'b');
    expect(waiting).toEqual(await queue.status(id, 'b'));
    expect(waiting?.state).toBe('waiting');
    expect(calls).toEqual(before);
    // a is admitted, which this view has not had the store confirm: null; status reads it once.
    expect(queue.statusNow(id, 'a')).toBeNull();
    expect((await queue.status(id, 'a')).state).toBe('admitted');
    expect(queue.statusNow(id, 'a')).toEqual(await queue.status(id, 'a'));
    // A user never seen, and any user once the snapshot is stale: null.
    expect(queue.statusNow(id, 'stranger')).toBeNull();
    await sleep(1.2 * SEC);
    expect(queue.statusNow(id, 'b')).toBeNull();
    expect((await queue.status(id, 'b')).state).toBe('waiting');
    expect(queue.statusNow(id, 'b')?.state).toBe('waiting');
  });
});

describe('QueueView once the sale is over', () => {
  it('answers joins to a sold-out sale from a fresh snapshot, without a store call', async () => {
    const clock = new TestClock();
    const memory = new MemoryEngine(clock);
    const { id } = await memory.createSale({
      id: 'over',
      totalStock: 1,
      perUserLimit: 1,
      startsAt: clock.now(),
      endsAt: clock.now() + 3600 * SEC,
      holdSeconds: 60,
      admission: { perSecond: 100, maxActive: 10, sessionSeconds: 600 },
    });
    const { engine, calls } = counted(memory);
    const queue = new QueueView(engine, clock, { refreshMs: 60_000 });
    // Live: joins go to the store, even with a fresh snapshot at hand.
    await queue.snapshot(id);
    expect((await queue.join(id, 'a')).state).toBe('waiting');
    await queue.join(id, 'b');
    expect(calls.get('join')).toBe(2);
    await memory.admit(id);
    const hold = await memory.reserve({ saleId: id, userId: 'a', quantity: 1, idempotencyKey: 'k' });
    await memory.confirm(id, hold.id);
    // The snapshot taken while live is still fresh: the next join asks the store, which says sold out.
    expect((await queue.join(id, 'c')).state).toBe('sold_out');
    expect(calls.get('join')).toBe(3);
    // A view whose snapshot was taken after the last unit sold answers from it.
    const fresh = new QueueView(engine, clock, { refreshMs: 60_000 });
    await fresh.snapshot(id);
    const before = calls.get('join');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => fresh.join(id, `late-${i}`)));
    expect(answers.every((s) => s.state === 'sold_out' && s.ticket === null)).toBe(true);
    expect(calls.get('join')).toBe(before);
    // A user this view knows keeps their ticket in the answer, as the store would give it.
    await fresh.status(id, 'b');
    expect(await fresh.join(id, 'b')).toMatchObject({ state: 'sold_out', ticket: 2 });
    expect(await memory.join(id, 'b')).toMatchObject({ state: 'sold_out', ticket: 2 });
  });
});
