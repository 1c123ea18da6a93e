/**
 * The Fastify service: public buyer API, admin API, operations endpoints, OpenAPI. Routes live in
 * `routes/*`, one module per area; this file only assembles them in order.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { FlashsaleError } from '../domain/errors.ts';
import type { HttpContext } from './context.ts';
import { errorBody, installErrorHandling } from './errors.ts';
import { registerMonitoring } from './monitoring.ts';
import { registerOpenApi } from './openapi.ts';
import { registerProtection } from './protection.ts';
import { adminRoutes } from './routes/admin.ts';
import { opsRoutes } from './routes/ops.ts';
import { publicRoutes } from './routes/public.ts';
import { webRoutes } from './routes/web.ts';

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

export async function buildServer(ctx: HttpContext): Promise<FastifyInstance> {
  const { config } = ctx.app;
  const server = Fastify({
    loggerInstance: ctx.app.log as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Request ids in every log line; a caller's own X-Request-Id is kept.
    // A caller's X-Request-Id is kept when it is short printable ASCII; otherwise ours is used.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    // One log line per request only at debug: a sale's crowd would otherwise drown the logs.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' }),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Public order ids are `<saleId>.<holdId>`: up to 64 + 1 + 36 characters, past the default 100.
    routerOptions: { maxParamLength: 256 },
    // Malformed URLs and over-long path parameters are answered by the router itself; keep the
    // error body every other refusal has.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply).code(400).send(errorBody(new FlashsaleError('INVALID_REQUEST', error.message)));
    },
  });
  installErrorHandling(server);
  // Monitoring first: its hooks see every request, including those refused by the protection below.
  await registerMonitoring(server, ctx);
  await registerOpenApi(server);
  await registerProtection(server, ctx);
  await server.register(opsRoutes, { ctx });
  await server.register(publicRoutes, { ctx, prefix: '/api/v1' });
  await server.register(adminRoutes, { ctx, prefix: '/api/v1/admin' });
  await server.register(webRoutes, { ctx });
  return server;
}
