/**
 * The order worker: runs the order, notification and analytics jobs and the periodic ticks (waiting
 * room admission, hold sweeper, sale loading). `flashsale worker` runs it alone; the embedded shape
 * runs it inside the API process. Recovery runs first, at every start.
 */
import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { DEFAULT_TICKS, startTicks, type TickOptions } from '../sales/ticks.ts';
import type { Queues } from './orderJobs.ts';
import { createOrderHandler } from './orderWorker.ts';
import type { PaymentProvider } from './payments/port.ts';
import { recoverEngineState, resumePendingOrders } from './recovery.ts';
import { analyticsHandler, type Mailer, notificationHandler } from './sideEffects.ts';

export interface WorkerDeps {
  engine: SaleEngine;
  store: OrderStore;
  payments: PaymentProvider;
  mailer: Mailer;
  queues: Queues;
  clock: Clock;
  log: Logger;
  /** Tries per order job: checkout enqueues with it, the handler knows its last try by it. */
  orderAttempts: number;
  config: { workerConcurrency: number; saleRetentionSeconds: number };
  /** Told of every confirmation PostgreSQL refused as an oversell (the composition root counts them). */
  onOversellRefused?: (saleId: string) => void;
}

export interface WorkerOptions {
  concurrency?: number;
  ticks?: TickOptions | false;
}

/** Recovery at a worker's start (see recovery.ts): safe to run on every start and in parallel. */
export function recover(deps: WorkerDeps) {
  return recoverEngineState({ ...deps, orders: deps.queues.orders, now: deps.clock.now() });
}

/** Starts processing jobs and the ticks. Returns a stop function that lets jobs in flight finish. */
export function startWorker(deps: WorkerDeps, options: WorkerOptions = {}): () => Promise<void> {
  const concurrency = options.concurrency ?? deps.config.workerConcurrency;
  deps.queues.orders.process(
    createOrderHandler({
      engine: deps.engine,
      store: deps.store,
      payments: deps.payments,
      notifications: deps.queues.notifications,
      analytics: deps.queues.analytics,
      orderAttempts: deps.orderAttempts,
      log: deps.log,
      onOversellRefused: (job) => deps.onOversellRefused?.(job.saleId),
    }),
    { concurrency },
  );
  deps.queues.notifications.process(notificationHandler(deps.mailer), { concurrency: 4 });
  deps.queues.analytics.process(analyticsHandler(deps.store), { concurrency: 4 });
  const stopTicks =
    options.ticks === false
      ? async () => {}
      : startTicks(
          {
            engine: deps.engine,
            store: deps.store,
            clock: deps.clock,
            log: deps.log,
            onReset: async () => {
              const resumed = await resumePendingOrders(
                { ...deps, orders: deps.queues.orders },
                deps.clock.now(),
              );
              deps.log.warn(resumed, 'pending orders resumed after an engine reset');
            },
          },
          options.ticks ?? { ...DEFAULT_TICKS, retentionMs: deps.config.saleRetentionSeconds * 1000 },
        );
  return async () => {
    await stopTicks();
    await Promise.all(Object.values(deps.queues).map((q) => q.close()));
  };
}
