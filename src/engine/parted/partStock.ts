import { randomUUID } from 'node:crypto';
import type { PartStore } from '../types.ts';
import { mustExist, sum } from './combine.ts';

/**
 * The stock of a sale split into parts (partedEngine.ts), seen across its parts: moving available
 * units to a part that ran short (PartStore's three-step moves), finishing the moves a crash
 * interrupted, and reading the whole sale's counts, marking every part sold out once everything is
 * sold. Every method takes the sale's part ids, part 0 first.
 */
export class PartStock {
  /** Refills under way, by receiving part: the buyers of a part that ran short share one. */
  private readonly refills = new Map<string, Promise<Refill>>();

  constructor(private readonly inner: PartStore) {}

  /** Refills part `part`, or joins the refill of that part under way in this process. */
  refill(ids: readonly string[], part: number, quantity: number): Promise<Refill> {
    const key = ids[part] as string;
    const running = this.refills.get(key);
    if (running !== undefined) return running.then((refill) => ({ ...refill, joined: true }));
    const started = this.refillNow(ids, part, quantity).finally(() => this.refills.delete(key));
    this.refills.set(key, started);
    return started;
  }

  /**
   * Moves units to part `part` until it has `quantity` available, from the parts with the most: at
   * least what is missing, and up to half of what the giver has, so a part that runs dry in a crowd
   * does not come back for every buyer. The same read tells what the whole sale has left (and marks
   * it sold out when everything is sold), for the buyers no move can serve.
   */
  private async refillNow(ids: readonly string[], part: number, quantity: number): Promise<Refill> {
    const { views, left } = await this.readAndDrain(ids);
    const available = views.map((view) => view.stock.available);
    const whole = { available: left.available };
    let missing = quantity - (available[part] as number);
    if (missing <= 0) return { moved: true, ...whole };
    const givers = ids
      .map((id, i) => ({ id, available: available[i] as number }))
      .filter((giver, i) => i !== part && giver.available > 0)
      .sort((a, b) => b.available - a.available);
    for (const giver of givers) {
      if (missing <= 0) break;
      const wanted = Math.min(giver.available, Math.max(missing, Math.floor(giver.available / 2)));
      missing -= await this.move(giver.id, ids[part] as string, wanted);
    }
    return { moved: missing <= 0, ...whole };
  }

  /** One move (PartStore): off the giver, onto the receiver, then forgotten. Answers the units moved. */
  private async move(from: string, to: string, units: number): Promise<number> {
    const moveId = randomUUID();
    const taken = await this.inner.moveOut(from, moveId, to, units);
    if (taken === 0) return 0;
    await this.inner.moveIn(to, moveId, taken);
    await this.inner.settleMove(from, moveId);
    return taken;
  }

  /** Finishes every move a crash (or a lost connection) left between its steps. */
  async finishMoves(ids: readonly string[]): Promise<void> {
    const pending = await Promise.all(ids.map((id) => this.inner.pendingMoves(id)));
    for (const [i, moves] of pending.entries()) {
      for (const move of moves) {
        await this.inner.moveIn(move.toSaleId, move.moveId, move.units);
        await this.inner.settleMove(ids[i] as string, move.moveId);
      }
    }
  }

  /**
   * Reads every part once and marks them all sold out when their sold units add up to the sale's
   * stock. Answers the views and the sale's units available (on their way between parts included)
   * and held.
   */
  async readAndDrain(ids: readonly string[]) {
    const views = (await Promise.all(ids.map((id) => this.inner.getSale(id)))).map(mustExist);
    const total = views[0]?.pool?.total ?? 0;
    const held = sum(views.map((view) => view.stock.held));
    const sold = sum(views.map((view) => view.stock.sold));
    if (sold === total && views.some((view) => view.pool?.drained === false)) {
      await Promise.all(ids.map((id) => this.inner.drain(id)));
    }
    return { views, left: { available: total - held - sold, held } };
  }
}

/** A refill's outcome: whether the part may now have enough, and what the whole sale had available. */
interface Refill {
  moved: boolean;
  available: number;
  /** This caller joined a refill another had started. */
  joined?: boolean;
}
