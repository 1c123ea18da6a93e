/**
 * An HTTP service on a shape (embedded or production), for route tests through `inject()` and
 * through a real socket. One harness, so every HTTP suite runs the same way on both shapes.
 */
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import type { App } from '../../src/app.ts';
import type { SaleCatalog } from '../../src/db/records.ts';
import type { SaleInput } from '../../src/domain/sale.ts';
import { createHttpContext, type HttpContext, type HttpContextOptions } from '../../src/http/context.ts';
import { buildServer } from '../../src/http/server.ts';
import { startWorker } from '../../src/orders/worker.ts';
import { publishSale } from '../../src/sales/publish.ts';
import { type Shape, TEST_ENV } from '../pipeline/shapes.ts';

export interface HttpHarness {
  app: App;
  ctx: HttpContext;
  server: FastifyInstance;
  /** Headers of the admin key. */
  admin: { authorization: string };
  /** A user token signed with the shop's secret, as the shop's login would issue. */
  userToken(userId: string): Promise<string>;
  /** Starts the order worker (and ticks) in this process. */
  startWorker(ticks?: boolean): void;
  close(): Promise<void>;
}

export async function userToken(
  userId: string,
  secret = TEST_ENV.FLASHSALE_USER_SECRET,
  claims: { email?: string; name?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

/**
 * Load shedding answers 503 OVERLOADED once the event loop lags past a wall-clock threshold (1 s by
 * default): on a busy test machine any suite could meet it. Off unless a test sets its own threshold
 * (protection.test.ts does, to test shedding itself).
 */
const NO_LOAD_SHEDDING = { FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000' };

export async function startHttp(
  shape: Shape,
  env: Record<string, string> = {},
  options: HttpContextOptions = {},
): Promise<HttpHarness> {
  const app = await shape.make({}, { ...NO_LOAD_SHEDDING, ...env });
  const ctx = await createHttpContext(app, options);
  const server = await buildServer(ctx);
  await server.ready();
  let stopWorker: (() => Promise<void>) | null = null;
  return {
    app,
    ctx,
    server,
    admin: { authorization: `Bearer ${ctx.adminKey}` },
    userToken: (userId) => userToken(userId),
    startWorker(ticks = false) {
      stopWorker = startWorker(app, {
        concurrency: 16,
        ticks: ticks ? { admitEveryMs: 50, sweepEveryMs: 200, syncEveryMs: 1000, sweepBatch: 500 } : false,
      });
    },
    async close() {
      await server.close();
      await stopWorker?.();
      await app.close();
    },
  };
}

/** A live sale (starts now unless told otherwise) published through the composition root. */
export function liveSale(app: App, over: Partial<SaleInput & SaleCatalog> = {}) {
  const now = app.clock.now();
  return publishSale(app, {
    id: `h-${crypto.randomUUID().slice(0, 8)}`,
    name: 'HTTP test drop',
    description: 'Sneakers',
    priceCents: 12_900,
    currency: 'EUR',
    totalStock: 20,
    perUserLimit: 2,
    startsAt: now,
    endsAt: now + 3_600_000,
    holdSeconds: 300,
    admission: { perSecond: 1000, maxActive: 1000, sessionSeconds: 600 },
    ...over,
  });
}
