/**
 * The composition root: the one place that picks adapters. Embedded shape (no REDIS_URL): memory
 * engine, in-process jobs, PGlite. Production: Redis engine, BullMQ, PostgreSQL (or PGlite if only
 * REDIS_URL is set, for a single-node trial with durable jobs).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { OrderStore } from './db/orderStore.ts';
import { openPglite } from './db/pglite.ts';
import { openPostgres } from './db/postgres.ts';
import type { SaleCatalog } from './db/records.ts';
import { FlashsaleError, isFlashsaleError } from './domain/errors.ts';
import { normalizeSale, type SaleInput, type SaleSettings } from './domain/sale.ts';
import { MemoryEngine } from './engine/memory/memoryEngine.ts';
import { RedisEngine } from './engine/redis/redisEngine.ts';
import { type Clock, type SaleEngine, type SaleView, systemClock } from './engine/types.ts';
import { metricsOf } from './monitoring/metrics.ts';
import { Catalog } from './orders/catalog.ts';
import { createBullQueue } from './orders/jobs/bullmqQueue.ts';
import { createMemoryQueue } from './orders/jobs/memoryQueue.ts';
import type { JobDefaults, JobQueue } from './orders/jobs/types.ts';
import type { AnalyticsJob, NotificationJob, OrderJob } from './orders/orderJobs.ts';
import { QUEUE_NAMES } from './orders/orderJobs.ts';
import { createOrderHandler } from './orders/orderWorker.ts';
import type { PaymentProvider } from './orders/payments/port.ts';
import { createPaymentProvider } from './orders/payments/registry.ts';
import { recoverEngineState } from './orders/recovery.ts';
import {
  analyticsHandler,
  type Mailer,
  notificationHandler,
  OutboxMailer,
  SmtpMailer,
} from './orders/sideEffects.ts';
import { DEFAULT_TICKS, startTicks, type TickOptions } from './orders/ticks.ts';

export interface AppOptions {
  clock?: Clock;
  log?: Logger;
  /** PostgreSQL schema to use (tests isolate themselves in one). */
  pgSchema?: string;
  /** BullMQ key prefix (tests isolate themselves with one). */
  queuePrefix?: string;
  jobDefaults?: JobDefaults;
  /** BullMQ lock and stalled-check periods; short in crash tests. */
  stalledMs?: { lockDurationMs: number; stalledIntervalMs: number };
  payments?: PaymentProvider;
  mailer?: Mailer;
}

export interface App {
  config: Readonly<Config>;
  clock: Clock;
  log: Logger;
  engine: SaleEngine;
  db: Database;
  store: OrderStore;
  catalog: Catalog;
  payments: PaymentProvider;
  mailer: Mailer;
  /** Tries per order job: checkout enqueues with it, the handler knows its last try by it. */
  orderAttempts: number;
  queues: {
    orders: JobQueue<OrderJob>;
    notifications: JobQueue<NotificationJob>;
    analytics: JobQueue<AnalyticsJob>;
  };
  close(): Promise<void>;
}

export async function openDatabase(config: Readonly<Config>, options: AppOptions = {}): Promise<Database> {
  if (config.databaseUrl !== null) {
    return openPostgres({
      connectionString: config.databaseUrl,
      ...(options.pgSchema ? { schema: options.pgSchema } : {}),
    });
  }
  if (config.dataDir === 'memory') return openPglite();
  await mkdir(config.dataDir, { recursive: true });
  return openPglite({ dataDir: config.dataDir });
}

export async function createApp(config: Readonly<Config>, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'flashsale' } });
  const db = await openDatabase(config, options);
  await migrate(db);
  const store = new OrderStore(db);

  let redis: Redis | null = null;
  let engine: SaleEngine;
  let makeQueue: <T>(name: string) => JobQueue<T>;
  const defaults = { attempts: config.orderAttempts, ...options.jobDefaults };
  if (config.redisUrl !== null) {
    // Fail fast instead of queueing commands while Redis is away: callers answer 503, never hang.
    redis = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    // Without a listener ioredis prints every failed reconnect as an "Unhandled error event".
    redis.on('error', (error) => log.warn({ err: error }, 'engine Redis connection error'));
    await redis.connect();
    engine = new RedisEngine(redis, clock, { prefix: config.redisPrefix });
    const redisUrl = config.redisUrl;
    makeQueue = <T>(name: string) =>
      createBullQueue<T>(name, {
        connection: redisUrl,
        defaults,
        prefix: options.queuePrefix ?? config.queuePrefix,
        ...options.stalledMs,
        onError: (err) => log.warn({ err, queue: name }, 'job queue error'),
      });
  } else {
    engine = new MemoryEngine(clock);
    makeQueue = <T>(name: string) => createMemoryQueue<T>(name, { defaults });
  }

  const queues = {
    orders: makeQueue<OrderJob>(QUEUE_NAMES.orders),
    notifications: makeQueue<NotificationJob>(QUEUE_NAMES.notifications),
    analytics: makeQueue<AnalyticsJob>(QUEUE_NAMES.analytics),
  };
  const payments = options.payments ?? createPaymentProvider(config, { ledger: store });
  const mailer =
    options.mailer ??
    (config.smtpUrl !== null
      ? new SmtpMailer(config.smtpUrl, config.mailFrom)
      : new OutboxMailer(config.outboxPath));

  return {
    config,
    clock,
    log,
    engine,
    db,
    store,
    catalog: new Catalog(store),
    payments,
    mailer,
    orderAttempts: defaults.attempts,
    queues,
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await engine.close();
      if (redis !== null) await redis.quit().catch(() => undefined);
      await db.close();
    },
  };
}

/**
 * Publishes a sale: the catalog row first (the source of truth), then the engine's counters. If the
 * second step fails, a worker's sync tick loads the sale into the engine from the catalog.
 */
export async function publishSale(
  app: App,
  input: SaleCatalog | (SaleInput & Omit<SaleCatalog, keyof SaleSettings>),
): Promise<SaleView> {
  const settings = normalizeSale(input, () => randomBytes(16).toString('hex'));
  const { created } = await app.store.upsertSale({ ...input, ...settings });
  if (!created) throw new FlashsaleError('SALE_EXISTS');
  // A lookup before publishing may have cached "no such sale" in this process.
  app.catalog.forget(settings.id);
  try {
    return await app.engine.createSale(settings);
  } catch (error) {
    if (!isFlashsaleError(error, 'SALE_EXISTS')) throw error;
    return (await app.engine.getSale(settings.id)) as SaleView;
  }
}

export interface WorkerOptions {
  concurrency?: number;
  ticks?: TickOptions | false;
}

/** Recovery at a worker's start (see orders/recovery.ts): safe to run on every start. */
export function recover(app: App) {
  return recoverEngineState({ ...app, now: app.clock.now() });
}

/** Runs order, notification and analytics jobs, and the periodic ticks. Returns a stop function. */
export function startWorker(app: App, options: WorkerOptions = {}): () => Promise<void> {
  const concurrency = options.concurrency ?? app.config.workerConcurrency;
  app.queues.orders.process(
    createOrderHandler({
      engine: app.engine,
      store: app.store,
      payments: app.payments,
      notifications: app.queues.notifications,
      analytics: app.queues.analytics,
      orderAttempts: app.orderAttempts,
      log: app.log,
      onOversellRefused: (job) => metricsOf(app).oversellRefused.inc({ sale: job.saleId }),
    }),
    { concurrency },
  );
  app.queues.notifications.process(notificationHandler(app.mailer), { concurrency: 4 });
  app.queues.analytics.process(analyticsHandler(app.store), { concurrency: 4 });
  const stopTicks =
    options.ticks === false
      ? async () => {}
      : startTicks(
          { engine: app.engine, store: app.store, clock: app.clock, log: app.log },
          options.ticks ?? DEFAULT_TICKS,
        );
  return async () => {
    await stopTicks();
    await Promise.all(Object.values(app.queues).map((q) => q.close()));
  };
}
