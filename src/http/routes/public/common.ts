import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { HttpContext } from '../../context.ts';

const callers = new WeakMap<FastifyRequest, string>();

/**
 * A preValidation hook that checks the user token before the request is validated, so a caller
 * without a valid token learns nothing but 401 — not which of their headers or fields are wrong.
 */
export function authenticate(ctx: HttpContext): preValidationAsyncHookHandler {
  return async (request) => {
    callers.set(request, await ctx.users.userOf(request));
  };
}

/** The user id `authenticate` found for this request. */
export function callerOf(request: FastifyRequest): string {
  const userId = callers.get(request);
  if (userId === undefined) throw new Error('route is missing the authenticate hook');
  return userId;
}
