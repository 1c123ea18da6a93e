/** The wait estimate before the start counts the line ahead, at the sale's own admission rate. */
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
