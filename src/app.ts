/**
 * The composition root: configuration → shape (the stores) → the services the use cases share. The
 * one place that wires adapters; the use cases live in src/sales/ and src/orders/, the HTTP service
 * in src/http/, the commands in src/cli/. See docs/architecture.md.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { OrderStore } from './db/orderStore.ts';
import type { Clock, SaleEngine } from './engine/types.ts';
import { metricsOf } from './monitoring/metrics.ts';
import type { JobDefaults } from './orders/jobs/types.ts';
import type { PaymentProvider } from './orders/payments/port.ts';
import { createPaymentProvider } from './orders/payments/registry.ts';
import { withPaymentTimeout } from './orders/payments/timeout.ts';
import { type Mailer, OutboxMailer, SmtpMailer } from './orders/sideEffects.ts';
import { Catalog } from './sales/catalog.ts';
import { openShape, type Queues, type Shape } from './shapes/index.ts';

export interface AppOptions {
  /** A clock used as it is, on every shape: tests move time with it. */
  clock?: Clock;
  /** The process's own clock the shape's clock is built on (tests skew it); default Date.now. */
  processClock?: Clock;
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
  /** The stores this process runs on; `engine`, `db` and `queues` below are the shape's. */
  shape: Shape;
  engine: SaleEngine;
  /** The shape's shards (Shape.shards). */
  shards: number;
  db: Database;
  store: OrderStore;
  catalog: Catalog;
  payments: PaymentProvider;
  mailer: Mailer;
  /** Tries per order job: checkout enqueues with it, the handler knows its last try by it. */
  orderAttempts: number;
  queues: Queues;
  /** Counts a confirmation PostgreSQL refused as an oversell into this app's metrics. */
  onOversellRefused(saleId: string): void;
  close(): Promise<void>;
}

export async function createApp(config: Readonly<Config>, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'flashsale' } });
  const jobDefaults = { attempts: config.orderAttempts, ...options.jobDefaults };
  const shape = await openShape(config, options.clock, log, {
    jobDefaults,
    ...(options.pgSchema ? { pgSchema: options.pgSchema } : {}),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    ...(options.stalledMs ? { stalledMs: options.stalledMs } : {}),
    ...(options.processClock ? { processClock: options.processClock } : {}),
  });
  try {
    await migrate(shape.db);
  } catch (error) {
    await shape.close().catch(() => undefined);
    throw error;
  }
  const store = new OrderStore(shape.db);
  // Every payment call is time-boxed, the injected providers of tests included.
  const payments = withPaymentTimeout(
    options.payments ?? createPaymentProvider(config, { ledger: store.charges }),
    config.timeouts.paymentMs,
  );
  const mailer =
    options.mailer ??
    (config.smtpUrl !== null
      ? new SmtpMailer(config.smtpUrl, config.mailFrom)
      : new OutboxMailer(config.outboxPath));

  const app: App = {
    config,
    clock: shape.clock,
    log,
    shape,
    engine: shape.engine,
    shards: shape.shards,
    db: shape.db,
    store,
    catalog: new Catalog(store),
    payments,
    mailer,
    orderAttempts: jobDefaults.attempts,
    queues: shape.queues,
    // One registry per app, shared by its HTTP layer (/metrics) and its worker.
    onOversellRefused: (saleId) => metricsOf(app).oversellRefused.inc({ sale: saleId }),
    close: () => shape.close(),
  };
  return app;
}
