/** Per-second counters over a run (bounded by its duration, not by the number of buyers). */
export class PerSecond {
  private readonly series = new Map<string, number[]>();
  private seconds = 0;

  add(name: string, atMs: number, n = 1): void {
    const second = Math.max(0, Math.floor(atMs / 1000));
    let values = this.series.get(name);
    if (values === undefined) {
      values = [];
      this.series.set(name, values);
    }
    while (values.length <= second) values.push(0);
    values[second] = (values[second] as number) + n;
    if (second + 1 > this.seconds) this.seconds = second + 1;
  }

  /** Every series padded to the same length (seconds since the run began). */
  toJSON(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, values] of this.series) {
      out[name] = [...values, ...new Array<number>(Math.max(0, this.seconds - values.length)).fill(0)];
    }
    return out;
  }
}
