import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import type { UserClaims } from '../../auth.ts';
import type { HttpContext } from '../../context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the caller's user token said; set by `authenticate`, null on routes without it. */
    caller: UserClaims | null;
  }
}

/**
 * Gives the buyer routes' requests their `caller` slot (a request decorator: a plain property,
 * cheaper on every request than a side table keyed by request).
 */
export function declareCaller(server: FastifyInstance): void {
  server.decorateRequest('caller', null);
}

/**
 * A preValidation hook that checks the user token before the request is validated, so a caller
 * without a valid token learns nothing but 401 — not which of their headers or fields are wrong.
 */
export function authenticate(ctx: HttpContext): preValidationHookHandler {
  // A callback hook: the check is synchronous, and an async hook would cost every buyer request a
  // promise and a microtask turn.
  return (request, _reply, done) => {
    try {
      request.caller = ctx.users.claimsOf(request);
    } catch (error) {
      return done(error as Error);
    }
    done();
  };
}

/** The user id `authenticate` found for this request. */
export function callerOf(request: FastifyRequest): string {
  return claimsOf(request).userId;
}

/** Everything the user token said (see UserClaims). */
export function claimsOf(request: FastifyRequest): UserClaims {
  const claims = request.caller;
  if (claims === null) throw new Error('route is missing the authenticate hook');
  return claims;
}
