/**
 * The Fastify service: public buyer API, admin API, operations endpoints, OpenAPI. Routes live in
 * `routes/*`, one module per area; this file only assembles them in order.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HttpContext } from './context.ts';
import { installErrorHandling } from './errors.ts';
import { registerOpenApi } from './openapi.ts';
import { registerProtection } from './protection.ts';
import { adminRoutes } from './routes/admin.ts';
import { opsRoutes } from './routes/ops.ts';
import { publicRoutes } from './routes/public.ts';

export async function buildServer(ctx: HttpContext): Promise<FastifyInstance> {
  const { config } = ctx.app;
  const server = Fastify({
    loggerInstance: ctx.app.log as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Request ids in every log line; a caller's own X-Request-Id is kept.
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    disableRequestLogging: config.logLevel !== 'debug',
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  installErrorHandling(server);
  await registerOpenApi(server);
  await registerProtection(server, ctx);
  await server.register(opsRoutes, { ctx });
  await server.register(publicRoutes, { ctx, prefix: '/api/v1' });
  await server.register(adminRoutes, { ctx, prefix: '/api/v1/admin' });
  return server;
}
