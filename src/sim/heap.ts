/**
 * The simulator's one clock: a binary min-heap of (due time, buyer) in typed arrays. Every buyer has
 * at most one pending action, so 100,000 buyers are 100,000 entries (1.2 MB), not 100,000 timers.
 */
export class TimeHeap {
  private times: Float64Array;
  private ids: Int32Array;
  private count = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(Math.max(1, capacity));
    this.ids = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Due time of the earliest entry, or Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.times[0] as number);
  }

  push(time: number, id: number): void {
    if (this.count === this.times.length) this.grow();
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent] as number;
      if (pt <= time) break;
      this.times[i] = pt;
      this.ids[i] = this.ids[parent] as number;
      i = parent;
    }
    this.times[i] = time;
    this.ids[i] = id;
  }

  /** Removes the earliest entry and returns its id (-1 when empty); its time was peekTime(). */
  pop(): number {
    if (this.count === 0) return -1;
    const top = this.ids[0] as number;
    const last = --this.count;
    const time = this.times[last] as number;
    const id = this.ids[last] as number;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child =
        right < last && (this.times[right] as number) < (this.times[left] as number) ? right : left;
      if ((this.times[child] as number) >= time) break;
      this.times[i] = this.times[child] as number;
      this.ids[i] = this.ids[child] as number;
      i = child;
    }
    if (last > 0) {
      this.times[i] = time;
      this.ids[i] = id;
    }
    return top;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    const ids = new Int32Array(this.ids.length * 2);
    times.set(this.times);
    ids.set(this.ids);
    this.times = times;
    this.ids = ids;
  }
}
