import type { FastifyInstance } from 'fastify';
import { onBuyersSale } from '../../../sales/read.ts';
import type { HttpContext } from '../../context.ts';
import {
  BUYER_ROUTE_ERRORS,
  errors,
  leaveQueueSchema,
  saleParams,
  USER_TOKEN_SECURITY,
} from '../../schemas.ts';
import { authenticate, callerOf } from './common.ts';

/**
 * Leaving the waiting room: a waiter stops counting and their turn is passed over; an admitted
 * shopper gives their slot to the next in line at once. The storefront calls it when its page goes
 * away (fetch with `keepalive`, which, unlike a beacon, carries the Authorization header).
 */
export function leaveRoutes(server: FastifyInstance, ctx: HttpContext): void {
  server.delete<{ Params: { saleId: string } }>(
    '/sales/:saleId/queue',
    {
      preValidation: authenticate(ctx),
      schema: {
        tags: ['waiting room'],
        operationId: 'leaveQueue',
        summary: 'Leave the waiting room, or give the shopping slot back (idempotent)',
        description:
          'A waiter leaves the line: they no longer count as waiting and take no slot when their turn ' +
          'comes. An admitted shopper gives their slot to the next in line at once and their session ' +
          'ends (state `expired`; a checkout is refused with 403 NOT_ADMITTED). Joining again takes a ' +
          'new place at the back. Answers `{left: false}` for a caller who was not in line.',
        security: USER_TOKEN_SECURITY,
        params: saleParams,
        response: { 200: leaveQueueSchema, ...errors(400, 401, 404, ...BUYER_ROUTE_ERRORS) },
      },
    },
    async (request) => {
      const { saleId } = request.params;
      const left = await onBuyersSale(ctx.app, saleId, () => ctx.queue.leave(saleId, callerOf(request)));
      return { left };
    },
  );
}
