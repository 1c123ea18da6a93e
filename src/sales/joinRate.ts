/**
 * How fast buyers join a sale: new tickets per second, read from the waiting room's snapshots (the
 * `issued` counter, which every API process shares), so the rate is the sale's, not this process's
 * share of it. A proof-of-work challenge's difficulty rises with it (effectiveDifficulty in
 * src/domain/pow.ts). The snapshots are the poll cache's: no read of its own beyond theirs.
 */
import type { QueueSnapshot } from '../domain/queue.ts';

interface Sample {
  at: number;
  issued: number;
}

const MAX_SALES = 10_000;

export class JoinRate {
  private readonly samples = new Map<string, Sample[]>();

  constructor(
    private readonly snapshot: (saleId: string) => Promise<Pick<QueueSnapshot, 'issued' | 'takenAt'>>,
    private readonly windowMs = 10_000,
  ) {}

  /**
   * Joins per second over the last `windowMs` (at least a one-second span). 0 while nothing is
   * measured yet, or when the snapshot cannot be read: a challenge is then at the sale's own difficulty.
   */
  async perSecond(saleId: string): Promise<number> {
    let snapshot: Pick<QueueSnapshot, 'issued' | 'takenAt'>;
    try {
      snapshot = await this.snapshot(saleId);
    } catch {
      return 0;
    }
    let list = this.samples.get(saleId);
    if (list === undefined) {
      if (this.samples.size >= MAX_SALES) this.samples.clear();
      list = [];
      this.samples.set(saleId, list);
    }
    const last = list[list.length - 1];
    if (last === undefined || snapshot.takenAt > last.at)
      list.push({ at: snapshot.takenAt, issued: snapshot.issued });
    while (list.length > 1 && (list[0] as Sample).at < snapshot.takenAt - this.windowMs) list.shift();
    const first = list[0] as Sample;
    const joined = Math.max(0, snapshot.issued - first.issued);
    return (joined * 1000) / Math.max(1000, snapshot.takenAt - first.at);
  }
}
