import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.ts';

/** Rate limits, load shedding (to be filled by the HTTP issue). */
export async function registerProtection(_server: FastifyInstance, _ctx: HttpContext): Promise<void> {}
