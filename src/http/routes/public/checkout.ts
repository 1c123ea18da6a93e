import type { FastifyInstance } from 'fastify';
import { orderNumberOf } from '../../../domain/order.ts';
import { checkout } from '../../../orders/checkout.ts';
import { findBuyerOrder } from '../../../orders/read.ts';
import type { HttpContext } from '../../context.ts';
import {
  ADMITTED_USER_SECURITY,
  BUYER_ROUTE_ERRORS,
  checkoutAccepted,
  checkoutBody,
  checkoutHeaders,
  errors,
  orderParams,
  orderSchema,
  saleParams,
  USER_TOKEN_SECURITY,
} from '../../schemas.ts';
import { authenticate, callerOf, claimsOf } from './common.ts';

interface CheckoutRoute {
  Params: { saleId: string };
  Headers: { 'x-admission-token'?: string; 'idempotency-key': string };
  Body: { quantity: number; paymentMethod: string; email?: string };
}

export function checkoutRoutes(server: FastifyInstance, ctx: HttpContext): void {
  const { app } = ctx;

  server.post<CheckoutRoute>(
    '/sales/:saleId/checkout',
    {
      preValidation: authenticate(ctx),
      schema: {
        tags: ['checkout'],
        operationId: 'checkout',
        summary: 'Reserve units and place an order (answered at once; the payment runs after)',
        description:
          'Needs the admission token from the queue status. The same `Idempotency-Key` from the same ' +
          'user returns the same order (a different quantity with it is 409 IDEMPOTENCY_CONFLICT).',
        security: ADMITTED_USER_SECURITY,
        params: saleParams,
        headers: checkoutHeaders,
        body: checkoutBody,
        response: {
          202: checkoutAccepted,
          ...errors(400, 401, 403, 404, 409, 413, 415, ...BUYER_ROUTE_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { userId, email } = claimsOf(request);
      const { saleId } = request.params;
      await ctx.admission.verify(request.headers['x-admission-token'], userId, saleId);
      const accepted = await checkout(app, {
        saleId,
        userId,
        quantity: request.body.quantity,
        paymentMethod: request.body.paymentMethod,
        idempotencyKey: request.headers['idempotency-key'],
        email: email ?? request.body.email ?? null,
      });
      return reply.code(202).send({
        orderId: accepted.orderId,
        orderNumber: orderNumberOf(accepted.orderId),
        status: accepted.status,
        holdExpiresAt: accepted.holdExpiresAt,
      });
    },
  );

  server.get<{ Params: { orderId: string } }>(
    '/orders/:orderId',
    {
      preValidation: authenticate(ctx),
      schema: {
        tags: ['checkout'],
        operationId: 'getOrder',
        summary: "An order's outcome (its owner only)",
        description: "Another user's order, or an unknown or malformed id, is 404 ORDER_NOT_FOUND alike.",
        security: USER_TOKEN_SECURITY,
        params: orderParams,
        response: { 200: orderSchema, ...errors(401, 404, ...BUYER_ROUTE_ERRORS) },
      },
    },
    async (request) => findBuyerOrder(app, callerOf(request), request.params.orderId),
  );
}
