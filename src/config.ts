import { PAYMENT_PROVIDER_NAMES, type PaymentProviderName } from './orders/payments/registry.ts';

/**
 * Configuration: read once from the environment, validated, frozen. Every variable is documented in
 * README.md ("Configuration"); a bad value stops the process at start with a message naming it.
 */
export interface Config {
  /** Unset: the embedded shape (in-memory engine, in-process jobs). */
  redisUrl: string | null;
  /** Unset: PGlite in `dataDir` (or in memory when dataDir is "memory"). */
  databaseUrl: string | null;
  dataDir: string;
  redisPrefix: string;
  /** BullMQ key prefix; hash-tagged so a queue's keys share one Redis Cluster slot. */
  queuePrefix: string;
  port: number;
  host: string;
  adminKey: string | null;
  /** Bearer key GET /metrics requires; null: /metrics is open (Prometheus scrapes without auth). */
  metricsKey: string | null;
  userSecret: string | null;
  /** PKCS#8 PEM of the ES256 key that signs admission tokens; null: shared via Redis or generated. */
  admissionKey: string | null;
  visitors: boolean;
  rateLimits: { enabled: boolean; ipPerMinute: number; userPerMinute: number };
  bodyLimitBytes: number;
  /** Above this event-loop delay, requests are shed with 503 and Retry-After. */
  maxEventLoopDelayMs: number;
  smtpUrl: string | null;
  mailFrom: string;
  outboxPath: string;
  workerConcurrency: number;
  orderAttempts: number;
  /** Which payment provider charges orders (src/orders/payments/registry.ts). */
  paymentProvider: PaymentProviderName;
  paymentLatencyMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
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

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const embedded = redisUrl === null;
  const secret = env.FLASHSALE_USER_SECRET || null;
  if (secret !== null && secret.length < 16) {
    throw new ConfigError('FLASHSALE_USER_SECRET must be at least 16 characters');
  }
  return Object.freeze({
    redisUrl,
    databaseUrl,
    dataDir: env.FLASHSALE_DATA_DIR || '.data/pglite',
    redisPrefix: env.FLASHSALE_REDIS_PREFIX || 'fs:',
    queuePrefix: env.FLASHSALE_QUEUE_PREFIX || '{flashsale}',
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    adminKey: env.FLASHSALE_ADMIN_KEY || null,
    metricsKey: env.FLASHSALE_METRICS_KEY || null,
    userSecret: secret,
    admissionKey: env.FLASHSALE_ADMISSION_KEY ? env.FLASHSALE_ADMISSION_KEY.replace(/\\n/g, '\n') : null,
    rateLimits: Object.freeze({
      enabled: oneOf(env, 'FLASHSALE_RATE_LIMITS', ['on', 'off'], 'on') === 'on',
      ipPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_IP_PER_MINUTE', 1200, 1, 10_000_000),
      userPerMinute: int(env, 'FLASHSALE_RATE_LIMIT_USER_PER_MINUTE', 300, 1, 10_000_000),
    }),
    bodyLimitBytes: int(env, 'FLASHSALE_BODY_LIMIT_BYTES', 16_384, 256, 10_485_760),
    maxEventLoopDelayMs: int(env, 'FLASHSALE_MAX_EVENT_LOOP_DELAY_MS', 1000, 10, 60_000),
    visitors: oneOf(env, 'FLASHSALE_VISITORS', ['on', 'off'], embedded ? 'on' : 'off') === 'on',
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: env.FLASHSALE_MAIL_FROM || 'flashsale <no-reply@localhost>',
    outboxPath: env.FLASHSALE_OUTBOX || '.data/outbox.jsonl',
    workerConcurrency: int(env, 'FLASHSALE_WORKER_CONCURRENCY', 16, 1, 1000),
    orderAttempts: int(env, 'FLASHSALE_ORDER_ATTEMPTS', 5, 1, 100),
    paymentProvider: oneOf(env, 'FLASHSALE_PAYMENT_PROVIDER', PAYMENT_PROVIDER_NAMES, 'simulated'),
    paymentLatencyMs: int(env, 'FLASHSALE_PAYMENT_LATENCY_MS', 20, 0, 60_000),
    logLevel: oneOf(
      env,
      'FLASHSALE_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'silent'],
      'info',
    ),
  });
}
