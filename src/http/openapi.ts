/**
 * The OpenAPI 3 document at /openapi.json and browsable docs at /docs. Registered before every route
 * (see server.ts): @fastify/swagger builds the document from the route schemas it sees registered,
 * so the routes' own JSON schemas are the single source of both validation and documentation.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Security scheme names the routes refer to in `schema.security`. */
export const SECURITY = {
  /** The shop's user token (HS256 JWT, `sub` = user id), or a visitor token. */
  user: 'userToken',
  /** FLASHSALE_ADMIN_KEY. */
  admin: 'adminKey',
  /** The admission token from the queue status (ES256 JWT, verifiable with the JWKS). */
  admission: 'admissionToken',
} as const;

export async function registerOpenApi(server: FastifyInstance): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'flashsale API',
        version: '1.0.0',
        description:
          'Waiting room, atomic inventory and asynchronous orders for a flash sale. Every refusal is ' +
          '`{"error": {"code", "message"}}` with a stable code; every instant is epoch milliseconds.',
      },
      tags: [
        { name: 'sales', description: 'The sale page (cacheable) and anonymous visitors' },
        { name: 'waiting room', description: 'Join and poll; admitted users get an admission token' },
        { name: 'checkout', description: 'Reserve and order; the payment runs asynchronously' },
        { name: 'admin', description: 'Operators: create and steer sales, watch their numbers' },
        { name: 'operations', description: 'Probes for orchestrators and the admission-token keys' },
      ],
      components: {
        securitySchemes: {
          [SECURITY.user]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'User token signed by the shop (FLASHSALE_USER_SECRET) or from POST /visitors',
          },
          [SECURITY.admin]: {
            type: 'http',
            scheme: 'bearer',
            description: 'The operators key, FLASHSALE_ADMIN_KEY (printed by `npm start` when generated)',
          },
          [SECURITY.admission]: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Admission-Token',
            description: 'From the queue status once admitted; verifiable with /.well-known/jwks.json',
          },
        },
      },
    },
  });
  await server.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: true },
  });
  // The conventional address of the document; swagger-ui also serves it at /docs/json.
  server.get('/openapi.json', { schema: { hide: true } }, async () => server.swagger());
}
