import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.ts';

/** Prometheus metrics and request instrumentation (issue #5: to be built). */
export async function registerMonitoring(_server: FastifyInstance, _ctx: HttpContext): Promise<void> {}
