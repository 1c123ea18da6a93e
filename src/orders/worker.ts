/**
 * The order worker: runs the order, notification and analytics jobs and the periodic ticks (waiting
 * room admission, hold sweeper, sale loading). `flashsale worker` runs it alone; the embedded shape
 * runs it inside the API process. Recovery runs first, at every start.
 */
import type { Logger } from 'pino';
import type { OrderStore } from '../db/orderStore.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { metricsOf } from '../monitoring/metrics.ts';
import { DEFAULT_TICKS, startTicks, type TickOptions } from '../sales/ticks.ts';
import type { Queues } from '../shapes/types.ts';
import { createOrderHandler } from './orderWorker.ts';
import type { PaymentProvider } from './payments/port.ts';
import { recoverEngineState } from './recovery.ts';
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
  config: { workerConcurrency: number };
}

export interface WorkerOptions {
  concurrency?: number;
  ticks?: TickOptions | false;
}

/** Recovery at a worker's start (see recovery.ts): safe to run on every start and in parallel. */
export function recover(deps: WorkerDeps) {
  return recoverEngineState({ ...deps, now: deps.clock.now() });
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
      onOversellRefused: (job) => metricsOf(deps).oversellRefused.inc({ sale: job.saleId }),
    }),
    { concurrency },
  );
  const noAddress = (data: { orderId: string; kind: string }) =>
    deps.log.info(
      { orderId: data.orderId, kind: data.kind },
      'no e-mail address for this order; no message sent',
    );
  deps.queues.notifications.process(notificationHandler(deps.mailer, noAddress), { concurrency: 4 });
  deps.queues.analytics.process(analyticsHandler(deps.store), { concurrency: 4 });
  const stopTicks =
    options.ticks === false
      ? async () => {}
      : startTicks(
          { engine: deps.engine, store: deps.store, clock: deps.clock, log: deps.log },
          options.ticks ?? DEFAULT_TICKS,
        );
  return async () => {
    await stopTicks();
    await Promise.all(Object.values(deps.queues).map((q) => q.close()));
  };
}
