import { FlashsaleError } from './errors.ts';

/** How the pre-queue is ordered when the sale starts. After the start, joiners are always FIFO. */
export type Queueing = 'fifo' | 'shuffle';

export type SaleState = 'scheduled' | 'prequeue' | 'live' | 'paused' | 'sold_out' | 'ended';

export interface AdmissionSettings {
  /** Users admitted per second at most (a token bucket with one second of burst). */
  perSecond: number;
  /** Admitted shoppers whose session is still running, at most. */
  maxActive: number;
  /** How long an admitted user may shop before their slot goes to the next in line. */
  sessionSeconds: number;
}

/** What an operator chooses when creating a sale. All instants are epoch milliseconds. */
export interface SaleSettings {
  id: string;
  totalStock: number;
  perUserLimit: number;
  /** The waiting room opens (pre-queue). Defaults to `startsAt`. */
  prequeueAt: number;
  startsAt: number;
  endsAt: number;
  queueing: Queueing;
  /** Seed of the pre-queue shuffle; recorded so anyone can re-check the order. */
  shuffleSeed: string;
  admission: AdmissionSettings;
  /** How long a reservation holds its units before they go back on sale. */
  holdSeconds: number;
}

export type SaleInput = Omit<SaleSettings, 'prequeueAt' | 'queueing' | 'shuffleSeed' | 'admission'> & {
  prequeueAt?: number;
  queueing?: Queueing;
  shuffleSeed?: string;
  admission?: Partial<AdmissionSettings>;
};

/** Operator switches that override the schedule. */
export interface SaleFlags {
  paused: boolean;
  ended: boolean;
}

export interface StockCounts {
  total: number;
  available: number;
  held: number;
  sold: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = { perSecond: 50, maxActive: 500, sessionSeconds: 600 };
export const SALE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_STOCK = 1e9;
/** 9999-12-31T23:59:59.999Z: the last instant PostgreSQL's timestamptz and ISO strings both take. */
export const MAX_INSTANT = 253_402_300_799_999;
/** No control characters (PostgreSQL refuses NUL in text; logs and headers choke on the rest). */
export const PRINTABLE = /^[^\p{Cc}]*$/u;

const isWhole = (n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** Fills defaults and checks every field; throws INVALID_SALE naming the first bad field. */
export function normalizeSale(input: SaleInput, randomSeed: () => string): SaleSettings {
  const bad = (field: string, why: string): never => {
    throw new FlashsaleError('INVALID_SALE', `${field} ${why}`, { field });
  };
  if (typeof input.id !== 'string' || !SALE_ID_PATTERN.test(input.id)) {
    bad('id', 'must be 1-64 letters, digits, "_" or "-"');
  }
  if (!isWhole(input.totalStock, 1, MAX_STOCK)) bad('totalStock', 'must be a whole number from 1');
  if (!isWhole(input.perUserLimit, 1, 1000)) bad('perUserLimit', 'must be a whole number from 1 to 1000');
  if (!isWhole(input.startsAt, 0, MAX_INSTANT)) bad('startsAt', 'must be an epoch-milliseconds instant');
  if (!isWhole(input.endsAt, 0, MAX_INSTANT) || input.endsAt <= input.startsAt) {
    bad('endsAt', 'must be an instant after startsAt');
  }
  const prequeueAt = input.prequeueAt ?? input.startsAt;
  if (!isWhole(prequeueAt, 0) || prequeueAt > input.startsAt) bad('prequeueAt', 'must not be after startsAt');
  const queueing = input.queueing ?? 'fifo';
  if (queueing !== 'fifo' && queueing !== 'shuffle') bad('queueing', 'must be "fifo" or "shuffle"');
  const admission = { ...DEFAULT_ADMISSION, ...input.admission };
  if (!isWhole(admission.perSecond, 1, 1e6)) bad('admission.perSecond', 'must be a whole number from 1');
  if (!isWhole(admission.maxActive, 1, 1e8)) bad('admission.maxActive', 'must be a whole number from 1');
  if (!isWhole(admission.sessionSeconds, 1, 86_400)) {
    bad('admission.sessionSeconds', 'must be 1 to 86400 seconds');
  }
  if (!isWhole(input.holdSeconds, 1, 86_400)) bad('holdSeconds', 'must be 1 to 86400 seconds');
  const shuffleSeed = input.shuffleSeed ?? randomSeed();
  if (
    typeof shuffleSeed !== 'string' ||
    shuffleSeed.length === 0 ||
    shuffleSeed.length > 128 ||
    !PRINTABLE.test(shuffleSeed)
  ) {
    bad('shuffleSeed', 'must be 1-128 characters without control characters');
  }
  return {
    id: input.id,
    totalStock: input.totalStock,
    perUserLimit: input.perUserLimit,
    prequeueAt,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    queueing,
    shuffleSeed,
    admission,
    holdSeconds: input.holdSeconds,
  };
}

/**
 * The state of a sale at `now`. The Redis adapter computes the same thing in
 * `engine/redis/lua/includes/saleState.lua`; the contract suite keeps the two in step.
 */
export function saleState(
  schedule: Pick<SaleSettings, 'prequeueAt' | 'startsAt' | 'endsAt'>,
  flags: SaleFlags,
  stock: Pick<StockCounts, 'available' | 'held'>,
  now: number,
): SaleState {
  if (flags.ended || now >= schedule.endsAt) return 'ended';
  if (now < schedule.prequeueAt) return 'scheduled';
  if (now < schedule.startsAt) return 'prequeue';
  if (flags.paused) return 'paused';
  if (stock.available === 0 && stock.held === 0) return 'sold_out';
  return 'live';
}

export function validateQuantity(quantity: unknown): asserts quantity is number {
  if (!isWhole(quantity, 1, 1000)) throw new FlashsaleError('INVALID_QUANTITY');
}
