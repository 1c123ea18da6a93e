/**
 * The storefront and the admin console: server-rendered HTML shells (`no-cache` + ETag, so a
 * CDN revalidates them cheaply) and static assets under content-hashed names, cacheable forever.
 * Pages call the JSON API (/api/v1) from the browser; nothing here changes state.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FlashsaleError } from '../../domain/errors.ts';
import { orderNumberOf } from '../../domain/order.ts';
import { SALE_ID_PATTERN } from '../../domain/sale.ts';
import { parseOrderId } from '../../orders/checkout.ts';
import { isListed } from '../../sales/archive.ts';
import { loadAssets } from '../../web/assets.ts';
import { type ListedSale, loadPages, themeCss } from '../../web/pages.ts';
import { notModified, strongEtag } from '../conditional.ts';
import type { HttpContext } from '../context.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Scripts, styles and API calls from this origin only; no inline code, no framing. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Product pictures and the shop's logo may live on the shop's own image host.
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
/** The home page lists sales from the database: render it at most once a second, whatever the crowd. */
const HOME_TTL_MS = 1000;

function sendHtml(request: FastifyRequest, reply: FastifyReply, html: string, status = 200) {
  const etag = strongEtag(html);
  reply
    .header('cache-control', 'no-cache')
    .header('etag', etag)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8');
  if (status === 200 && notModified(request, etag)) return reply.code(304).send();
  return reply.code(status).send(html);
}

/** The best encoding the client accepts among those precomputed (q=0 refuses one). */
function encodingFor(request: FastifyRequest): 'br' | 'gzip' | null {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return null;
  const accepted = new Set(
    header
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => q === undefined || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name?.trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

export const webRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (server, { ctx }) => {
  const { app } = ctx;
  const assets = loadAssets();
  const { theme } = app.config;
  const pages = loadPages(assets, theme);
  const themeStyles = themeCss(theme);
  const themeEtag = strongEtag(themeStyles);
  const adminHtml = pages.admin();
  const hidden = { schema: { hide: true } };

  server.get<{ Params: { file: string } }>('/assets/:file', hidden, async (request, reply) => {
    const asset = assets.byHashed.get(request.params.file);
    if (asset === undefined) throw new FlashsaleError('NOT_FOUND');
    reply
      .header('cache-control', IMMUTABLE)
      .header('etag', asset.etag)
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff')
      .type(asset.type);
    if (notModified(request, asset.etag)) return reply.code(304).send();
    const encoding = encodingFor(request);
    if (encoding === null) return reply.send(asset.body);
    reply.header('content-encoding', encoding);
    return reply.send(encoding === 'br' ? asset.brotli : asset.gzip);
  });

  let home: { at: number; html: Promise<string> } | null = null;
  const renderHome = async (): Promise<string> => {
    // Archived sales are off the storefront; the console still lists them.
    const records = (await app.catalog.list()).filter(isListed);
    const views = await Promise.all(records.map((r) => app.engine.getSale(r.id).catch(() => null)));
    const sales: ListedSale[] = records.map((record, i) => {
      const view = views[i] ?? null;
      return { record, state: view?.state ?? null, startsAt: view?.startsAt ?? record.startsAt };
    });
    return pages.home(sales);
  };

  server.get('/', hidden, async (request, reply) => {
    const now = Date.now();
    if (home === null || now - home.at >= HOME_TTL_MS) {
      const html = renderHome();
      const entry = { at: now, html };
      home = entry;
      // A failed render must not be served for the next second.
      html.catch(() => {
        if (home === entry) home = null;
      });
    }
    return sendHtml(request, reply, await home.html);
  });

  server.get<{ Params: { saleId: string } }>('/sales/:saleId', hidden, async (request, reply) => {
    const { saleId } = request.params;
    const record = SALE_ID_PATTERN.test(saleId) ? await app.catalog.get(saleId) : null;
    if (record === null) return sendHtml(request, reply, pages.notFound('No sale has this address.'), 404);
    if (!isListed(record))
      return sendHtml(request, reply, pages.notFound('This sale is over and no longer listed.'), 404);
    return sendHtml(request, reply, pages.sale(record));
  });

  // The order's own page: a shell; the script reads the order with the buyer's token (orders are private).
  server.get<{ Params: { orderId: string } }>('/orders/:orderId', hidden, async (request, reply) => {
    const { orderId } = request.params;
    if (parseOrderId(orderId) === null)
      return sendHtml(request, reply, pages.notFound('No order has this address.'), 404);
    return sendHtml(request, reply, pages.order(orderId, orderNumberOf(orderId)));
  });

  // The shop's accent colour, as a stylesheet (the CSP allows no inline styles).
  server.get('/theme.css', hidden, async (request, reply) => {
    reply.header('cache-control', 'no-cache').header('etag', themeEtag).type('text/css; charset=utf-8');
    if (notModified(request, themeEtag)) return reply.code(304).send();
    return reply.send(themeStyles);
  });

  server.get('/admin', hidden, async (request, reply) => sendHtml(request, reply, adminHtml));
};
