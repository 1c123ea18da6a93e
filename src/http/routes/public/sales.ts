import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FlashsaleError } from '../../../domain/errors.ts';
import { saleForBuyers } from '../../../sales/read.ts';
import { notModified, strongEtag } from '../../conditional.ts';
import type { HttpContext } from '../../context.ts';
import { BUYER_ROUTE_ERRORS, errors, saleParams, saleSchema, visitorSchema } from '../../schemas.ts';

/**
 * A CDN (or the browser) may serve the sale page for a second and revalidate in the background for
 * five more: a crowd refreshing the page costs the origin about one request per second per edge.
 */
const SALE_CACHE_CONTROL = 'public, max-age=1, stale-while-revalidate=5';

/**
 * Sends `body` with a strong ETag: a hash of the exact bytes sent (serialized by the route's response
 * schema), so equal ETags mean byte-identical answers. A matching If-None-Match gets 304, no body.
 */
function sendCacheable(request: FastifyRequest, reply: FastifyReply, body: unknown) {
  const json = reply.serialize(body) as string;
  const etag = strongEtag(json);
  reply.header('cache-control', SALE_CACHE_CONTROL).header('etag', etag);
  if (notModified(request, etag)) return reply.code(304).send();
  return reply.type('application/json; charset=utf-8').send(json);
}

export function saleRoutes(server: FastifyInstance, ctx: HttpContext): void {
  const { app } = ctx;

  server.post(
    '/visitors',
    {
      schema: {
        tags: ['sales'],
        operationId: 'createVisitor',
        security: [],
        summary: 'Get a user token for an anonymous visitor',
        description: 'Only when FLASHSALE_VISITORS=on; otherwise buyers sign in with the shop.',
        response: { 201: visitorSchema, ...errors(404, ...BUYER_ROUTE_ERRORS) },
      },
    },
    async (_request, reply) => {
      if (!app.config.visitors) throw new FlashsaleError('VISITORS_DISABLED');
      return reply.code(201).send(await ctx.users.visitor());
    },
  );

  server.get<{ Params: { saleId: string } }>(
    '/sales/:saleId',
    {
      schema: {
        tags: ['sales'],
        operationId: 'getSale',
        security: [],
        summary: 'A sale: catalog data, live state and remaining units',
        description:
          'Cacheable: `Cache-Control: public, max-age=1, stale-while-revalidate=5` and a strong ETag; ' +
          'send `If-None-Match` to get 304 when nothing changed.',
        params: saleParams,
        response: {
          200: saleSchema,
          304: { description: 'Not modified', type: 'null' },
          ...errors(400, 404, ...BUYER_ROUTE_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { record: sale, view: live } = await saleForBuyers(app, request.params.saleId);
      return sendCacheable(request, reply, {
        id: sale.id,
        name: sale.name,
        description: sale.description,
        priceCents: sale.priceCents,
        currency: sale.currency,
        // The engine's schedule, not the catalog's: an operator's "start now" moves it.
        totalStock: live.totalStock,
        perUserLimit: live.perUserLimit,
        prequeueAt: live.prequeueAt,
        startsAt: live.startsAt,
        endsAt: live.endsAt,
        state: live.state,
        remaining: live.stock.available,
        ...(sale.imageUrl === undefined ? {} : { imageUrl: sale.imageUrl }),
        ...(sale.archivedAt === undefined ? {} : { archivedAt: sale.archivedAt }),
      });
    },
  );
}
