/**
 * The order worker: runs the order, notification and analytics jobs, the reconciler (reconciler.ts)
 * and the periodic ticks (waiting room admission, hold sweeper, sale loading, key expiry, the sales'
 * history).
 * `flashsale worker` runs it alone; the embedded shape runs it inside the API process. Recovery runs
 * first, at every start.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { OrderStore } from '../db/orderStore.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import { DEFAULT_TICKS, startTicks, type TickOptions } from '../sales/ticks.ts';
import type { Queues } from './orderJobs.ts';
import { createOrderPipeline } from './orderWorker.ts';
import type { PaymentProvider } from './payments/port.ts';
import { startReconciler } from './reconciler.ts';
import { recoverEngineState, resumePendingOrders } from './recovery.ts';
import { analyticsHandler, type Mailer, notificationHandler, retryEachAlone } from './sideEffects.ts';

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
  config: Pick<
    Config,
    'workerConcurrency' | 'outageRetry' | 'reconcile' | 'saleRetentionSeconds' | 'history'
  >;
  /** Told of every confirmation PostgreSQL refused as an oversell (the composition root counts them). */
  onOversellRefused?: (saleId: string) => void;
}

export interface WorkerOptions {
  concurrency?: number;
  ticks?: TickOptions | false;
  /** Largest group commit of order confirmations (default 500; 1: order by order). */
  maxBatch?: number;
  /** The reconciler's period and grace (default: the configuration's); false: no reconciler. */
  reconcile?: { intervalMs: number; graceMs: number } | false;
}

/**
 * Recovery at a worker's start (see recovery.ts): safe to run on every start and in parallel.
 * `adoptStore`: accept an empty engine store at a new location (see checkEngine).
 */
export function recover(deps: WorkerDeps, options: { adoptStore?: boolean } = {}) {
  return recoverEngineState({
    ...deps,
    orders: deps.queues.orders,
    now: deps.clock.now(),
    adoptStore: options.adoptStore === true,
  });
}

/** Starts processing jobs and the ticks. Returns a stop function that lets jobs in flight finish. */
export function startWorker(deps: WorkerDeps, options: WorkerOptions = {}): () => Promise<void> {
  const concurrency = options.concurrency ?? deps.config.workerConcurrency;
  const pipeline = createOrderPipeline({
    engine: deps.engine,
    store: deps.store,
    payments: deps.payments,
    notifications: deps.queues.notifications,
    analytics: deps.queues.analytics,
    orderAttempts: deps.orderAttempts,
    outageRetry: deps.config.outageRetry,
    log: deps.log,
    onOversellRefused: (job) => deps.onOversellRefused?.(job.saleId),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
  });
  deps.queues.orders.process(pipeline.handle, { concurrency });
  const reconcile = options.reconcile ?? deps.config.reconcile;
  const stopReconciler =
    reconcile === false
      ? async () => {}
      : startReconciler(
          {
            engine: deps.engine,
            store: deps.store,
            payments: deps.payments,
            orders: deps.queues.orders,
            finish: pipeline.finish,
            orderAttempts: deps.orderAttempts,
            log: deps.log,
            graceMs: reconcile.graceMs,
          },
          reconcile.intervalMs,
        );
  const noAddress = (data: { orderId: string; kind: string }) =>
    deps.log.info(
      { orderId: data.orderId, kind: data.kind },
      'no e-mail address for this order; no message sent',
    );
  const notifications = deps.queues.notifications;
  const retryAlone = retryEachAlone(notifications);
  notifications.process(notificationHandler(deps.mailer, { onSkipped: noAddress, retryAlone }), {
    concurrency: 4,
  });
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
          // The history's sampling follows the configuration unless the caller's ticks say otherwise.
          {
            history: deps.config.history,
            ...(options.ticks ?? { ...DEFAULT_TICKS, retentionMs: deps.config.saleRetentionSeconds * 1000 }),
          },
        );
  return async () => {
    await stopTicks();
    await stopReconciler();
    await Promise.all(Object.values(deps.queues).map((q) => q.close()));
  };
}
