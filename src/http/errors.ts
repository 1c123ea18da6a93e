/**
 * The HTTP layer's one mapping from error codes (src/domain/errors.ts) to status codes, and the
 * error handler that turns anything thrown into `{"error": {"code", "message"}}`.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorCode, FlashsaleError, isFlashsaleError } from '../domain/errors.ts';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  INVALID_QUANTITY: 400,
  INVALID_SALE: 400,
  UNAUTHENTICATED: 401,
  NOT_ADMITTED: 403,
  POW_INVALID: 403,
  FORBIDDEN: 403,
  SALE_NOT_FOUND: 404,
  HOLD_NOT_FOUND: 404,
  NOT_IN_QUEUE: 404,
  ORDER_NOT_FOUND: 404,
  NOT_FOUND: 404,
  VISITORS_DISABLED: 404,
  SALE_EXISTS: 409,
  NOT_LIVE: 409,
  SOLD_OUT: 409,
  INSUFFICIENT_STOCK: 409,
  LIMIT_EXCEEDED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  HOLD_EXPIRED: 409,
  HOLD_RELEASED: 409,
  HOLD_CONFIRMED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  POW_REQUIRED: 428,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  OVERLOADED: 503,
  UNAVAILABLE: 503,
};

/** Retry-After of every 503 (OVERLOADED, UNAVAILABLE), in seconds. */
export const RETRY_AFTER_SECONDS = '2';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
};

/**
 * Maps anything thrown to a stable code: FlashsaleErrors as they are (the adapters already turned lost
 * connections into UNAVAILABLE), Fastify's own request errors to their codes, anything else INTERNAL.
 * Exported for tests.
 */
export function toFlashsaleError(error: unknown): FlashsaleError {
  if (isFlashsaleError(error)) return error;
  const e = error as FastifyError & { code?: string };
  const fastifyCode = e?.code !== undefined ? FASTIFY_CODES[e.code] : undefined;
  if (fastifyCode)
    return new FlashsaleError(fastifyCode, fastifyCode === 'INVALID_REQUEST' ? e.message : undefined);
  if (e?.statusCode === 400) return new FlashsaleError('INVALID_REQUEST', e.message);
  if (e?.statusCode === 413) return new FlashsaleError('PAYLOAD_TOO_LARGE');
  if (e?.statusCode === 415) return new FlashsaleError('UNSUPPORTED_MEDIA_TYPE');
  return new FlashsaleError('INTERNAL');
}

export function errorBody(error: FlashsaleError): ErrorBody {
  return {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
  };
}

export function installErrorHandling(server: FastifyInstance): void {
  server.setErrorHandler((error, request, reply) => {
    const mapped = toFlashsaleError(error);
    const status = HTTP_STATUS[mapped.code];
    if (status >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
    if (status === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
    return reply.status(status).send(errorBody(mapped));
  });
  server.setNotFoundHandler((_request, reply) => {
    return reply.status(404).send(errorBody(new FlashsaleError('NOT_FOUND')));
  });
}
