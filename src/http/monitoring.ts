/**
 * Monitoring: request instrumentation, `GET /metrics` for Prometheus and the admin
 * console's `GET /api/v1/admin/metrics/summary`. Registered before every other plugin (server.ts), so
 * its hooks see every request, the ones the protection plugins refuse included.
 *
 * /metrics is open by default, as Prometheus scrapes it; FLASHSALE_METRICS_KEY makes it require
 * `Authorization: Bearer <key>`. Its per-sale figures are read at scrape time, time-boxed
 * (monitoring/collect.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { COLLECT_TIMEOUT_MS, refresh } from '../monitoring/collect.ts';
import { metricsOf } from '../monitoring/metrics.ts';
import { checkAdminKey } from './auth.ts';
import type { HttpContext } from './context.ts';
import { SECURITY } from './openapi.ts';
import { errors } from './schemas.ts';

/** The route label of a request no route matched (404s): one series, whatever URL was asked. */
export const UNMATCHED_ROUTE = 'unmatched';
export const SUMMARY_PATH = '/api/v1/admin/metrics/summary';
const QUANTILES = [0.5, 0.95, 0.99] as const;
/** A caller's X-Request-Id is echoed only if it is a short run of visible ASCII (a header can carry it). */

export interface MonitoringOptions {
  /** Budget of the scrape-time reads (tests shorten it). */
  collectTimeoutMs?: number;
}

const routeOf = (request: FastifyRequest) => request.routeOptions.url ?? UNMATCHED_ROUTE;

const count = (description: string) => ({ type: 'integer', minimum: 0, description }) as const;
const ms = (description: string) => ({ type: 'number', minimum: 0, description }) as const;

const summarySchema = {
  type: 'object',
  description:
    "This API process's figures: request counts since it started, latency percentiles over the last minute",
  required: ['at', 'pid', 'requests', 'latencyMs'],
  properties: {
    at: { type: 'integer', description: 'When the figures were taken (epoch ms)' },
    pid: {
      type: 'integer',
      description:
        'The process these figures are of: `serve --processes N` answers from any of its N, each counting its own',
    },
    requests: {
      type: 'object',
      required: ['total', 'errors5xx', 'errors4xx'],
      properties: {
        total: count('Requests answered since the process started'),
        errors5xx: count('Of which answered 5xx'),
        errors4xx: count('Of which answered 4xx'),
      },
    },
    latencyMs: {
      type: 'object',
      description: 'Over the requests of the last 60 s, within 4 %; 0 when there were none',
      required: ['p50', 'p95', 'p99'],
      properties: { p50: ms('Median'), p95: ms('95th percentile'), p99: ms('99th percentile') },
    },
  },
} as const;

export async function registerMonitoring(
  server: FastifyInstance,
  ctx: HttpContext,
  options: MonitoringOptions = {},
): Promise<void> {
  const { app } = ctx;
  const metrics = metricsOf(app);
  const collectTimeoutMs = options.collectTimeoutMs ?? COLLECT_TIMEOUT_MS;

  // The request id (ours, or the caller's X-Request-Id) goes back to the caller, who can quote it;
  // it is on every log line of the request (Fastify's request logger binds it as `reqId`).
  // Callback hooks, not async ones: an async hook costs every request a promise and a microtask turn.
  server.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  server.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, routeOf(request), reply.statusCode, reply.elapsedTime);
    done();
  });

  server.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Open unless FLASHSALE_METRICS_KEY is set; then it requires `Authorization: Bearer <key>`.',
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' }, ...errors(401) },
      },
      preValidation: async (request) => {
        if (app.config.metricsKey !== null) checkAdminKey(request, app.config.metricsKey);
      },
    },
    async (_request, reply) => {
      await refresh(app, metrics, collectTimeoutMs);
      reply.header('cache-control', 'no-store').type(metrics.contentType);
      return metrics.exposition();
    },
  );

  server.get(
    SUMMARY_PATH,
    {
      schema: {
        tags: ['admin'],
        summary: 'Request counts and latency percentiles of this API process, for live charts',
        security: [{ [SECURITY.admin]: [] }],
        response: { 200: summarySchema, ...errors(401) },
      },
      preValidation: async (request) => checkAdminKey(request, ctx.adminKey),
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const { values } = metrics.latency.percentiles(QUANTILES);
      const [p50 = 0, p95 = 0, p99 = 0] = values;
      return {
        at: Date.now(),
        pid: process.pid,
        requests: { ...metrics.requests },
        latencyMs: { p50, p95, p99 },
      };
    },
  );
}
