import type { Clock } from '../../src/engine/types.ts';

/** A clock that moves only when told to. */
export class TestClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 28, 10, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
