/**
 * Stand-ins for the service, for the simulator's own tests. Both speak the buyer and admin API:
 * - `oversell` accepts every checkout whatever the stock: the invariants must catch it;
 * - `flaky` is correct but sheds load: the first try of every checkout gets 503 + Retry-After, some
 *   polls 429 + Retry-After, some visitor requests a reset connection. A client that retries with the
 *   same Idempotency-Key completes the sale without a duplicate;
 * - `limited` refuses the simulator's admin "start" with 429 RATE_LIMITED, as a service whose per-IP
 *   limit the buyers used up would: the run must stop and say why.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface StubService {
  url: string;
  /** Checkout requests per idempotency key, and orders created per key. */
  tries: Map<string, number>;
  ordersPerKey: Map<string, number>;
  /** `POST <path>` of every admin action the simulator took on a sale. */
  adminActions: string[];
  close(): Promise<void>;
}

async function read(request: IncomingMessage): Promise<{ totalStock?: number; quantity?: number } | null> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : null;
}

export async function startStubService(mode: 'oversell' | 'flaky' | 'limited'): Promise<StubService> {
  const adminActions: string[] = [];
  let total = 0;
  let sold = 0;
  let visitors = 0;
  let polls = 0;
  const orders = new Map<string, number>();
  const byKey = new Map<string, string>();
  const tries = new Map<string, number>();
  const ordersPerKey = new Map<string, number>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      response
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body));
    const shed = (status: number, code: string) =>
      send(status, { error: { code, message: 'busy' } }, { 'retry-after': '1' });
    const url = request.url ?? '';
    const body = await read(request);
    const soldOut = mode === 'flaky' && sold >= total;
    if (url === '/api/v1/admin/sales' && request.method === 'GET') return send(200, { sales: [] });
    if (url === '/api/v1/admin/sales') {
      total = body?.totalStock ?? 0;
      return send(201, { ...body, state: 'prequeue' });
    }
    if (url.endsWith('/stats')) {
      return send(200, {
        stock: { total, available: mode === 'flaky' ? total - sold : 0, held: 0, sold },
        queue: { waiting: 0, admitted: visitors, active: 0 },
        orders: { pending: 0, confirmed: orders.size, failed: 0, expired: 0 },
      });
    }
    if (url.startsWith('/api/v1/admin/sales/') && request.method === 'POST') {
      adminActions.push(`POST ${url}`);
      if (mode === 'limited' && url.endsWith('/start'))
        return send(
          429,
          { error: { code: 'RATE_LIMITED', message: 'Too many requests' } },
          { 'retry-after': '0' },
        );
    }
    if (url.startsWith('/api/v1/admin/sales/')) return send(200, {});
    if (url === '/api/v1/visitors') {
      if (mode === 'flaky' && ++visitors % 5 === 0) return request.socket.destroy();
      return send(201, { token: `t${++visitors}`, userId: `u${visitors}` });
    }
    if (url.endsWith('/queue')) {
      if (mode === 'flaky' && request.method === 'GET' && ++polls % 3 === 0) return shed(429, 'RATE_LIMITED');
      const joining = request.method === 'POST';
      const state = soldOut ? 'sold_out' : mode === 'flaky' && joining ? 'waiting' : 'admitted';
      const admission = { token: 'a', expiresAt: Date.now() + 60_000 };
      return send(200, { state, position: 1, ahead: 0, etaSeconds: 1, pollAfterMs: 100, admission });
    }
    if (url.endsWith('/checkout')) {
      const key = `${request.headers.authorization}\n${request.headers['idempotency-key']}`;
      const attempt = (tries.get(key) ?? 0) + 1;
      tries.set(key, attempt);
      if (mode === 'flaky' && attempt === 1) return shed(503, 'OVERLOADED');
      const quantity = body?.quantity ?? 1;
      let orderId = byKey.get(key);
      if (orderId === undefined) {
        if (mode === 'flaky' && sold + quantity > total)
          return send(409, { error: { code: 'SOLD_OUT', message: '' } });
        orderId = `sale.${randomUUID()}`;
        byKey.set(key, orderId);
        orders.set(orderId, quantity);
        ordersPerKey.set(key, (ordersPerKey.get(key) ?? 0) + 1);
        sold += quantity;
      }
      return send(202, { orderId, status: 'pending', holdExpiresAt: Date.now() + 60_000 });
    }
    if (url.startsWith('/api/v1/orders/')) {
      const id = url.slice('/api/v1/orders/'.length);
      return send(200, { orderId: id, quantity: orders.get(id), status: 'confirmed' });
    }
    return send(404, { error: { code: 'NOT_FOUND', message: '' } });
  };

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    tries,
    ordersPerKey,
    adminActions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
