import type { FastifyInstance } from 'fastify';
import { FlashsaleError, isFlashsaleError } from '../../../domain/errors.ts';
import type { Hold } from '../../../domain/hold.ts';
import { orderNumberOf, type PublicOrderStatus, publicOrderStatus } from '../../../domain/order.ts';
import { checkout, parseOrderId } from '../../../orders/checkout.ts';
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

/** Before the worker writes the row, the hold tells; a confirmed hold's row is moments away. */
function fromHold(hold: Hold): PublicOrderStatus {
  if (hold.status === 'released') return hold.releaseReason === 'expired' ? 'expired' : 'failed';
  return 'pending';
}

interface CheckoutRoute {
  Params: { saleId: string };
  Headers: { 'x-admission-token'?: string; 'idempotency-key': string };
  Body: { quantity: number; paymentMethod: string; email?: string };
}

export function checkoutRoutes(server: FastifyInstance, ctx: HttpContext): void {
  const { app } = ctx;
  const notFound = () => new FlashsaleError('ORDER_NOT_FOUND');

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
      const accepted = await checkout(
        {
          engine: app.engine,
          catalog: app.catalog,
          orders: app.queues.orders,
          orderAttempts: app.orderAttempts,
        },
        {
          saleId,
          userId,
          quantity: request.body.quantity,
          paymentMethod: request.body.paymentMethod,
          idempotencyKey: request.headers['idempotency-key'],
          email: email ?? request.body.email ?? null,
        },
      );
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
    async (request) => {
      const userId = callerOf(request);
      const { orderId } = request.params;
      const id = parseOrderId(orderId);
      if (id === null) throw notFound();

      const record = await app.store.getOrderByHold(id.holdId);
      if (record !== null) {
        if (record.saleId !== id.saleId || record.userId !== userId) throw notFound();
        const { saleId, quantity, amountCents, currency } = record;
        return {
          orderId,
          orderNumber: orderNumberOf(orderId),
          saleId,
          quantity,
          amountCents,
          currency,
          status: publicOrderStatus(record.status),
        };
      }

      const hold = await app.engine.getHold(id.saleId, id.holdId).catch((error: unknown) => {
        if (isFlashsaleError(error, 'SALE_NOT_FOUND')) return null;
        throw error;
      });
      if (hold === null || hold.userId !== userId) throw notFound();
      // Checkout refuses sales missing from the catalog, so a hold without one is not an order.
      const sale = await app.catalog.get(id.saleId);
      if (sale === null) throw notFound();
      return {
        orderId,
        orderNumber: orderNumberOf(orderId),
        saleId: id.saleId,
        quantity: hold.quantity,
        amountCents: sale.priceCents * hold.quantity,
        currency: sale.currency,
        status: fromHold(hold),
      };
    },
  );
}
