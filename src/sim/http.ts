/**
 * The simulator's HTTP client: one undici Pool (keep-alive connections to the service) for every
 * buyer, latency per route in bounded histograms, answers counted by route and status.
 */
import { Pool } from 'undici';
import { Histogram } from './histogram.ts';
import { parseRetryAfter } from './retry.ts';
import { PerSecond } from './series.ts';

export const ROUTES = ['visitor', 'challenge', 'join', 'poll', 'leave', 'checkout', 'order'] as const;
export type Route = (typeof ROUTES)[number];

export interface Reply {
  /** 0: no answer (connection refused or reset, timeout). */
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the service, read field by field
  body: any;
  retryAfterMs: number | null;
  /** Error code of a request without an answer. */
  error: string | null;
}

export interface RequestSpec {
  route: Route;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export class SimHttp {
  readonly latency = Object.fromEntries(ROUTES.map((r) => [r, new Histogram()])) as Record<Route, Histogram>;
  readonly statuses = new Map<string, number>();
  readonly perSecond = new PerSecond();
  requests = 0;
  inFlight = 0;
  private readonly pool: Pool;

  constructor(
    origin: string,
    connections: number,
    private readonly clock: () => number,
    /** The source address of the connections (a bot crowd's own IP on loopback); null: the system's. */
    localAddress: string | null = null,
  ) {
    this.pool = new Pool(origin, {
      connections,
      ...(localAddress === null ? {} : { localAddress }),
      pipelining: 1,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      keepAliveTimeout: 30_000,
    });
  }

  async send(spec: RequestSpec): Promise<Reply> {
    const started = this.clock();
    this.inFlight += 1;
    let reply: Reply;
    try {
      const response = await this.pool.request({
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        body: spec.body,
      });
      const text = await response.body.text();
      let body: unknown = null;
      if (text.length > 0 && text[0] === '{') {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      reply = {
        status: response.statusCode,
        body,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
        error: null,
      };
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name ?? 'ERROR';
      reply = { status: 0, body: null, retryAfterMs: null, error: code };
    }
    this.inFlight -= 1;
    const ended = this.clock();
    this.requests += 1;
    if (reply.status > 0) this.latency[spec.route].record(ended - started);
    const key = `${spec.route} ${reply.status || reply.error}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    this.perSecond.add(spec.route, ended);
    return reply;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const ADMIN_ATTEMPTS = 5;

/** A small client for the admin API, on its own connections so a busy buyer pool never delays it. */
export class AdminClient {
  private readonly pool: Pool;

  constructor(
    origin: string,
    private readonly adminKey: string,
  ) {
    this.pool = new Pool(origin, { connections: 2, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  /**
   * One admin call. A 429 or 503 is tried again after its Retry-After (a few times, about half a
   * minute at most): the service's per-IP limit counts the simulator's admin calls together with its
   * buyers', and a start or a stats read lost to it would end the run for nothing.
   */
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the service
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> {
    for (let attempt = 1; ; attempt++) {
      const reply = await this.once(method, path, body);
      if ((reply.status !== 429 && reply.status !== 503) || attempt >= ADMIN_ATTEMPTS) return reply;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, reply.retryAfterMs ?? 1000)));
    }
  }

  private async once(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the service
  ): Promise<{ status: number; body: any; retryAfterMs: number | null }> {
    const response = await this.pool.request({
      method,
      path: `/api/v1/admin${path}`,
      headers: {
        authorization: `Bearer ${this.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      body: text ? JSON.parse(text) : null,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
