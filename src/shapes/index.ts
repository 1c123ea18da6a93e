/**
 * Picks the shape the configuration names and opens it. The one place that knows every shape.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { type Clock, systemClock } from '../engine/types.ts';
import { openEmbeddedShape } from './embedded.ts';
import { openRedisShape } from './redis.ts';
import type { Shape, ShapeOptions } from './types.ts';

export type { Queues, Shape, ShapeName, ShapeOptions } from './types.ts';

export function openShape(
  config: Readonly<Config>,
  /** Injected by tests to move time; otherwise the shape's own clock (see Shape.clock). */
  clock: Clock | undefined,
  log: Logger,
  options: ShapeOptions,
): Promise<Shape> {
  switch (config.shape) {
    case 'embedded':
      return openEmbeddedShape(config, clock ?? options.processClock ?? systemClock, options);
    case 'redis':
      return openRedisShape(config, clock, log, options);
  }
}

/**
 * Whether API processes of this configuration share their sales with other processes, known before
 * anything is opened: then user tokens and the admin key must be configured, not generated.
 */
export function isSharedByProcesses(config: Readonly<Config>): boolean {
  return config.shape !== 'embedded';
}
