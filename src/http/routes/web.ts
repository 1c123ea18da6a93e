import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from '../context.ts';

/** Storefront and admin console pages (issue #5: to be built). */
export const webRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (_server, _options) => {};
