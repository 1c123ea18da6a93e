/**
 * JSON schemas shared by the routes: Fastify validates requests with them (a mismatch is a 400
 * INVALID_REQUEST through the error handler), serializes responses with them, and the OpenAPI
 * document is generated from them. Inline objects rather than `$ref`s, so a route's schema is
 * complete wherever the route is registered (encapsulated plugins do not share `addSchema`).
 *
 * Every instant in the API is epoch milliseconds (UTC), as in the engine and the database layer.
 */
import { ERROR_MESSAGES, type ErrorCode } from '../domain/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/hold.ts';
import { PAYMENT_METHOD_PATTERN, PUBLIC_ORDER_STATUSES } from '../domain/order.ts';
import { PUBLIC_QUEUE_STATES } from '../domain/queue.ts';
import { QUANTITY_LIMITS, SALE_ID_PATTERN, SALE_STATES } from '../domain/sale.ts';
import { HTTP_STATUS } from './errors.ts';
import { SECURITY } from './openapi.ts';

/** A sale id: the domain's own pattern, so the schema and the engine cannot disagree. */
export const SALE_ID = { type: 'string', pattern: SALE_ID_PATTERN.source } as const;

const epochMs = (description: string) =>
  ({ type: 'integer', description: `${description} (epoch ms)` }) as const;
const nullableInt = (description: string) => ({ type: ['integer', 'null'], description }) as const;

export const errorSchema = {
  type: 'object',
  description: 'Every refusal: a stable code from one registry, and a human-readable message.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_MESSAGES) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** The error codes a status carries, from the one mapping in errors.ts. */
const codesOf = (status: number) =>
  (Object.keys(HTTP_STATUS) as ErrorCode[]).filter((code) => HTTP_STATUS[code] === status);

/**
 * Response schemas for the given error statuses, each with the shared error body and, as examples,
 * the codes that status carries (a 404's are not a 429's). `x-examples` becomes the media type's
 * named examples in the OpenAPI document.
 */
export function errors(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(
    statuses.map((status) => {
      const examples = Object.fromEntries(
        codesOf(status).map((code) => [
          code,
          { summary: code, value: { error: { code, message: ERROR_MESSAGES[code] } } },
        ]),
      );
      return [status, { ...errorSchema, 'x-examples': examples }];
    }),
  );
}

/** What any buyer route may answer besides its own refusals: rate limits, shedding, a store away. */
export const BUYER_ROUTE_ERRORS = [429, 503] as const;

export const saleParams = {
  type: 'object',
  required: ['saleId'],
  properties: { saleId: SALE_ID },
} as const;

/** OpenAPI security requirements (the schemes are declared in openapi.ts). */
export const USER_TOKEN_SECURITY = [{ [SECURITY.user]: [] }];
/** Both at once: checkout needs the user token and the admission token. */
export const ADMITTED_USER_SECURITY = [{ [SECURITY.user]: [], [SECURITY.admission]: [] }];

export const visitorSchema = {
  type: 'object',
  description: 'A user token for an anonymous visitor, valid for a day',
  required: ['token', 'userId'],
  properties: {
    token: { type: 'string', description: 'User token (HS256 JWT) to send as `Authorization: Bearer …`' },
    userId: { type: 'string' },
  },
} as const;

/** A product picture: an absolute http(s) URL (the database checks the scheme too). */
export const IMAGE_URL = {
  type: 'string',
  maxLength: 2048,
  pattern: '^https?://[^\\s"<>]+$',
  description: "The product's picture (absolute http or https URL)",
} as const;

export const saleSchema = {
  type: 'object',
  description: 'The sale: catalog data with its live state',
  required: [
    'id',
    'name',
    'description',
    'priceCents',
    'currency',
    'totalStock',
    'perUserLimit',
    'prequeueAt',
    'startsAt',
    'endsAt',
    'state',
    'remaining',
  ],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    priceCents: { type: 'integer', description: 'Unit price in the minor unit of the currency' },
    currency: { type: 'string', description: 'ISO 4217' },
    totalStock: { type: 'integer' },
    perUserLimit: { type: 'integer', description: 'Units one user may buy at most' },
    prequeueAt: epochMs('The waiting room opens; joining before is refused with NOT_LIVE'),
    startsAt: epochMs('Admission and purchases begin'),
    endsAt: epochMs('The sale ends'),
    state: { type: 'string', enum: SALE_STATES },
    remaining: { type: 'integer', description: 'Units neither held nor sold, a second old at most' },
    imageUrl: IMAGE_URL,
    archivedAt: epochMs('Present once an operator archived the sale: it is off the storefront'),
  },
} as const;

export const leaveQueueSchema = {
  type: 'object',
  description: 'The caller is out of the line (or has given their slot back)',
  required: ['left'],
  properties: {
    left: {
      type: 'boolean',
      description: 'True when this call took the caller out; false when they were not in line (already left)',
    },
  },
} as const;

export const queueStatusSchema = {
  type: 'object',
  description: "The caller's place in the waiting room",
  required: ['state', 'position', 'ahead', 'etaSeconds', 'pollAfterMs'],
  properties: {
    state: {
      type: 'string',
      enum: PUBLIC_QUEUE_STATES,
      description:
        'expired: admitted, but the shopping session ended (its time ran out, the buyer left, or the ' +
        'page stopped polling for the heartbeat interval); joining again takes a new place at the back',
    },
    position: nullableInt('1 = next to be admitted; null while a shuffled pre-queue awaits the start'),
    ahead: nullableInt('Users ahead in line'),
    etaSeconds: nullableInt('Estimated wait, from the measured admission rate; null when unknown'),
    pollAfterMs: nullableInt(
      'Ask again after this long; null when there is nothing to wait for. Once admitted: polls this far ' +
        'apart keep the slot (a shopper who stops polling loses it to the next in line)',
    ),
    admission: {
      type: 'object',
      description: 'Present only when admitted: send the token as `X-Admission-Token` at checkout',
      required: ['token', 'expiresAt'],
      properties: {
        token: { type: 'string', description: 'ES256 JWT bound to this user and sale (see JWKS)' },
        expiresAt: epochMs('End of the shopping session'),
      },
    },
  },
} as const;

/** X-Admission-Token is documented as a security scheme and checked by the handler (403, not 400). */
export const checkoutHeaders = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    'idempotency-key': {
      type: 'string',
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
      description: 'Chosen by the client; a retry with the same key returns the same order',
    },
  },
} as const;

export const checkoutBody = {
  type: 'object',
  required: ['quantity', 'paymentMethod'],
  additionalProperties: false,
  properties: {
    quantity: {
      type: 'integer',
      minimum: QUANTITY_LIMITS.min,
      maximum: QUANTITY_LIMITS.max,
      description: 'At most the per-user limit',
    },
    paymentMethod: { type: 'string', pattern: PAYMENT_METHOD_PATTERN.source, examples: ['pm_ok'] },
    email: {
      type: 'string',
      maxLength: 254,
      pattern: '^[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+$',
      description:
        'Where the confirmation goes when the user token has no `email` claim (the claim wins); ' +
        'without either, no message is sent',
      examples: ['ada@example.com'],
    },
  },
} as const;

const ORDER_NUMBER = {
  type: 'string',
  description: 'Short number for the buyer to quote (derived from the order id)',
  examples: ['K7Q2-9XMB'],
} as const;

export const checkoutAccepted = {
  type: 'object',
  description: 'Units held and the order queued; the payment runs next',
  required: ['orderId', 'orderNumber', 'status', 'holdExpiresAt'],
  properties: {
    orderId: { type: 'string', description: 'Poll GET /orders/{orderId} for the outcome' },
    orderNumber: ORDER_NUMBER,
    status: { type: 'string', enum: ['pending'] },
    holdExpiresAt: epochMs('The units are held for this order until then'),
  },
} as const;

export const orderParams = {
  type: 'object',
  required: ['orderId'],
  // No pattern: a malformed id is answered like an unknown one (404), not as a bad request.
  properties: { orderId: { type: 'string' } },
} as const;

export const orderSchema = {
  type: 'object',
  description: 'The order and where it stands',
  required: ['orderId', 'orderNumber', 'saleId', 'quantity', 'amountCents', 'currency', 'status'],
  properties: {
    orderId: { type: 'string' },
    orderNumber: ORDER_NUMBER,
    saleId: { type: 'string' },
    quantity: { type: 'integer' },
    amountCents: { type: 'integer' },
    currency: { type: 'string' },
    status: {
      type: 'string',
      enum: PUBLIC_ORDER_STATUSES,
      description: 'failed: payment declined or refused; expired: the hold ran out before payment',
    },
  },
} as const;

export const challengeSchema = {
  type: 'object',
  description: 'A proof-of-work challenge bound to this user and sale',
  required: ['challenge', 'difficulty', 'expiresAt'],
  properties: {
    challenge: { type: 'string', description: 'Opaque (`<payload>.<mac>`); append `.<counter>` to solve' },
    difficulty: {
      type: 'integer',
      description: 'Leading zero bits SHA-256 of the solution must have; 0: any counter will do',
    },
    expiresAt: epochMs('Join with the solution before this'),
  },
} as const;

/** The join's proof of work, checked by the route (403/428 with their own codes, not 400). */
export const joinHeaders = {
  type: 'object',
  properties: {
    'x-pow-solution': {
      type: 'string',
      description:
        '`<challenge>.<counter>` whose SHA-256 (of these exact characters) begins with `difficulty` zero bits',
    },
  },
} as const;
