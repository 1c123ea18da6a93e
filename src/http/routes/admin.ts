/**
 * The admin API under /api/v1/admin, for operators holding FLASHSALE_ADMIN_KEY: create sales, steer
 * them (start, pause, resume, end) and watch their numbers. The catalog row in the database is the
 * record of a sale; the engine holds its live state. Answers combine both.
 */
import type { FastifyPluginAsync } from 'fastify';
import { publishSale } from '../../app.ts';
import type { SaleRecord } from '../../db/records.ts';
import { FlashsaleError, isFlashsaleError } from '../../domain/errors.ts';
import {
  type AdmissionSettings,
  DEFAULT_ADMISSION,
  MAX_INSTANT,
  PRINTABLE,
  type Queueing,
} from '../../domain/sale.ts';
import type { SaleView } from '../../engine/types.ts';
import { isCurrent, loadMissingSale } from '../../orders/recovery.ts';
import { checkAdminKey } from '../auth.ts';
import type { HttpContext } from '../context.ts';
import { SECURITY } from '../openapi.ts';
import { errors, SALE_ID, SALE_STATES, saleParams } from '../schemas.ts';

const DEFAULT_PER_USER_LIMIT = 1;
const DEFAULT_HOLD_SECONDS = 300;
/** The largest instant a JavaScript Date (and so the database layer) can hold. */

const int = (minimum: number, maximum: number, description: string, extra: object = {}) =>
  ({ type: 'integer', minimum, maximum, description, ...extra }) as const;
const instant = (description: string) => int(0, MAX_INSTANT, `${description} (epoch ms)`);

const admissionProperties = {
  perSecond: int(1, 1_000_000, 'Users admitted per second at most', { default: DEFAULT_ADMISSION.perSecond }),
  maxActive: int(1, 100_000_000, 'Admitted shoppers at once at most', {
    default: DEFAULT_ADMISSION.maxActive,
  }),
  sessionSeconds: int(1, 86_400, 'How long an admitted user may shop', {
    default: DEFAULT_ADMISSION.sessionSeconds,
  }),
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'priceCents', 'totalStock', 'startsAt', 'endsAt'],
  properties: {
    id: { ...SALE_ID, description: 'Chosen by the operator; used in every URL of the sale' },
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: PRINTABLE.source },
    description: { type: 'string', maxLength: 4000, default: '', pattern: '^[^\\u0000]*$' },
    priceCents: int(0, 2_147_483_647, 'Unit price in the minor unit of the currency'),
    currency: { type: 'string', pattern: '^[A-Z]{3}$', default: 'EUR', description: 'ISO 4217' },
    totalStock: int(1, 1_000_000_000, 'Units for sale'),
    perUserLimit: int(1, 1000, 'Units one user may buy at most', { default: DEFAULT_PER_USER_LIMIT }),
    prequeueAt: instant('The waiting room opens; default startsAt'),
    startsAt: instant('Admission and purchases begin'),
    endsAt: instant('The sale ends; after startsAt'),
    queueing: {
      type: 'string',
      enum: ['fifo', 'shuffle'],
      default: 'fifo',
      description: 'Order of the pre-queue at the start: arrival, or a seeded shuffle anyone can re-check',
    },
    shuffleSeed: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: PRINTABLE.source,
      description: 'Default: random',
    },
    admission: { type: 'object', additionalProperties: false, properties: admissionProperties },
    holdSeconds: int(1, 86_400, 'How long a reservation holds its units before they go back on sale', {
      default: DEFAULT_HOLD_SECONDS,
    }),
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
    ...['admission', 'holdSeconds', 'createdAt', 'loaded'],
  ],
  properties: {
    ...createBody.properties,
    admission: { type: 'object', properties: admissionProperties },
    createdAt: instant('Published'),
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
      ...counts('pending', 'confirmed', 'failed', 'expired'),
      description: 'failed includes orders PostgreSQL refused as an oversell',
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
}

type SaleParams = { Params: { saleId: string } };

const ACTIONS = ['start', 'pause', 'resume', 'end'] as const;
const ACTION_SUMMARY: Record<(typeof ACTIONS)[number], string> = {
  start: 'Open the sale now (moves startsAt back to now if it is later)',
  pause: 'Pause admission and purchases; the queue keeps its order',
  resume: 'Resume a paused sale',
  end: 'End the sale now; holds in flight still finish',
};

/** The catalog record with the engine's live view over it (the engine's schedule wins: start moves it). */
function present(record: SaleRecord, view: SaleView | null) {
  if (view === null) return { ...record, loaded: false };
  const { state, flags, stock, prequeueAt, startsAt, endsAt } = view;
  return { ...record, prequeueAt, startsAt, endsAt, loaded: true, state, flags, stock };
}

export const adminRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (server, { ctx }) => {
  const { app } = ctx;
  const security = [{ [SECURITY.admin]: [] }];

  // Before validation, so a caller without the key learns nothing about the admin API but 401.
  server.addHook('preValidation', async (request) => checkAdminKey(request, ctx.adminKey));

  const recordOf = async (saleId: string): Promise<SaleRecord> => {
    const record = await app.store.getSale(saleId);
    if (record === null) throw new FlashsaleError('SALE_NOT_FOUND');
    return record;
  };

  /**
   * Runs an engine call on a sale, first loading it from the catalog if the engine lost it (a
   * restarted embedded process, a Redis that lost data) and no worker has reloaded it yet.
   */
  const onEngine = async <T>(saleId: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (!isFlashsaleError(error, 'SALE_NOT_FOUND')) throw error;
      const record = await recordOf(saleId);
      if (!isCurrent(record, app.clock.now())) throw error;
      await loadMissingSale(app.engine, app.store, record);
      return fn();
    }
  };

  server.post<{ Body: CreateSaleBody }>(
    '/sales',
    {
      schema: {
        tags: ['admin'],
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
        perUserLimit: body.perUserLimit ?? DEFAULT_PER_USER_LIMIT,
        holdSeconds: body.holdSeconds ?? DEFAULT_HOLD_SECONDS,
      });
      reply.code(201).header('location', `/api/v1/admin/sales/${body.id}`);
      return present(await recordOf(body.id), view);
    },
  );

  server.get(
    '/sales',
    {
      schema: {
        tags: ['admin'],
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
    async () => {
      const records = await app.catalog.list();
      const views = await Promise.all(records.map((r) => app.engine.getSale(r.id)));
      return { sales: records.map((r, i) => present(r, views[i] ?? null)) };
    },
  );

  server.get<SaleParams>(
    '/sales/:saleId',
    {
      schema: {
        tags: ['admin'],
        summary: 'One sale, with its live state and shuffle seed',
        security,
        params: saleParams,
        response: { 200: adminSale, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { saleId } = request.params;
      const record = await recordOf(saleId);
      return present(record, await app.engine.getSale(saleId));
    },
  );

  for (const action of ACTIONS) {
    server.post<SaleParams>(
      `/sales/:saleId/${action}`,
      {
        schema: {
          tags: ['admin'],
          summary: ACTION_SUMMARY[action],
          security,
          params: saleParams,
          response: { 200: adminSale, ...errors(400, 401, 404, 503) },
        },
      },
      async (request) => {
        const { saleId } = request.params;
        const view = await onEngine(saleId, () => app.engine[action](saleId));
        return present(await recordOf(saleId), view);
      },
    );
  }

  server.get<SaleParams>(
    '/sales/:saleId/stats',
    {
      schema: {
        tags: ['admin'],
        summary: 'Stock, waiting room and order counts of a sale',
        security,
        params: saleParams,
        response: { 200: statsSchema, ...errors(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { saleId } = request.params;
      const [stats, orders] = await Promise.all([
        onEngine(saleId, () => app.engine.stats(saleId)),
        app.store.orderCounts(saleId),
      ]);
      return {
        stock: { total: stats.total, available: stats.available, held: stats.held, sold: stats.sold },
        queue: { waiting: stats.waiting, admitted: stats.admitted, active: stats.active },
        orders: {
          pending: orders.pending,
          confirmed: orders.confirmed,
          // To an operator as to the buyer, an order PostgreSQL refused as an oversell has failed.
          failed: orders.failed + orders.rejected,
          expired: orders.expired,
        },
      };
    },
  );
};
