/**
 * The one registry of error codes. Every refusal flashsale gives names one of these codes; the HTTP
 * layer alone maps a code to a status. Codes are part of the public API: never rename one, only add.
 */
export const ERROR_MESSAGES = {
  INVALID_REQUEST: 'The request is not valid.',
  INVALID_QUANTITY: 'Quantity must be a whole number of at least 1.',
  INVALID_SALE: 'The sale settings are not valid.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON.',
  UNAUTHENTICATED: 'A valid user token is required.',
  FORBIDDEN: 'This is not yours to see.',
  NOT_ADMITTED: 'You have not been admitted from the waiting room.',
  SALE_NOT_FOUND: 'No sale has this id.',
  HOLD_NOT_FOUND: 'No hold has this id.',
  NOT_IN_QUEUE: 'This user has not joined the waiting room.',
  ORDER_NOT_FOUND: 'No order has this id.',
  NOT_FOUND: 'No such resource.',
  VISITORS_DISABLED: 'Anonymous visitors are not enabled; sign in with the shop.',
  POW_REQUIRED:
    'Joining this sale needs a solved challenge: POST /sales/{saleId}/challenge, then send X-Pow-Solution.',
  POW_INVALID:
    'The challenge solution is not valid for this user and sale, or it expired; get a new challenge.',
  SALE_EXISTS: 'A sale with this id already exists.',
  NOT_LIVE: 'The sale is not open for purchases.',
  SOLD_OUT: 'The sale is sold out.',
  INSUFFICIENT_STOCK: 'Fewer units are left than were asked for.',
  LIMIT_EXCEEDED: 'This would exceed the per-user limit.',
  IDEMPOTENCY_CONFLICT: 'This idempotency key was already used for a different request.',
  HOLD_EXPIRED: 'The hold expired and its units went back on sale.',
  HOLD_RELEASED: 'The hold was already released.',
  HOLD_CONFIRMED: 'The hold was already confirmed.',
  RATE_LIMITED: 'Too many requests; slow down.',
  OVERLOADED: 'The service is overloaded; try again shortly.',
  UNAVAILABLE: 'A backing service is unavailable; try again shortly.',
  INTERNAL: 'Something went wrong on our side.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/**
 * A refusal or failure with a code of the registry. `cause` (ES2022) carries what an adapter caught,
 * e.g. the driver's error behind an UNAVAILABLE: kept for logs, never sent to clients.
 */
export class FlashsaleError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message ?? ERROR_MESSAGES[code], options);
    this.name = 'FlashsaleError';
    this.code = code;
    this.details = details;
  }
}

/**
 * Whether `error` is a FlashsaleError, and (when codes are given) one with one of those codes:
 * `isFlashsaleError(error, 'SALE_NOT_FOUND')` instead of an instanceof check and a code comparison.
 */
export function isFlashsaleError(error: unknown, ...codes: ErrorCode[]): error is FlashsaleError {
  return error instanceof FlashsaleError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * A backing service (Redis, the database, the job queue) could not be reached: the caller may retry,
 * nothing was half-done. Adapters throw this with the driver's error as the cause, so no layer above
 * them needs to know what a driver's failures look like.
 */
export function unavailable(cause: unknown): FlashsaleError {
  return new FlashsaleError('UNAVAILABLE', undefined, undefined, { cause });
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_MESSAGES, value);
}
