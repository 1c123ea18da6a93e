/**
 * The public buyer API under /api/v1: visitors, the sale page, the waiting room, checkout and
 * orders. Each area is its own module under `public/`; this plugin assembles them.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from '../context.ts';
import { challengeRoutes } from './public/challenge.ts';
import { checkoutRoutes } from './public/checkout.ts';
import { declareCaller } from './public/common.ts';
import { leaveRoutes } from './public/leave.ts';
import { queueRoutes } from './public/queue.ts';
import { saleRoutes } from './public/sales.ts';

export const publicRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (server, { ctx }) => {
  // Buyer answers are personal or change by the second: nothing may be stored on the way unless a
  // route says otherwise (the sale page sets its own, which replaces this one). Errors get it too.
  server.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', 'no-store');
    done();
  });
  declareCaller(server);
  saleRoutes(server, ctx);
  challengeRoutes(server, ctx);
  queueRoutes(server, ctx);
  leaveRoutes(server, ctx);
  checkoutRoutes(server, ctx);
};
