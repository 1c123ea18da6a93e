/** The virtual buyers: who they are (drawn once from the seed) and where each one stands. */
import type { PublicOrderStatus } from '../domain/order.ts';
import type { SimOptions } from './options.ts';
import { intBetween, type Rng } from './rng.ts';

/** The next request a buyer will send. */
export type Step =
  | 'visitor'
  | 'challenge'
  | 'join'
  | 'poll'
  | 'leave'
  | 'checkout'
  | 'resend'
  | 'second'
  | 'order'
  | 'done';

export const OUTCOMES = [
  'bought',
  'declined',
  'expired',
  'sold_out',
  'ended',
  'abandoned',
  'session_expired',
  'error',
  'unfinished',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The statuses the API shows a buyer (the domain's public subset). */
export type OrderStatus = PublicOrderStatus;

export interface PlacedOrder {
  id: string;
  key: string;
  quantity: number;
  status: OrderStatus;
  /** Status polls so far (their spacing backs off). */
  polls: number;
}

export interface Buyer {
  index: number;
  step: Step;
  /** Retries of the current step so far. */
  attempt: number;
  token: string | null;
  /** The solved proof of work sent with the join (X-Pow-Solution), when the sale asks for one. */
  solution: string | null;
  /** Challenges fetched so far (a refused solution sends the buyer back for a new one, a few times). */
  challenges: number;
  /** Polls while waiting; an abandoning buyer leaves after `abandonAfter` of them. */
  polls: number;
  /** Checkouts refused with NOT_ADMITTED (back to the room each time; a few at most). */
  refusals: number;
  /**
   * -1: never abandons; k ≥ 0: leaves after k polls, or at admission if admitted first — saying so
   * (DELETE the queue), as the storefront's "Leave the line" does, so the server's figures drop.
   */
  abandonAfter: number;
  quantity: number;
  paymentMethod: 'pm_ok' | 'pm_decline' | 'pm_flaky';
  /** Resends the checkout with the same key, as after a lost answer. */
  resend: boolean;
  /** Submits a second checkout with a new key (a double click); refused past the limit. */
  doubleSubmit: boolean;
  /** Idempotency key of the checkout being sent. */
  key: string;
  keys: number;
  admission: string | null;
  orders: PlacedOrder[];
  outcome: Outcome | null;
  /** Joined and not yet admitted nor gone. */
  inLine: boolean;
  /** A note on why it ended in error. */
  note: string | null;
}

type Population = Pick<SimOptions, 'abandon' | 'decline' | 'flaky' | 'resend' | 'doubleSubmit'>;

export function createBuyers(count: number, limit: number, p: Population, rng: Rng): Buyer[] {
  const buyers: Buyer[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const pay = rng();
    buyers[i] = {
      index: i,
      step: 'visitor',
      attempt: 0,
      token: null,
      solution: null,
      challenges: 0,
      polls: 0,
      refusals: 0,
      abandonAfter: rng() < p.abandon ? intBetween(rng, 0, 4) : -1,
      quantity: intBetween(rng, 1, limit),
      paymentMethod: pay < p.decline ? 'pm_decline' : pay < p.decline + p.flaky ? 'pm_flaky' : 'pm_ok',
      resend: rng() < p.resend,
      doubleSubmit: rng() < p.doubleSubmit,
      key: '',
      keys: 0,
      admission: null,
      orders: [],
      outcome: null,
      inLine: false,
      note: null,
    };
  }
  return buyers;
}

/** What a buyer's orders add up to: bought if any confirmed, else the first order's fate. */
export function outcomeOfOrders(orders: readonly PlacedOrder[]): Outcome {
  if (orders.some((o) => o.status === 'confirmed')) return 'bought';
  const first = orders[0];
  if (first === undefined) return 'error';
  return first.status === 'failed' ? 'declined' : first.status === 'expired' ? 'expired' : 'error';
}
