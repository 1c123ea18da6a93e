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
  /** The shop's user token (HS256 JWT: `sub`, `exp`, optional `email` and `name`), or a visitor token. */
  user: 'userToken',
  /** FLASHSALE_ADMIN_KEY. */
  admin: 'adminKey',
  /** The admission token from the queue status (ES256 JWT, verifiable with the JWKS). */
  admission: 'admissionToken',
} as const;

/** The storefront's bolt, so the docs carry flashsale's mark rather than the generator's. */
const BOLT = '<path d="M18 4 8 18h7l-2 10 11-15h-7z" fill="#b9b0ff"/>';
const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#16162a"/>${BOLT}</svg>`;
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 190 32" width="190" height="32">' +
  `<rect width="32" height="32" rx="7" fill="#16162a"/>${BOLT}` +
  '<text x="42" y="22" font-family="system-ui,sans-serif" font-size="18" font-weight="700" fill="#fff">' +
  'flashsale API</text></svg>';

/**
 * swagger-ui's top bar shows the generator's logo and a box with the document's URL (/docs/json);
 * flashsale's logo replaces the first, and the box is hidden, as is the same URL under the title (the
 * document's address is /openapi.json, which the description names).
 */
const DOCS_CSS = `
.swagger-ui .topbar { background: #16162a; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .info .main > a { display: none; }
.swagger-ui .info .title small.version-stamp { background: #5b4fe0; }
`;

export async function registerOpenApi(server: FastifyInstance): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'flashsale API',
        version: '1.0.0',
        description:
          'Waiting room, atomic inventory and asynchronous orders for a flash sale. Every refusal is ' +
          '`{"error": {"code", "message"}}` with a stable code; every instant is epoch milliseconds. ' +
          'The document itself is at `/openapi.json`.',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      // Relative: the document describes the instance that serves it, whatever its host.
      servers: [{ url: '/', description: 'The flashsale instance serving this document' }],
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
            description:
              'User token signed by the shop (HS256, FLASHSALE_USER_SECRET) or from POST /visitors. Claims: ' +
              '`sub` (required) the user id; `exp` (required: a token without it is refused); `email` ' +
              '(optional) where the order confirmation goes; `name` (optional).',
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
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: '/docs', target: '_self' },
    theme: {
      title: 'flashsale API',
      css: [{ filename: 'flashsale.css', content: DOCS_CSS }],
      favicon: [
        {
          filename: 'favicon.svg',
          rel: 'icon',
          sizes: 'any',
          type: 'image/svg+xml',
          content: Buffer.from(ICON_SVG),
        },
      ],
    },
  });
  // The conventional address of the document; swagger-ui also serves it at /docs/json.
  server.get('/openapi.json', { schema: { hide: true } }, async () => server.swagger());
}
