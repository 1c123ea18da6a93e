import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { UserClaims } from '../../auth.ts';
import type { HttpContext } from '../../context.ts';

const callers = new WeakMap<FastifyRequest, UserClaims>();

/**
 * A preValidation hook that checks the user token before the request is validated, so a caller
 * without a valid token learns nothing but 401 — not which of their headers or fields are wrong.
 */
export function authenticate(ctx: HttpContext): preValidationAsyncHookHandler {
  return async (request) => {
    callers.set(request, await ctx.users.claimsOf(request));
  };
}

/** The user id `authenticate` found for this request. */
export function callerOf(request: FastifyRequest): string {
  return claimsOf(request).userId;
}

/** Everything the user token said (see UserClaims). */
export function claimsOf(request: FastifyRequest): UserClaims {
  const claims = callers.get(request);
  if (claims === undefined) throw new Error('route is missing the authenticate hook');
  return claims;
}
