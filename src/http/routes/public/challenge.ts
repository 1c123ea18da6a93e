/**
 * Proof of work at the door of the waiting room (src/domain/pow.ts, src/http/pow.ts): the route that
 * hands out challenges, and the check the join route runs before it touches the engine, so a refused
 * join changes nothing.
 */
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { FlashsaleError } from '../../../domain/errors.ts';
import { effectiveDifficulty } from '../../../domain/pow.ts';
import type { HttpContext } from '../../context.ts';
import {
  BUYER_ROUTE_ERRORS,
  challengeSchema,
  errors,
  saleParams,
  USER_TOKEN_SECURITY,
} from '../../schemas.ts';
import { authenticate, callerOf } from './common.ts';

/** How a client solves a challenge: the OpenAPI description of the route, and README's example. */
export const SOLVING =
  'Solve it by counting: for `counter` = 0, 1, 2, … compute SHA-256 of the UTF-8 string ' +
  '`<challenge>.<counter>` until the digest begins with `difficulty` zero bits, then join with that ' +
  'string as the `X-Pow-Solution` header. About 2^difficulty hashes on average. In JavaScript:\n\n' +
  '```js\n' +
  'async function solve({ challenge, difficulty }) {\n' +
  '  for (let counter = 0; ; counter++) {\n' +
  "    const solution = challenge + '.' + counter;\n" +
  "    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(solution)));\n" +
  '    let bits = 0;\n' +
  '    for (const byte of digest) { if (byte === 0) { bits += 8; continue; } bits += Math.clz32(byte) - 24; break; }\n' +
  '    if (bits >= difficulty) return solution;\n' +
  '  }\n' +
  '}\n' +
  '```\n\n' +
  'A challenge is bound to the caller and the sale and lives until `expiresAt`; sending the same ' +
  'solution again is harmless (joining is idempotent). The storefront solves it in a Web Worker.';

interface SaleRoute {
  Params: { saleId: string };
}

/** The sale's own difficulty from the catalog (cached per process), or SALE_NOT_FOUND. */
async function saleDifficulty(ctx: HttpContext, saleId: string): Promise<number> {
  const sale = await ctx.app.catalog.get(saleId);
  if (sale === null) throw new FlashsaleError('SALE_NOT_FOUND');
  return ctx.app.config.pow.enabled ? sale.powDifficulty : 0;
}

/**
 * The join route's preHandler: a sale that asks for work needs `X-Pow-Solution` (428 POW_REQUIRED
 * without it, 403 POW_INVALID with a wrong one). The solution is checked against the difficulty signed
 * into its own challenge, which was at least the sale's when it was issued.
 */
export function requireProofOfWork(ctx: HttpContext): preHandlerHookHandler {
  const check = async (request: FastifyRequest) => {
    const { saleId } = (request as FastifyRequest<SaleRoute>).params;
    if ((await saleDifficulty(ctx, saleId)) === 0) return;
    const solution = request.headers['x-pow-solution'];
    if (solution === undefined || solution === '') throw new FlashsaleError('POW_REQUIRED');
    ctx.pow.verify(solution, saleId, callerOf(request), ctx.app.clock.now());
  };
  // A callback hook: with proof of work off (load tests), a join costs no promise here.
  return (request, _reply, done) => {
    if (!ctx.app.config.pow.enabled) return done();
    check(request).then(() => done(), done);
  };
}

export function challengeRoutes(server: FastifyInstance, ctx: HttpContext): void {
  server.post<SaleRoute>(
    '/sales/:saleId/challenge',
    {
      preValidation: authenticate(ctx),
      schema: {
        tags: ['waiting room'],
        operationId: 'getChallenge',
        summary: 'A proof-of-work challenge to solve before joining the waiting room',
        description: SOLVING,
        security: USER_TOKEN_SECURITY,
        params: saleParams,
        response: { 200: challengeSchema, ...errors(400, 401, 404, ...BUYER_ROUTE_ERRORS) },
      },
    },
    async (request) => {
      const { saleId } = request.params;
      const base = await saleDifficulty(ctx, saleId);
      const rate = base === 0 ? 0 : await ctx.joinRate.perSecond(saleId);
      const difficulty = effectiveDifficulty(base, rate, ctx.app.config.pow.riseAbovePerSecond);
      return ctx.pow.issue(saleId, callerOf(request), difficulty, ctx.app.clock.now());
    },
  );
}
