/**
 * The embedded shape: the memory engine and the in-process job runner, in this one process. No
 * servers to install; if the process stops, in-flight holds and jobs stop with it (orders written to
 * the database stay).
 */
import type { Config } from '../config.ts';
import { MemoryEngine } from '../engine/memory/memoryEngine.ts';
import { PartedEngine } from '../engine/parted/partedEngine.ts';
import type { Clock } from '../engine/types.ts';
import { createMemoryQueue } from '../orders/jobs/memoryQueue.ts';
import {
  type AnalyticsJob,
  MAIL_JOBS_KEPT,
  type MailJob,
  type OrderJob,
  QUEUE_NAMES,
} from '../orders/orderJobs.ts';
import { openDatabase } from './database.ts';
import type { Shape, ShapeOptions } from './types.ts';

export async function openEmbeddedShape(
  config: Readonly<Config>,
  clock: Clock,
  options: ShapeOptions,
): Promise<Shape> {
  const db = await openDatabase(config, options);
  const engine = new PartedEngine(new MemoryEngine(clock, { heartbeatMs: config.heartbeatMs }), clock);
  const defaults = options.jobDefaults;
  const queues = {
    orders: createMemoryQueue<OrderJob>(QUEUE_NAMES.orders, { defaults }),
    notifications: createMemoryQueue<MailJob>(QUEUE_NAMES.notifications, {
      defaults,
      keepCompleted: MAIL_JOBS_KEPT,
    }),
    analytics: createMemoryQueue<AnalyticsJob>(QUEUE_NAMES.analytics, { defaults }),
  };
  const database =
    config.databaseUrl !== null
      ? 'PostgreSQL'
      : config.dataDir === 'memory'
        ? 'PGlite in memory'
        : `PGlite in ${config.dataDir}`;
  return {
    name: 'embedded',
    description: `embedded: memory engine, in-process jobs, ${database}`,
    inProcess: true,
    clock,
    engine,
    shards: 1,
    db,
    queues,
    rateLimitStore: async () => ({}),
    sharedAdmissionKey: async () => null,
    sharedSecret: async () => null,
    readiness: () => ({ database: () => db.query('SELECT 1') }),
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await engine.close();
      await db.close();
    },
  };
}
