/**
 * The property test's model of a sale split into K parts (src/domain/parts.ts): one Stock for the
 * whole sale, shared by K plain waiting rooms (engineModel.ts), each admitting its share of the rate
 * and slots. A buyer's calls go to the part their user id hashes to; tickets are the sale's
 * (partTicket). The stock model knows nothing of moves between parts: the engine must behave as if
 * the stock were one.
 */
import { partOfUser, saleTicket } from '../../src/domain/parts.ts';
import { type Admission, Model, type ModelHold, type Stock } from './engineModel.ts';

export type SaleModel = Pick<
  Model,
  | 'stock'
  | 'refusal'
  | 'reserved'
  | 'join'
  | 'leave'
  | 'heartbeat'
  | 'status'
  | 'admit'
  | 'waiting'
  | 'admitted'
  | 'active'
  | 'sweepOrder'
>;

export class PartedModel implements SaleModel {
  readonly parts: Model[];

  constructor(
    readonly stock: Stock,
    partAdmission: Admission,
    private readonly k: number,
  ) {
    this.parts = Array.from({ length: k }, () => new Model(stock, partAdmission));
  }

  private partOf(user: number): number {
    return partOfUser(`u${user}`, this.k);
  }

  private part(user: number): Model {
    return this.parts[this.partOf(user)] as Model;
  }

  refusal(op: { user: number; quantity: number; key: number }): string | null {
    return this.part(op.user).refusal(op);
  }

  reserved(h: ModelHold, key: string, now: number): void {
    this.part(h.user).reserved(h, key, now);
  }

  join(user: number, now: number): void {
    this.part(user).join(user, now);
  }

  leave(user: number, now: number): boolean {
    return this.part(user).leave(user, now);
  }

  /** Each part answers for its users, in part order (as the engine sends them). */
  heartbeat(users: readonly number[], now: number): string[] {
    return this.parts.flatMap((part, p) =>
      part.heartbeat(
        users.filter((user) => this.partOf(user) === p),
        now,
      ),
    );
  }

  status(user: number, now: number): { state: string; ticket: number | null } {
    const p = this.partOf(user);
    const status = (this.parts[p] as Model).status(user, now);
    return { ...status, ticket: status.ticket === null ? null : saleTicket(status.ticket, p, this.k) };
  }

  admit(now: number): { admitted: number; serving: number; active: number } {
    const steps = this.parts.map((part) => part.admit(now));
    const sum = (field: 'admitted' | 'serving' | 'active') => steps.reduce((n, s) => n + s[field], 0);
    return { admitted: sum('admitted'), serving: sum('serving'), active: sum('active') };
  }

  waiting(): number {
    return this.parts.reduce((n, part) => n + part.waiting(), 0);
  }

  admitted(): number {
    return this.parts.reduce((n, part) => n + part.admitted(), 0);
  }

  active(now: number): number {
    return this.parts.reduce((n, part) => n + part.active(now), 0);
  }

  /** A sweep goes part by part: part 0's due holds first, each part's in reservation order. */
  sweepOrder(due: ModelHold[]): ModelHold[] {
    return [...due].sort((a, b) => this.partOf(a.user) - this.partOf(b.user));
  }
}
