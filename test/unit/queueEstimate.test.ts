/**
 * The wait estimate before the start counts the line ahead, at the sale's own admission rate; and the
 * polls of the front of a pre-queue thicken toward the start, so each buyer hears of their turn
 * within a second of it (the purchase order then follows the join order).
 */
import { describe, expect, it } from 'vitest';
import { statusFromSnapshot } from '../../src/domain/queue.ts';
import { queueSnapshot } from '../../src/domain/waitingRoom.ts';

const T0 = 1_000_000;
const settings = {
  id: 's',
  startsAt: T0 + 14_000,
  admission: { perSecond: 5, maxActive: 50, sessionSeconds: 300 },
};

describe('estimated wait before the start', () => {
  it('FIFO: time to the opening plus the places ahead at the sale rate', () => {
    const snap = queueSnapshot(
      { settings, issued: 42, prequeueSize: null, serving: 0, shuffleKeys: null },
      'prequeue',
      [],
      T0,
    );
    // 41 ahead: the 42nd place goes in after 42 / 5 = 8.4 s of admissions, 14 s from now.
    expect(statusFromSnapshot(snap, 42, T0)).toMatchObject({ state: 'waiting', ahead: 41, etaSeconds: 23 });
    expect(statusFromSnapshot(snap, 1, T0)).toMatchObject({ ahead: 0, etaSeconds: 15 });
  });

  it('shuffled: the middle of the line so far, since the place is drawn at the start', () => {
    const snap = queueSnapshot(
      { settings, issued: 42, prequeueSize: null, serving: 0, shuffleKeys: [1, 2, 3, 4] },
      'prequeue',
      [],
      T0,
    );
    const status = statusFromSnapshot(snap, 7, T0);
    expect(status.position).toBeNull();
    // 20.5 ahead on average: (20.5 + 1) / 5 = 4.3 s after the 14 s to the opening.
    expect(status.etaSeconds).toBe(19);
  });

  it('after the start, with no admission measured yet, says it does not know', () => {
    const snap = queueSnapshot(
      {
        settings: { ...settings, startsAt: T0 - 1000 },
        issued: 42,
        prequeueSize: 42,
        serving: 0,
        shuffleKeys: null,
      },
      'live',
      [],
      T0,
    );
    expect(statusFromSnapshot(snap, 42, T0).etaSeconds).toBeNull();
  });
});

describe('when a waiter is asked to poll again', () => {
  const snapAt = (now: number, state: 'prequeue' | 'live' | 'paused', startsAt = T0 + 14_000) =>
    queueSnapshot(
      { settings: { ...settings, startsAt }, issued: 400, prequeueSize: null, serving: 0, shuffleKeys: null },
      state,
      [],
      now,
    );

  it("before the start: a quarter of the wait to one's turn, never a fixed interval", () => {
    // Front of the line, 14 s to the opening: (14 + 0.2) / 4 s.
    expect(statusFromSnapshot(snapAt(T0, 'prequeue'), 1, T0).pollAfterMs).toBe(3550);
    // Far back: 399 ahead at 5/s go in over 80 s after the opening: (14 + 80) / 4 s.
    expect(statusFromSnapshot(snapAt(T0, 'prequeue'), 400, T0).pollAfterMs).toBe(23_500);
  });

  it('the front polling as told reaches the opening within a second of it', () => {
    let now = T0;
    const polls: number[] = [];
    while (now < T0 + 14_000) {
      now += statusFromSnapshot(snapAt(now, 'prequeue'), 1, now).pollAfterMs as number;
      polls.push(now);
    }
    expect(polls.length).toBeGreaterThan(3);
    expect(now - (T0 + 14_000)).toBeLessThanOrEqual(1000);
  });

  it('right after the start, before any rate is measured, the sale rate paces the front; paused: 5 s', () => {
    const opened = snapAt(T0, 'live', T0 - 100);
    expect(statusFromSnapshot(opened, 1, T0).pollAfterMs).toBe(1000);
    expect(statusFromSnapshot(opened, 100, T0).pollAfterMs).toBe(5000);
    expect(statusFromSnapshot(snapAt(T0, 'paused', T0 - 100), 1, T0).pollAfterMs).toBe(5000);
  });
});
