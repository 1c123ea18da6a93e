import { PAYMENT_PROVIDER_NAMES, type PaymentProviderName } from './orders/payments/registry.ts';

/**
 * Configuration: read once from the environment, validated, frozen. Every variable is documented in
 * README.md ("Configuration"); a bad value stops the process at start with a message naming it.
 */
export interface Config {
  /**
   * Which stores run the sale (src/shapes/): `embedded` (in-memory engine, in-process jobs) unless
   * REDIS_URL or REDIS_CLUSTER_NODES is set, then `redis`. Decided here once; no other module looks at
   * either variable.
   */
  shape: 'embedded' | 'redis';
  redisUrl: string | null;
  /**
   * The seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES), instead of one Redis at `redisUrl`: the
   * client learns the rest of the cluster, and its failovers, from any one of them.
   */
  redisClusterNodes: ReadonlyArray<Readonly<RedisNode>> | null;
  /** Unset: PGlite in `dataDir` (or in memory when dataDir is "memory"). */
  databaseUrl: string | null;
  dataDir: string;
  redisPrefix: string;
  /** BullMQ key prefix; hash-tagged so a queue's keys share one Redis Cluster slot. */
  queuePrefix: string;
  port: number;
  host: string;
  /**
   * How many API processes `flashsale serve` runs on HOST:PORT (node:cluster); null: the number of
   * cores in the production shape. Above 1 only in the production shape, whose state is in the stores.
   */
  processes: number | null;
  adminKey: string | null;
  /** Bearer key GET /metrics requires; null: /metrics is open (Prometheus scrapes without auth). */
  metricsKey: string | null;
  userSecret: string | null;
  /** PKCS#8 PEM of the ES256 key that signs admission tokens; null: shared via Redis or generated. */
  admissionKey: string | null;
  /** The key being rotated out: tokens it signed are still accepted, and the JWKS publishes it. */
  admissionKeyPrevious: string | null;
  visitors: boolean;
  /**
   * Per minute: requests per client IP (IPv6: per /64), per user token on buyer routes, anonymous
   * identities minted per IP (/64), challenges and joins per user token, and calls with the admin key
   * (counted apart from the buyers', see src/http/protection.ts).
   */
  rateLimits: {
    enabled: boolean;
    ipPerMinute: number;
    userPerMinute: number;
    visitorsPerIpPerMinute: number;
    joinsPerUserPerMinute: number;
    adminPerMinute: number;
  };
  /**
   * Proof of work at join (src/domain/pow.ts): off for load tests; how long a challenge stays
   * solvable; the join rate (new tickets per second) above which a sale's difficulty rises.
   */
  pow: { enabled: boolean; ttlSeconds: number; riseAbovePerSecond: number };
  bodyLimitBytes: number;
  /**
   * The event-loop lag (ms) at which the process is overloaded. Load shedding (src/http/shedding.ts)
   * refuses new joins from half of it, other routes from it, status polls from twice it; never
   * checkouts nor order reads.
   */
  maxEventLoopDelayMs: number;
  smtpUrl: string | null;
  mailFrom: string;
  outboxPath: string;
  workerConcurrency: number;
  /** Seconds a sale's Redis keys are kept after it ends (then they expire). */
  saleRetentionSeconds: number;
  /**
   * How long an admitted shopper keeps their slot without a status poll (their page polls while it
   * is open); then the slot goes to the next in line. Null (FLASHSALE_HEARTBEAT_SECONDS=0): slots last
   * the whole session.
   */
  heartbeatMs: number | null;
  orderAttempts: number;
  /** Which payment provider charges orders (src/orders/payments/registry.ts). */
  paymentProvider: PaymentProviderName;
  paymentLatencyMs: number;
  /**
   * Upper bounds on one call to each backing service, so that a partition answers 503 UNAVAILABLE
   * instead of hanging: a PostgreSQL statement (client side and server side), a Redis command, a
   * payment call (a timed-out charge is retried with the same idempotency key).
   */
  timeouts: { databaseMs: number; redisMs: number; paymentMs: number };
  /**
   * How an order job rides out an outage: it retries UNAVAILABLE failures with exponential backoff
   * (capped at `maxDelayMs`) for up to `outageMs` before the job's own attempt counts.
   */
  outageRetry: { outageMs: number; maxDelayMs: number };
  /** The reconciler inside `flashsale worker`: how often it runs, and how old a state must be to act. */
  reconcile: { intervalMs: number; graceMs: number };
  /** Each worker samples every open sale's counters this often into its history, kept this long. */
  history: { intervalMs: number; retentionMs: number };
  logLevel: LogLevel;
  /** How the storefront presents the shop: its name, accent colour and logo (see web/theme.ts). */
  theme: { shopName: string; accentColor: string; logoUrl: string | null };
}

export interface RedisNode {
  host: string;
  port: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;
type Shape = Config['shape'];

/**
 * Every environment variable loadConfig reads, with the default it falls back to when the variable
 * is unset or empty: null when there is none (the feature stays off, or the value is generated at
 * start), or one per shape. README.md's configuration table lists the same variables and defaults;
 * test/unit/configDocs.test.ts fails when the two disagree. The readers below take their defaults
 * from here by the variable's name, so loadConfig cannot fall back to anything else.
 */
export const ENV_DEFAULTS = {
  REDIS_URL: null,
  REDIS_CLUSTER_NODES: null,
  DATABASE_URL: null,
  FLASHSALE_DATA_DIR: '.data/pglite',
  FLASHSALE_REDIS_PREFIX: 'fs:',
  FLASHSALE_QUEUE_PREFIX: '{flashsale}',
  PORT: 3000,
  HOST: '127.0.0.1',
  FLASHSALE_PROCESSES: null,
  FLASHSALE_ADMIN_KEY: null,
  FLASHSALE_METRICS_KEY: null,
  FLASHSALE_USER_SECRET: null,
  FLASHSALE_ADMISSION_KEY: null,
  FLASHSALE_ADMISSION_KEY_PREVIOUS: null,
  FLASHSALE_VISITORS: { embedded: 'on', redis: 'off' },
  FLASHSALE_RATE_LIMITS: 'on',
  FLASHSALE_RATE_LIMIT_IP_PER_MINUTE: 1200,
  FLASHSALE_RATE_LIMIT_USER_PER_MINUTE: 300,
  FLASHSALE_RATE_LIMIT_VISITORS_PER_IP_PER_MINUTE: 60,
  FLASHSALE_RATE_LIMIT_JOINS_PER_USER_PER_MINUTE: 30,
  FLASHSALE_RATE_LIMIT_ADMIN_PER_MINUTE: 600,
  FLASHSALE_POW: 'on',
  FLASHSALE_POW_TTL_SECONDS: 300,
  FLASHSALE_POW_RISE_JOINS_PER_SECOND: 200,
  FLASHSALE_BODY_LIMIT_BYTES: 16_384,
  FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: 1000,
  SMTP_URL: null,
  FLASHSALE_MAIL_FROM: 'flashsale <no-reply@localhost>',
  FLASHSALE_OUTBOX: '.data/outbox.jsonl',
  FLASHSALE_WORKER_CONCURRENCY: 1000,
  FLASHSALE_SALE_RETENTION_SECONDS: 86_400,
  FLASHSALE_HEARTBEAT_SECONDS: 30,
  FLASHSALE_ORDER_ATTEMPTS: 5,
  FLASHSALE_PAYMENT_PROVIDER: 'simulated',
  FLASHSALE_PAYMENT_LATENCY_MS: 20,
  FLASHSALE_DB_TIMEOUT_MS: 5000,
  FLASHSALE_REDIS_TIMEOUT_MS: 2000,
  FLASHSALE_PAYMENT_TIMEOUT_MS: 10_000,
  FLASHSALE_OUTAGE_RETRY_MS: 600_000,
  FLASHSALE_RETRY_MAX_DELAY_MS: 5000,
  FLASHSALE_RECONCILE_INTERVAL_MS: 10_000,
  FLASHSALE_RECONCILE_GRACE_MS: 60_000,
  FLASHSALE_HISTORY_INTERVAL_MS: 5000,
  FLASHSALE_HISTORY_RETENTION_DAYS: 30,
  FLASHSALE_LOG_LEVEL: 'info',
  FLASHSALE_SHOP_NAME: 'flashsale',
  FLASHSALE_ACCENT_COLOR: '#3b28cc',
  FLASHSALE_LOGO_URL: null,
} as const satisfies Record<string, string | number | null | Record<Shape, string>>;

type Defaults = typeof ENV_DEFAULTS;
export type EnvVariable = keyof Defaults;
/** The variables whose default is of type T. */
type VariableWith<T> = { [K in EnvVariable]: Defaults[K] extends T ? K : never }[EnvVariable];

/** The one place the environment is read: an empty value counts as unset. */
function read(env: Env, name: EnvVariable): string | undefined {
  const raw = env[name];
  return raw === '' ? undefined : raw;
}

const text = (env: Env, name: VariableWith<string>): string => read(env, name) ?? ENV_DEFAULTS[name];
const optional = (env: Env, name: VariableWith<null>): string | null => read(env, name) ?? null;

function wholeNumber(name: EnvVariable, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function int(env: Env, name: VariableWith<number>, min: number, max: number): number {
  const raw = read(env, name);
  return raw === undefined ? ENV_DEFAULTS[name] : wholeNumber(name, raw, min, max);
}

/** A whole number with no default: null when unset (the caller decides, e.g. by the machine). */
function optionalInt(env: Env, name: VariableWith<null>, min: number, max: number): number | null {
  const raw = read(env, name);
  return raw === undefined ? null : wholeNumber(name, raw, min, max);
}

/** The embedded shape's engine and jobs live in its process: a second one would have its own sale. */
function processes(env: Env, shape: Shape): number | null {
  const count = optionalInt(env, 'FLASHSALE_PROCESSES', 1, 1024);
  if (count !== null && count > 1 && shape === 'embedded') {
    throw new ConfigError(
      `FLASHSALE_PROCESSES=${count} needs REDIS_URL: the embedded shape runs in one process (its engine lives there)`,
    );
  }
  return count;
}

function url(env: Env, name: VariableWith<null>, protocols: string[]): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (got "${raw}")`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

function oneOf<T extends string>(
  env: Env,
  name: VariableWith<string | Record<Shape, string>>,
  values: readonly T[],
  shape: Shape,
): T {
  const fallback = ENV_DEFAULTS[name];
  const raw = read(env, name) ?? (typeof fallback === 'string' ? fallback : fallback[shape]);
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

const ON_OFF = ['on', 'off'] as const;

/**
 * "host:port,host:port,…" (IPv6 hosts in brackets: "[::1]:7000"). Any one reachable node is enough
 * to start; listing a few lets a process start while one of them is down.
 */
function clusterNodes(env: Env): RedisNode[] | null {
  const raw = read(env, 'REDIS_CLUSTER_NODES');
  if (raw === undefined) return null;
  const nodes = raw.split(',').map((entry) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError(
        `REDIS_CLUSTER_NODES must be host:port entries separated by commas (got "${entry}")`,
      );
    }
    return Object.freeze({ host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port });
  });
  return Object.freeze(nodes) as RedisNode[];
}

/** A CSS hex colour (#rgb or #rrggbb): the only form the theme stylesheet accepts, so nothing else gets in. */
function hexColor(env: Env, name: VariableWith<string>): string {
  const value = text(env, name);
  if (!/^#(?:[0-9a-fA-F]{3}){1,2}$/.test(value)) {
    throw new ConfigError(`${name} must be a hex colour such as #3b28cc (got "${value}")`);
  }
  return value;
}

function shopName(env: Env): string {
  const value = text(env, 'FLASHSALE_SHOP_NAME').trim();
  if (value.length === 0 || value.length > 60 || /\p{Cc}/u.test(value)) {
    throw new ConfigError('FLASHSALE_SHOP_NAME must be 1-60 printable characters');
  }
  return value;
}

/**
 * `logLevel`: the level when FLASHSALE_LOG_LEVEL is unset, for a command whose reader is a person
 * (`start` logs warnings only unless asked for more).
 */
export interface LoadOptions {
  logLevel?: LogLevel;
}

/** 0 turns heartbeats off; otherwise at least 5 s, so a page's polls (a third of it apart) keep up. */
function heartbeat(env: Env): number | null {
  const seconds = int(env, 'FLASHSALE_HEARTBEAT_SECONDS', 0, 86_400);
  if (seconds > 0 && seconds < 5) {
    throw new ConfigError(`FLASHSALE_HEARTBEAT_SECONDS must be 0 (off) or at least 5 (got "${seconds}")`);
  }
  return seconds === 0 ? null : seconds * 1000;
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Readonly<Config> {
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const redisClusterNodes = clusterNodes(env);
  if (redisUrl !== null && redisClusterNodes !== null) {
    throw new ConfigError('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const shape: Shape = redisUrl === null && redisClusterNodes === null ? 'embedded' : 'redis';
  const secret = optional(env, 'FLASHSALE_USER_SECRET');
  if (secret !== null && secret.length < 16) {
    throw new ConfigError('FLASHSALE_USER_SECRET must be at least 16 characters');
  }
  const admissionKey = optional(env, 'FLASHSALE_ADMISSION_KEY');
  const admissionKeyPrevious = optional(env, 'FLASHSALE_ADMISSION_KEY_PREVIOUS');
  if (admissionKeyPrevious !== null && admissionKey === null) {
    throw new ConfigError('FLASHSALE_ADMISSION_KEY_PREVIOUS needs FLASHSALE_ADMISSION_KEY (the new key)');
  }
  return Object.freeze({
    shape,
    redisUrl,
    redisClusterNodes,
    databaseUrl,
    dataDir: text(env, 'FLASHSALE_DATA_DIR'),
    redisPrefix: text(env, 'FLASHSALE_REDIS_PREFIX'),
    queuePrefix: text(env, 'FLASHSALE_QUEUE_PREFIX'),
    port: int(env, 'PORT', 0, 65535),
    host: text(env, 'HOST'),
    processes: processes(env, shape),
    adminKey: optional(env, 'FLASHSALE_ADMIN_KEY'),
    metricsKey: optional(env, 'FLASHSALE_METRICS_KEY'),
    userSecret: secret,
    admissionKey: admissionKey === null ? null : admissionKey.replace(/\\n/g, '\n'),
    admissionKeyPrevious: admissionKeyPrevious === null ? null : admissionKeyPrevious.replace(/\\n/g, '\n'),
    rateLimits: Object.freeze({
      enabled: oneOf(env, 'FLASHSALE_RATE_LIMITS', ON_OFF, shape) === 'on',
      ipPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_IP_PER_MINUTE', 1, 10_000_000),
      userPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_USER_PER_MINUTE', 1, 10_000_000),
      visitorsPerIpPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_VISITORS_PER_IP_PER_MINUTE', 1, 10_000_000),
      joinsPerUserPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_JOINS_PER_USER_PER_MINUTE', 1, 10_000_000),
      adminPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_ADMIN_PER_MINUTE', 1, 10_000_000),
    }),
    pow: Object.freeze({
      enabled: oneOf(env, 'FLASHSALE_POW', ON_OFF, shape) === 'on',
      ttlSeconds: int(env, 'FLASHSALE_POW_TTL_SECONDS', 10, 86_400),
      riseAbovePerSecond: int(env, 'FLASHSALE_POW_RISE_JOINS_PER_SECOND', 0, 10_000_000),
    }),
    bodyLimitBytes: int(env, 'FLASHSALE_BODY_LIMIT_BYTES', 256, 10_485_760),
    maxEventLoopDelayMs: int(env, 'FLASHSALE_MAX_EVENT_LOOP_DELAY_MS', 10, 60_000),
    visitors: oneOf(env, 'FLASHSALE_VISITORS', ON_OFF, shape) === 'on',
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: text(env, 'FLASHSALE_MAIL_FROM'),
    outboxPath: text(env, 'FLASHSALE_OUTBOX'),
    workerConcurrency: int(env, 'FLASHSALE_WORKER_CONCURRENCY', 1, 1000),
    // At least an hour: sales ended less than an hour ago are still loaded after a loss (reload.ts).
    saleRetentionSeconds: int(env, 'FLASHSALE_SALE_RETENTION_SECONDS', 3600, 365 * 86_400),
    heartbeatMs: heartbeat(env),
    orderAttempts: int(env, 'FLASHSALE_ORDER_ATTEMPTS', 1, 100),
    paymentProvider: oneOf(env, 'FLASHSALE_PAYMENT_PROVIDER', PAYMENT_PROVIDER_NAMES, shape),
    paymentLatencyMs: int(env, 'FLASHSALE_PAYMENT_LATENCY_MS', 0, 60_000),
    timeouts: Object.freeze({
      databaseMs: int(env, 'FLASHSALE_DB_TIMEOUT_MS', 50, 600_000),
      redisMs: int(env, 'FLASHSALE_REDIS_TIMEOUT_MS', 50, 600_000),
      paymentMs: int(env, 'FLASHSALE_PAYMENT_TIMEOUT_MS', 50, 600_000),
    }),
    outageRetry: Object.freeze({
      outageMs: int(env, 'FLASHSALE_OUTAGE_RETRY_MS', 0, 86_400_000),
      maxDelayMs: int(env, 'FLASHSALE_RETRY_MAX_DELAY_MS', 10, 600_000),
    }),
    reconcile: Object.freeze({
      intervalMs: int(env, 'FLASHSALE_RECONCILE_INTERVAL_MS', 100, 3_600_000),
      graceMs: int(env, 'FLASHSALE_RECONCILE_GRACE_MS', 0, 86_400_000),
    }),
    history: Object.freeze({
      intervalMs: int(env, 'FLASHSALE_HISTORY_INTERVAL_MS', 100, 3_600_000),
      retentionMs: int(env, 'FLASHSALE_HISTORY_RETENTION_DAYS', 1, 3650) * 86_400_000,
    }),
    theme: Object.freeze({
      shopName: shopName(env),
      accentColor: hexColor(env, 'FLASHSALE_ACCENT_COLOR'),
      logoUrl: url(env, 'FLASHSALE_LOGO_URL', ['https:']),
    }),
    logLevel:
      read(env, 'FLASHSALE_LOG_LEVEL') === undefined && options.logLevel !== undefined
        ? options.logLevel
        : oneOf(env, 'FLASHSALE_LOG_LEVEL', LOG_LEVELS, shape),
  });
}
