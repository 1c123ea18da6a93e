/** `flashsale simulate` options: parsed and checked up front, pure (no I/O), so tests can call it. */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ARRIVALS, type Arrival, defaultStartAfter } from './arrivals.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface SimOptions {
  url: string;
  adminKey: string | null;
  userSecret: string | null;
  buyers: number;
  /** Existing sale to drive; null: create one. */
  saleId: string | null;
  stock: number;
  limit: number;
  arrival: Arrival;
  rampSeconds: number;
  startAfterSeconds: number;
  prestartShare: number;
  abandon: number;
  decline: number;
  flaky: number;
  resend: number;
  doubleSubmit: number;
  queueing: 'fifo' | 'shuffle';
  perSecond: number;
  maxActive: number;
  sessionSeconds: number;
  holdSeconds: number;
  connections: number;
  /**
   * Who gets a free connection first: `due`, whoever is due earliest (arrivals and next steps alike);
   * `in-line`, the next steps of buyers already under way, then arrivals (see runner.ts).
   */
  priority: 'due' | 'in-line';
  maxSeconds: number;
  report: string;
  seed: number;
  /** Scripted identities from one bot client, arriving with the crowd (0: none). */
  bots: number;
  /** Share of the bot's identities that join without solving the challenge. */
  botSkip: number;
  /** The bot client's source address (its own IP on loopback); null: the system's. */
  botAddress: string | null;
  /** Proof-of-work bits of the created sale; buyers and solving bots solve them. */
  powDifficulty: number;
}

export const SIMULATE_USAGE = `flashsale simulate [options]   a flash sale of N virtual buyers against the real HTTP API

  --url URL              the service (default http://127.0.0.1:3000)
  --admin-key KEY        admin key (default $FLASHSALE_ADMIN_KEY); needed to create, start and watch the sale
  --user-secret S        sign buyers' user tokens with this HS256 secret instead of POST /visitors
  --buyers N             virtual buyers (default 100000)
  --create-sale          create a sale for the run (the default), sized by --stock/--limit below
  --sale ID              drive an existing sale instead
  --stock N              units of the created sale (default buyers/10)
  --limit N              units per buyer; each buys 1..limit (default 2)
  --arrival all|ramp|prestart   the crowd at once, a ramp, or half before the start (default prestart)
  --ramp-seconds S       length of the ramp (default 10)
  --start-after S        the sale opens S seconds after arrivals begin (default 1; prestart: the ramp)
  --prestart-share F     share arriving before the start with --arrival prestart (default 0.5)
  --abandon F            share of buyers who give up while waiting or once admitted (default 0.1)
  --decline F            share paying with pm_decline (default 0.05)
  --flaky F              share paying with pm_flaky (default 0.02)
  --resend F             share resending their checkout with the same Idempotency-Key (default 0.02)
  --double-submit F      share submitting a second checkout with a new key (default 0.02)
  --queueing fifo|shuffle  pre-queue order of the created sale (default fifo)
  --per-second N         admissions per second (default: sized to sell out in about 20 s)
  --max-active N         admitted shoppers at once (default 30 × per-second)
  --session-seconds S    shopping session (default 120)     --hold-seconds S   hold (default 60)
  --connections N        HTTP connections, the most requests in flight (default 128)
  --priority due|in-line  who gets a free connection first: whoever is due earliest (default), or
                         buyers already in line before new arrivals, as when each buyer has a
                         connection of their own: for crowds far beyond what the service answers
  --max-seconds S        give up after S seconds (default 900)
  --report PATH          writes PATH.json and PATH.html (default reports/sim-<time>)
  --seed N               seed of the buyer population (default random)
  --bots N               add N scripted identities from one bot client: each mints a visitor and joins
                         as fast as the service lets it, solving the challenge or skipping it; the
                         report shows who got the stock (default 0)
  --bot-skip F           share of the bot's identities that join without solving (default 0.5)
  --bot-address IP       the bot's source address (default 127.0.0.2 when --url is 127.0.0.1 on Linux,
                         so the service's per-IP limits see it apart from the buyers)
  --pow-difficulty N     proof of work of the created sale, 0-32 bits (default 0; with --bots 10)`;

const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, not "${raw}"`);
  }
  return n;
};
const whole = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
  const n = num(name, raw, fallback, min, max);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, not "${raw}"`);
  return n;
};
const share = (name: string, raw: string | undefined, fallback: number) => num(name, raw, fallback, 0, 1);

/**
 * Admission sized so that the buyers it takes to sell the stock are admitted in about 20 s: each
 * admitted buyer takes (1 + limit) / 2 units on average, less those who abandon or are declined.
 */
export function defaultPerSecond(o: Pick<SimOptions, 'buyers' | 'stock' | 'limit' | 'abandon' | 'decline'>) {
  const buying = Math.max(0.05, 1 - o.abandon - o.decline);
  const needed = Math.min(o.buyers, Math.ceil(o.stock / (((1 + o.limit) / 2) * buying)));
  return Math.min(100_000, Math.max(10, Math.ceil(needed / 20)));
}

/**
 * On Linux the whole of 127.0.0.0/8 reaches the loopback interface, so a bot crowd against a local
 * service gets an address of its own (as a real bot farm has its own IP); elsewhere, the system's.
 */
export function defaultBotAddress(url: string, platform: string): string | null {
  if (platform !== 'linux') return null;
  const host = new URL(url).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) return null;
  return host === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
}

export function parseSimArgs(args: string[], env: Record<string, string | undefined>, now = new Date()) {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      'admin-key': { type: 'string' },
      'user-secret': { type: 'string' },
      buyers: { type: 'string' },
      'create-sale': { type: 'boolean' },
      sale: { type: 'string' },
      stock: { type: 'string' },
      limit: { type: 'string' },
      arrival: { type: 'string' },
      'ramp-seconds': { type: 'string' },
      'start-after': { type: 'string' },
      'prestart-share': { type: 'string' },
      abandon: { type: 'string' },
      decline: { type: 'string' },
      flaky: { type: 'string' },
      resend: { type: 'string' },
      'double-submit': { type: 'string' },
      queueing: { type: 'string' },
      'per-second': { type: 'string' },
      'max-active': { type: 'string' },
      'session-seconds': { type: 'string' },
      'hold-seconds': { type: 'string' },
      connections: { type: 'string' },
      priority: { type: 'string' },
      'max-seconds': { type: 'string' },
      report: { type: 'string' },
      seed: { type: 'string' },
      bots: { type: 'string' },
      'bot-skip': { type: 'string' },
      'bot-address': { type: 'string' },
      'pow-difficulty': { type: 'string' },
    },
  });
  if (values.sale !== undefined && values['create-sale']) {
    throw new UsageError('--sale and --create-sale exclude each other');
  }
  const arrival = (values.arrival ?? 'prestart') as Arrival;
  if (!ARRIVALS.includes(arrival)) throw new UsageError(`--arrival must be one of ${ARRIVALS.join(', ')}`);
  const priority = values.priority ?? 'due';
  if (priority !== 'due' && priority !== 'in-line') throw new UsageError('--priority must be due or in-line');
  const queueing = values.queueing ?? 'fifo';
  if (queueing !== 'fifo' && queueing !== 'shuffle')
    throw new UsageError('--queueing must be fifo or shuffle');
  const url = (values.url ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url))
    throw new UsageError(`--url must be http(s)://host[:port], not "${url}"`);
  const adminKey = values['admin-key'] ?? env.FLASHSALE_ADMIN_KEY ?? null;
  if (!adminKey) {
    throw new UsageError(
      'the admin key is required (--admin-key or FLASHSALE_ADMIN_KEY): `flashsale start` prints it',
    );
  }
  const buyers = whole('buyers', values.buyers, 100_000, 1, 10_000_000);
  const limit = whole('limit', values.limit, 2, 1, 1000);
  const stock = whole('stock', values.stock, Math.max(1, Math.round(buyers / 10)), 1, 1_000_000_000);
  const abandon = share('abandon', values.abandon, 0.1);
  const decline = share('decline', values.decline, 0.05);
  const flaky = share('flaky', values.flaky, 0.02);
  if (decline + flaky > 1) throw new UsageError('--decline and --flaky add up to more than 1');
  const rampSeconds = num('ramp-seconds', values['ramp-seconds'], 10, 0, 3600);
  const perSecond = whole(
    'per-second',
    values['per-second'],
    defaultPerSecond({ buyers, stock, limit, abandon, decline }),
    1,
    1_000_000,
  );
  const bots = whole('bots', values.bots, 0, 0, 1_000_000);
  const botAddress = values['bot-address'] ?? defaultBotAddress(url, process.platform);
  if (botAddress !== null && isIP(botAddress) === 0)
    throw new UsageError(`--bot-address must be an IP address, not "${botAddress}"`);
  const stamp = now
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d+Z$/, 'Z');
  return {
    url,
    adminKey,
    userSecret: values['user-secret'] ?? null,
    buyers,
    saleId: values.sale ?? null,
    stock,
    limit,
    arrival,
    rampSeconds,
    startAfterSeconds: num(
      'start-after',
      values['start-after'],
      defaultStartAfter(arrival, rampSeconds),
      0,
      3600,
    ),
    prestartShare: share('prestart-share', values['prestart-share'], 0.5),
    abandon,
    decline,
    flaky,
    resend: share('resend', values.resend, 0.02),
    doubleSubmit: share('double-submit', values['double-submit'], 0.02),
    queueing,
    perSecond,
    maxActive: whole('max-active', values['max-active'], perSecond * 30, 1, 100_000_000),
    sessionSeconds: whole('session-seconds', values['session-seconds'], 120, 1, 86_400),
    holdSeconds: whole('hold-seconds', values['hold-seconds'], 60, 1, 86_400),
    connections: whole('connections', values.connections, 128, 1, 10_000),
    priority,
    maxSeconds: num('max-seconds', values['max-seconds'], 900, 1, 86_400),
    report: values.report ?? `reports/sim-${stamp}`,
    seed: whole('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1),
    bots,
    botSkip: share('bot-skip', values['bot-skip'], 0.5),
    botAddress: bots > 0 ? botAddress : null,
    powDifficulty: whole('pow-difficulty', values['pow-difficulty'], bots > 0 ? 10 : 0, 0, 32),
  } satisfies SimOptions;
}
