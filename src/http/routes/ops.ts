/**
 * Operations endpoints, outside /api/v1 where orchestrators and verifiers expect them:
 * liveness (/healthz), readiness (/readyz) and the admission-token keys (JWKS).
 */
import type { FastifyPluginAsync } from 'fastify';
import { FlashsaleError } from '../../domain/errors.ts';
import type { HttpContext } from '../context.ts';
import { errors } from '../schemas.ts';

/** A probe must answer within the orchestrator's timeout even when a backing service hangs. */
export const CHECK_TIMEOUT_MS = 1000;

type CheckResult = 'ok' | 'failed' | 'timeout';

/** Runs one check, answering 'timeout' after CHECK_TIMEOUT_MS; a late outcome is dropped. */
async function timeBoxed(check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS);
  });
  const run = check().then(
    (): CheckResult => 'ok',
    (): CheckResult => 'failed',
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const checksSchema = {
  type: 'object',
  description: 'Each backing service: ok, failed (refused or errored) or timeout (no answer within 1 s)',
  additionalProperties: { type: 'string', enum: ['ok', 'failed', 'timeout'] },
} as const;

export const opsRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (server, { ctx }) => {
  const { app } = ctx;

  server.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'checkLiveness',
        security: [],
        summary: 'Liveness: the process is up and its event loop turns',
        description: 'Touches no backing service, and is never shed under load nor rate limited.',
        response: {
          200: {
            type: 'object',
            description: 'The process is up',
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );

  server.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'checkReadiness',
        security: [],
        summary: 'Readiness: the database (and Redis and the job queue, in the production shape) answer',
        description:
          'Each check is a cheap call through the same connections the routes use, time-boxed to 1 s. ' +
          '503 UNAVAILABLE lists the failing checks in `error.details.checks`.',
        response: {
          200: {
            type: 'object',
            description: 'Every backing service answered',
            required: ['status', 'checks'],
            properties: { status: { type: 'string', enum: ['ready'] }, checks: checksSchema },
          },
          ...errors(503),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const named = Object.entries(app.shape.readiness());
      const names = named.map(([name]) => name);
      const runs = named.map(([, check]) => timeBoxed(check));
      const results = await Promise.all(runs);
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      if (results.every((r) => r === 'ok')) return { status: 'ready', checks };
      // The error handler answers 503 with Retry-After, as for any other unavailable service.
      throw new FlashsaleError('UNAVAILABLE', 'A backing service is not reachable.', { checks });
    },
  );

  server.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getAdmissionKeys',
        security: [],
        summary: 'The public keys that verify admission tokens (ES256)',
        response: {
          200: {
            type: 'object',
            description: 'A JSON Web Key Set (RFC 7517)',
            required: ['keys'],
            properties: {
              keys: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['kty', 'kid'],
                  properties: {
                    kty: { type: 'string' },
                    crv: { type: 'string' },
                    x: { type: 'string' },
                    y: { type: 'string' },
                    kid: { type: 'string' },
                    alg: { type: 'string' },
                    use: { type: 'string' },
                  },
                },
              },
            },
          },
          // Rate limited per IP and shed under load like any route but the probes (protection.ts).
          ...errors(429, 503),
        },
      },
    },
    async (_request, reply) => {
      // The keys change only with FLASHSALE_ADMISSION_KEY(_PREVIOUS) or the one kept in PostgreSQL.
      reply.header('cache-control', 'public, max-age=300');
      return { keys: ctx.admission.jwks };
    },
  );
};
