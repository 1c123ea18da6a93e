import { FlashsaleError } from './errors.ts';
import { MAX_PARTS, PART_SALE_ID_PATTERN } from './parts.ts';
import { POW_DIFFICULTY } from './pow.ts';

/**
 * The sale's rules in one place: its states, its limits and its defaults. normalizeSale, the admin
 * API's JSON schemas and the catalog in the database take them from here, so they cannot drift apart.
 */

/** How the pre-queue is ordered when the sale starts. After the start, joiners are always FIFO. */
export const QUEUEING_MODES = ['fifo', 'shuffle'] as const;
export type Queueing = (typeof QUEUEING_MODES)[number];

/** Every state `saleState` below can answer. */
export const SALE_STATES = ['scheduled', 'prequeue', 'live', 'paused', 'sold_out', 'ended'] as const;
export type SaleState = (typeof SALE_STATES)[number];

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
  /**
   * The waiting room opens (pre-queue). Defaults to the instant the sale is published (or `startsAt`
   * if that is earlier), so early buyers wait in line rather than being turned away. A later instant
   * keeps the room closed until then: joining before it is refused with NOT_LIVE.
   */
  prequeueAt: number;
  startsAt: number;
  endsAt: number;
  queueing: Queueing;
  /** Seed of the pre-queue shuffle; recorded so anyone can re-check the order. */
  shuffleSeed: string;
  admission: AdmissionSettings;
  /** How long a reservation holds its units before they go back on sale. */
  holdSeconds: number;
  /**
   * The sale's waiting room and stock are split into this many parts, each on its own Redis Cluster
   * shard (domain/parts.ts); 1 keeps the whole sale on one. Each part gets a share of the stock, the
   * rate and the active slots, so neither may be below it.
   */
  parts: number;
}

export type SaleInput = Omit<
  SaleSettings,
  'prequeueAt' | 'queueing' | 'shuffleSeed' | 'admission' | 'parts'
> & {
  prequeueAt?: number;
  queueing?: Queueing;
  shuffleSeed?: string;
  admission?: Partial<AdmissionSettings>;
  parts?: number;
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

export const SALE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** 9999-12-31T23:59:59.999Z: the last instant PostgreSQL's timestamptz and ISO strings both take. */
export const MAX_INSTANT = 253_402_300_799_999;
/** No control characters (PostgreSQL refuses NUL in text; logs and headers choke on the rest). */
export const PRINTABLE = /^[^\p{Cc}]*$/u;
/** A description may hold line breaks and tabs, but no NUL: PostgreSQL cannot store it in text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the one character this refuses.
export const NO_NUL = /^[^\u0000]*$/;
/** ISO 4217: three capital letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Inclusive bounds of what an operator may choose; lengths count characters. */
export const SALE_LIMITS = {
  totalStock: { min: 1, max: 1_000_000_000 },
  perUserLimit: { min: 1, max: 1000 },
  /** In the minor unit of the currency; the catalog stores it as a PostgreSQL integer. */
  priceCents: { min: 0, max: 2_147_483_647 },
  /** Every instant of the schedule, epoch milliseconds. */
  instant: { min: 0, max: MAX_INSTANT },
  holdSeconds: { min: 1, max: 86_400 },
  parts: { min: 1, max: MAX_PARTS },
  admission: {
    perSecond: { min: 1, max: 1_000_000 },
    maxActive: { min: 1, max: 100_000_000 },
    sessionSeconds: { min: 1, max: 86_400 },
  },
  name: { minLength: 1, maxLength: 200 },
  description: { maxLength: 4000 },
  shuffleSeed: { minLength: 1, maxLength: 128 },
  /** Leading zero bits a join's proof of work needs (src/domain/pow.ts); 0: no proof. */
  powDifficulty: POW_DIFFICULTY,
} as const;

/**
 * What a sale gets for each setting the operator leaves out. `shuffleSeed` is random and
 * `prequeueAt` is the publication instant (see normalizeSale), so neither has a constant here.
 */
export const SALE_DEFAULTS = {
  perUserLimit: 1,
  holdSeconds: 300,
  queueing: 'fifo',
  admission: { perSecond: 50, maxActive: 500, sessionSeconds: 600 },
  description: '',
  currency: 'EUR',
  /**
   * About 2^18 = 262,144 hashes: a fraction of a second in a browser's Web Worker (bench/pow.ts
   * measures it), that much again for every further identity a script brings.
   */
  powDifficulty: 18,
} as const satisfies Pick<SaleSettings, 'perUserLimit' | 'holdSeconds' | 'queueing' | 'admission'> & {
  description: string;
  currency: string;
  powDifficulty: number;
};

/** Units one reservation may take: never more than the largest per-user limit allows. */
export const QUANTITY_LIMITS = { min: 1, max: SALE_LIMITS.perUserLimit.max } as const;

const isWhole = (n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
const within = (n: unknown, range: { min: number; max: number }): n is number =>
  isWhole(n, range.min, range.max);

/**
 * Fills defaults and checks every field; throws INVALID_SALE naming the first bad field. `now` is
 * the publication instant: without `prequeueAt` the waiting room opens then (at `startsAt` for a sale
 * published after its start), so the crowd lines up before the start instead of at it.
 */
export function normalizeSale(input: SaleInput, randomSeed: () => string, now: number): SaleSettings {
  const bad = (field: string, why: string): never => {
    throw new FlashsaleError('INVALID_SALE', `${field} ${why}`, { field });
  };
  const { totalStock, perUserLimit, instant, holdSeconds } = SALE_LIMITS;
  const limits = SALE_LIMITS.admission;
  // A part's id (domain/parts.ts) comes from the engine that splits a sale, never from an operator.
  if (
    typeof input.id !== 'string' ||
    !(SALE_ID_PATTERN.test(input.id) || PART_SALE_ID_PATTERN.test(input.id))
  ) {
    bad('id', 'must be 1-64 letters, digits, "_" or "-"');
  }
  if (!within(input.totalStock, totalStock))
    bad('totalStock', `must be a whole number from ${totalStock.min}`);
  if (!within(input.perUserLimit, perUserLimit)) {
    bad('perUserLimit', `must be a whole number from ${perUserLimit.min} to ${perUserLimit.max}`);
  }
  if (!within(input.startsAt, instant)) bad('startsAt', 'must be an epoch-milliseconds instant');
  if (!within(input.endsAt, instant) || input.endsAt <= input.startsAt) {
    bad('endsAt', 'must be an instant after startsAt');
  }
  const prequeueAt = input.prequeueAt ?? Math.min(now, input.startsAt);
  if (!within(prequeueAt, instant) || prequeueAt > input.startsAt)
    bad('prequeueAt', 'must not be after startsAt');
  const queueing = input.queueing ?? SALE_DEFAULTS.queueing;
  if (!QUEUEING_MODES.includes(queueing)) {
    bad('queueing', `must be ${QUEUEING_MODES.map((mode) => `"${mode}"`).join(' or ')}`);
  }
  const admission = { ...SALE_DEFAULTS.admission, ...input.admission };
  if (!within(admission.perSecond, limits.perSecond)) {
    bad('admission.perSecond', `must be a whole number from ${limits.perSecond.min}`);
  }
  if (!within(admission.maxActive, limits.maxActive)) {
    bad('admission.maxActive', `must be a whole number from ${limits.maxActive.min}`);
  }
  if (!within(admission.sessionSeconds, limits.sessionSeconds)) {
    bad(
      'admission.sessionSeconds',
      `must be ${limits.sessionSeconds.min} to ${limits.sessionSeconds.max} seconds`,
    );
  }
  if (!within(input.holdSeconds, holdSeconds)) {
    bad('holdSeconds', `must be ${holdSeconds.min} to ${holdSeconds.max} seconds`);
  }
  const parts = input.parts ?? 1;
  if (!within(parts, SALE_LIMITS.parts)) bad('parts', `must be a whole number from 1 to ${MAX_PARTS}`);
  if (parts > Math.min(input.totalStock, admission.perSecond, admission.maxActive)) {
    bad('parts', 'must not exceed totalStock, admission.perSecond or admission.maxActive');
  }
  const shuffleSeed = input.shuffleSeed ?? randomSeed();
  const seedLength = SALE_LIMITS.shuffleSeed;
  if (
    typeof shuffleSeed !== 'string' ||
    shuffleSeed.length < seedLength.minLength ||
    shuffleSeed.length > seedLength.maxLength ||
    !PRINTABLE.test(shuffleSeed)
  ) {
    bad(
      'shuffleSeed',
      `must be ${seedLength.minLength}-${seedLength.maxLength} characters without control characters`,
    );
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
    parts,
  };
}

/**
 * One part of a sale split into several (domain/parts.ts): its own stock may run out while other
 * parts still have units to move to it, so it is sold out only once the whole sale is (`drained`).
 */
export interface PartOfPool {
  /** The whole sale's stock (the number of parts is the part's `parts` setting). */
  total: number;
  /** Every unit of the whole sale is sold. */
  drained: boolean;
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
  pool: PartOfPool | null = null,
): SaleState {
  if (flags.ended || now >= schedule.endsAt) return 'ended';
  if (now < schedule.prequeueAt) return 'scheduled';
  if (now < schedule.startsAt) return 'prequeue';
  if (flags.paused) return 'paused';
  if (pool !== null) return pool.drained ? 'sold_out' : 'live';
  if (stock.available === 0 && stock.held === 0) return 'sold_out';
  return 'live';
}

/**
 * A sale's proof-of-work difficulty: the default when left out, else a whole number within
 * SALE_LIMITS.powDifficulty; INVALID_SALE otherwise. Kept with the catalog (like the price), not in
 * the engine's settings: only the API reads it, to hand out and check challenges.
 */
export function normalizePowDifficulty(value: unknown): number {
  if (value === undefined) return SALE_DEFAULTS.powDifficulty;
  const range = SALE_LIMITS.powDifficulty;
  if (!within(value, range)) {
    throw new FlashsaleError(
      'INVALID_SALE',
      `powDifficulty must be a whole number from ${range.min} to ${range.max}`,
      { field: 'powDifficulty' },
    );
  }
  return value;
}

export function validateQuantity(quantity: unknown): asserts quantity is number {
  if (!within(quantity, QUANTITY_LIMITS)) throw new FlashsaleError('INVALID_QUANTITY');
}
