/**
 * The admin API under /api/v1/admin, for operators holding FLASHSALE_ADMIN_KEY: create sales, steer
 * them (start, pause, resume, end) and watch their numbers. The catalog row in the database is the
 * record of a sale; the engine holds its live state. Answers combine both.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PUBLIC_ORDER_STATUSES } from '../../domain/order.ts';
import { SPREAD_FROM_BUYERS } from '../../domain/parts.ts';
import {
  type AdmissionSettings,
  CURRENCY_PATTERN,
  NO_NUL,
  PRINTABLE,
  QUEUEING_MODES,
  type Queueing,
  SALE_DEFAULTS,
  SALE_LIMITS,
  SALE_STATES,
} from '../../domain/sale.ts';
import { archiveSale } from '../../sales/archive.ts';
import { controlSale, SALE_ACTION_SUMMARY, SALE_ACTIONS, saleRecord } from '../../sales/control.ts';
import { HISTORY_POINTS, readSaleHistory } from '../../sales/history.ts';
import { publishSale } from '../../sales/publish.ts';
import {
  listSalesWithState,
  type SaleWithState,
  saleCounters,
  saleFigures,
  saleWithState,
} from '../../sales/read.ts';
import { checkAdminKey } from '../auth.ts';
import type { HttpContext } from '../context.ts';
import { SECURITY } from '../openapi.ts';
import { errors, IMAGE_URL, SALE_ID, saleParams } from '../schemas.ts';

/** An integer within one of the domain's ranges (SALE_LIMITS), so the schema and normalizeSale agree. */
const int = (range: { min: number; max: number }, description: string, extra: object = {}) =>
  ({ type: 'integer', minimum: range.min, maximum: range.max, description, ...extra }) as const;
const instant = (description: string) => int(SALE_LIMITS.instant, `${description} (epoch ms)`);

const admissionLimits = SALE_LIMITS.admission;
const admissionDefaults = SALE_DEFAULTS.admission;
const admissionProperties = {
  perSecond: int(admissionLimits.perSecond, 'Users admitted per second at most', {
    default: admissionDefaults.perSecond,
  }),
  maxActive: int(admissionLimits.maxActive, 'Admitted shoppers at once at most', {
    default: admissionDefaults.maxActive,
  }),
  sessionSeconds: int(admissionLimits.sessionSeconds, 'How long an admitted user may shop', {
    default: admissionDefaults.sessionSeconds,
  }),
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'priceCents', 'totalStock', 'startsAt', 'endsAt'],
  properties: {
    id: { ...SALE_ID, description: 'Chosen by the operator; used in every URL of the sale' },
    name: { type: 'string', ...SALE_LIMITS.name, pattern: PRINTABLE.source },
    description: {
      type: 'string',
      ...SALE_LIMITS.description,
      default: SALE_DEFAULTS.description,
      pattern: NO_NUL.source,
    },
    priceCents: int(SALE_LIMITS.priceCents, 'Unit price in the minor unit of the currency'),
    currency: {
      type: 'string',
      pattern: CURRENCY_PATTERN.source,
      default: SALE_DEFAULTS.currency,
      description: 'ISO 4217',
    },
    totalStock: int(SALE_LIMITS.totalStock, 'Units for sale'),
    perUserLimit: int(SALE_LIMITS.perUserLimit, 'Units one user may buy at most', {
      default: SALE_DEFAULTS.perUserLimit,
    }),
    prequeueAt: instant(
      'The waiting room opens: joiners wait in the pre-queue, ordered at the start as `queueing` says. ' +
        'Default: when the sale is published (or startsAt, if that is earlier). A later instant keeps ' +
        'the room closed until then: joining before it answers 409 NOT_LIVE',
    ),
    startsAt: instant('Admission and purchases begin'),
    endsAt: instant('The sale ends; after startsAt'),
    queueing: {
      type: 'string',
      enum: QUEUEING_MODES,
      default: SALE_DEFAULTS.queueing,
      description: 'Order of the pre-queue at the start: arrival, or a seeded shuffle anyone can re-check',
    },
    shuffleSeed: {
      type: 'string',
      ...SALE_LIMITS.shuffleSeed,
      pattern: PRINTABLE.source,
      description: 'Default: random',
    },
    admission: { type: 'object', additionalProperties: false, properties: admissionProperties },
    imageUrl: IMAGE_URL,
    powDifficulty: int(
      SALE_LIMITS.powDifficulty,
      'Leading zero bits of SHA-256 a buyer must find to join (about 2^n hashes; each further ' +
        'bit doubles the work; it rises with the join rate, see README); 0: joining needs no proof',
      { default: SALE_DEFAULTS.powDifficulty },
    ),
    holdSeconds: int(
      SALE_LIMITS.holdSeconds,
      'How long a reservation holds its units before they go back on sale',
      {
        default: SALE_DEFAULTS.holdSeconds,
      },
    ),
    parts: int(
      SALE_LIMITS.parts,
      'Parts the waiting room and stock are split into, each on its own Redis Cluster shard ' +
        '(docs/parts.md); not above totalStock, admission.perSecond or admission.maxActive. Default: ' +
        `one per cluster master when expectedBuyers is ${SPREAD_FROM_BUYERS} or more, else 1`,
    ),
    expectedBuyers: int(
      { min: 0, max: 1_000_000_000 },
      'The crowd expected at the start; it sets the default of parts (not stored)',
    ),
  },
} as const;

const counts = (...names: string[]) =>
  ({
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, { type: 'integer' }])),
  }) as const;

const STOCK = counts('total', 'available', 'held', 'sold');

const adminSale = {
  type: 'object',
  description: 'A sale: its catalog record with the live state the engine holds',
  required: [
    ...createBody.required,
    ...['description', 'currency', 'perUserLimit', 'prequeueAt', 'queueing', 'shuffleSeed'],
    ...['admission', 'holdSeconds', 'powDifficulty', 'createdAt', 'loaded'],
  ],
  properties: {
    ...createBody.properties,
    admission: { type: 'object', properties: admissionProperties },
    createdAt: instant('Published'),
    archivedAt: instant('Archived: off the storefront, kept here (absent while listed)'),
    loaded: { type: 'boolean', description: 'The engine holds the sale (workers load current sales)' },
    state: { type: 'string', enum: SALE_STATES },
    flags: {
      type: 'object',
      properties: { paused: { type: 'boolean' }, ended: { type: 'boolean' } },
    },
    stock: { ...STOCK, description: 'Invariant: total = available + held + sold' },
  },
} as const;

const statsSchema = {
  type: 'object',
  description: 'The live counters of a sale',
  required: ['stock', 'queue', 'orders'],
  properties: {
    stock: STOCK,
    queue: {
      ...counts('waiting', 'admitted', 'active'),
      description: 'admitted: since the start; active: sessions running and not checked out',
    },
    orders: {
      ...counts(...PUBLIC_ORDER_STATUSES),
      description: 'failed includes orders PostgreSQL refused as an oversell',
    },
  },
} as const;

const historySchema = {
  type: 'object',
  description:
    "A sale's counters sampled by the workers every FLASHSALE_HISTORY_INTERVAL_MS, from the opening of " +
    'its waiting room to a few minutes after its end, oldest first',
  required: ['points'],
  properties: {
    points: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', ...statsSchema.required],
        properties: {
          at: instant('When the sample was taken, rounded down to the sampling interval'),
          ...statsSchema.properties,
        },
      },
    },
  },
} as const;

interface CreateSaleBody {
  id: string;
  name: string;
  description?: string;
  priceCents: number;
  currency?: string;
  totalStock: number;
  perUserLimit?: number;
  prequeueAt?: number;
  startsAt: number;
  endsAt: number;
  queueing?: Queueing;
  shuffleSeed?: string;
  admission?: Partial<AdmissionSettings>;
  holdSeconds?: number;
  imageUrl?: string;
  powDifficulty?: number;
  parts?: number;
  expectedBuyers?: number;
}

type SaleParams = { Params: { saleId: string } };
type HistoryQuery = { Querystring: { points?: string } };
/** 2 to 1000 (HISTORY_POINTS), as a query string's digits. */
const HISTORY_POINTS_PATTERN = '^([2-9]|[1-9][0-9]{1,2}|1000)$';

/** The catalog record with the engine's live view over it (the engine's schedule wins: start moves it). */
function present({ record, view }: SaleWithState) {
  if (view === null) return { ...record, loaded: false };
  const { state, flags, stock, prequeueAt, startsAt, endsAt } = view;
  return { ...record, prequeueAt, startsAt, endsAt, loaded: true, state, flags, stock };
}

export const adminRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (server, { ctx }) => {
  const { app } = ctx;
  const security = [{ [SECURITY.admin]: [] }];

  // Before validation, so a caller without the key learns nothing about the admin API but 401.
  server.addHook('preValidation', async (request) => checkAdminKey(request, ctx.adminKey));

  server.post<{ Body: CreateSaleBody }>(
    '/sales',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createSale',
        summary: 'Publish a sale: the catalog row, then the engine counters',
        description:
          'Cross-field rules (endsAt after startsAt, prequeueAt not after startsAt) answer 400 INVALID_SALE.',
        security,
        body: createBody,
        response: { 201: adminSale, ...errors(400, 401, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const view = await publishSale(app, {
        ...body,
        perUserLimit: body.perUserLimit ?? SALE_DEFAULTS.perUserLimit,
        holdSeconds: body.holdSeconds ?? SALE_DEFAULTS.holdSeconds,
      });
      reply.code(201).header('location', `/api/v1/admin/sales/${body.id}`);
      return present({ record: await saleRecord(app, body.id), view });
    },
  );

  server.get(
    '/sales',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listSales',
        summary: 'Every sale in the catalog, with its live state',
        security,
        response: {
          200: {
            type: 'object',
            description: 'Every sale, by start',
            required: ['sales'],
            properties: { sales: { type: 'array', items: adminSale } },
          },
          ...errors(401, 503),
        },
      },
    },
    async () => ({ sales: (await listSalesWithState(app)).map(present) }),
  );

  server.get<SaleParams>(
    '/sales/:saleId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getSaleAdmin',
        summary: 'One sale, with its live state and shuffle seed',
        security,
        params: saleParams,
        response: { 200: adminSale, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => present(await saleWithState(app, request.params.saleId)),
  );

  for (const action of SALE_ACTIONS) {
    server.post<SaleParams>(
      `/sales/:saleId/${action}`,
      {
        schema: {
          tags: ['admin'],
          operationId: `${action}Sale`,
          summary: SALE_ACTION_SUMMARY[action],
          security,
          params: saleParams,
          response: { 200: adminSale, ...errors(400, 401, 404, 503) },
        },
      },
      async (request) => {
        const { saleId } = request.params;
        const view = await controlSale(app, saleId, action);
        return present({ record: await saleRecord(app, saleId), view });
      },
    );
  }

  server.post<SaleParams>(
    '/sales/:saleId/archive',
    {
      schema: {
        tags: ['admin'],
        operationId: 'archiveSale',
        summary: 'Archive a sale: off the storefront, kept in the console and the database',
        description:
          'Ends the sale first if it is still running (holds in flight finish). Archiving again changes nothing.',
        security,
        params: saleParams,
        response: { 200: adminSale, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { saleId } = request.params;
      const record = await archiveSale(app, saleId);
      return present({ record, view: await app.engine.getSale(saleId) });
    },
  );

  server.get<SaleParams>(
    '/sales/:saleId/stats',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getSaleStats',
        summary: 'Stock, waiting room and order counts of a sale',
        security,
        params: saleParams,
        response: { 200: statsSchema, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => saleFigures(await saleCounters(app, request.params.saleId)),
  );

  server.get<SaleParams & HistoryQuery>(
    '/sales/:saleId/history',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getSaleHistory',
        summary: "A sale's counters over time, for charts that start at its opening",
        description:
          'A longer history is thinned to `points` samples (every k-th sample, and always the latest), ' +
          'each one a real instant. The request metrics (errors, latency) are per process and not kept.',
        security,
        params: saleParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            // A query string is text, and this service never coerces types: the pattern is the range.
            points: {
              type: 'string',
              pattern: HISTORY_POINTS_PATTERN,
              description: `The most samples to return, ${HISTORY_POINTS.min} to ${HISTORY_POINTS.max}; default ${HISTORY_POINTS.default}`,
            },
          },
        },
        response: { 200: historySchema, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => ({
      points: await readSaleHistory(
        app,
        request.params.saleId,
        request.query.points === undefined ? undefined : Number(request.query.points),
      ),
    }),
  );
};
