/**
 * A shape is one way of running flashsale: which stores hold the hot state, the record and the jobs.
 * The composition root (src/app.ts) opens exactly one shape from the configuration; everything else
 * talks to the shape's parts through their interfaces and never asks which shape it is in.
 * See docs/architecture.md, "Shapes". Adding a store adapter means one new file here.
 */

import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Clock, SaleEngine } from '../engine/types.ts';
import type { JobDefaults } from '../orders/jobs/types.ts';
import type { Queues } from '../orders/orderJobs.ts';

export type { Queues } from '../orders/orderJobs.ts';

export type ShapeName = Config['shape'];

export interface ShapeOptions {
  /** PostgreSQL schema to use (tests isolate themselves in one). */
  pgSchema?: string;
  /** BullMQ key prefix (tests isolate themselves with one). */
  queuePrefix?: string;
  jobDefaults: Required<Pick<JobDefaults, 'attempts'>> & JobDefaults;
  /** BullMQ lock and stalled-check periods; short in crash tests. */
  stalledMs?: { lockDurationMs: number; stalledIntervalMs: number };
  /** The process's own clock, which a shape may synchronise with its store (default Date.now). */
  processClock?: Clock;
}

/** Options for @fastify/rate-limit's store: empty for counters in process memory. */
export interface RateLimitStore {
  redis?: Redis | Cluster;
  nameSpace?: string;
}

export interface Shape {
  readonly name: ShapeName;
  /** One line for banners and logs: which engine, jobs and database this process uses. */
  readonly description: string;
  /**
   * True when the engine and the job queue live inside this process: then the API process must also
   * run the order worker and the ticks, since no other process can reach them, and per-process
   * secrets are acceptable since no other process serves the same sales.
   */
  readonly inProcess: boolean;
  /**
   * The time every deadline, session and admission rate is reckoned in. Embedded: the process's
   * clock. Redis: Redis's clock (`RedisClock`), so processes whose clocks disagree still agree on it.
   */
  readonly clock: Clock;
  readonly engine: SaleEngine;
  /**
   * The shards a sale may be split over (domain/parts.ts): the masters of a Redis Cluster, else 1.
   * Sales published without `parts` take their default from it.
   */
  readonly shards: number;
  readonly db: Database;
  readonly queues: Queues;
  /**
   * Where rate-limit counters live, per namespace (shared by every API process when possible). The
   * first call opens what the store needs; a store that cannot be reached is still returned (the
   * checks then fail open).
   */
  rateLimitStore(nameSpace: string): Promise<RateLimitStore>;
  /**
   * The admission-token signing key every API process must share: stored once with `generate()`'s
   * PEM if none is stored yet, then read. Null when the shape has no shared store (one process).
   */
  sharedAdmissionKey(generate: () => Promise<string>): Promise<string | null>;
  /**
   * Any other secret every API process must share (the proof-of-work key), by name: as
   * sharedAdmissionKey, stored once and then read; null when the shape has no shared store.
   */
  sharedSecret(name: string, generate: () => Promise<string>): Promise<string | null>;
  /** Named readiness checks, each one cheap call through the connections the routes use. */
  readiness(): Record<string, () => Promise<unknown>>;
  close(): Promise<void>;
}
