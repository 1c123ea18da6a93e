import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from '../context.ts';

export const opsRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (_server, _options) => {};
