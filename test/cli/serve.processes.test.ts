/**
 * `flashsale serve --processes 2` on the production shape, as a real primary with its two processes:
 * both answer on the one port; a buyer who joins through one is answered through the other, and the
 * admission token one signed is accepted by the other at checkout; a process killed outright is
 * replaced; SIGTERM finishes the request in flight and exits 0.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { userToken } from '../http/harness.ts';
import { redisShape, TEST_ENV } from '../pipeline/shapes.ts';
import { hasPostgres, hasRedis } from '../support/services.ts';
import { type Cli, productionCliEnv, runCli } from './child.ts';

const ready = (await hasRedis()) && (await hasPostgres());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ADMIN = { authorization: `Bearer ${TEST_ENV.FLASHSALE_ADMIN_KEY}` };

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, checked field by field below
  body: any;
}

/**
 * A client on one keep-alive connection of its own: the primary hands each connection to one
 * process, so every request of this client is answered by the same process.
 */
function pinnedClient(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          agent,
          headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    request,
    /** Which process answers this client: the admin summary says whose figures it gives. */
    pid: async () => (await request('GET', '/api/v1/admin/metrics/summary', ADMIN)).body.pid as number,
    close: () => agent.destroy(),
  };
}
type Pinned = ReturnType<typeof pinnedClient>;

/** Two clients answered by two different processes (connections are handed out in turn). */
async function twoProcesses(port: number): Promise<[Pinned, number, Pinned, number]> {
  const first = pinnedClient(port);
  const firstPid = await first.pid();
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const other = pinnedClient(port);
    const pid = await other.pid();
    if (pid !== firstPid) return [first, firstPid, other, pid];
    other.close();
  }
  throw new Error(`every connection was answered by process ${firstPid}`);
}

describe.skipIf(!ready)('flashsale serve --processes 2, production shape', () => {
  const shape = redisShape();
  const running: Cli[] = [];
  let app: App | null = null;
  afterAll(async () => {
    for (const p of running) p.kill();
    await app?.close();
    await shape.cleanup();
  });

  it('answers from both processes, shares buyers between them, replaces a killed one, stops on SIGTERM', async () => {
    const env = {
      ...(await productionCliEnv(shape)),
      // The server logs each request as it comes in: the cue that the slow request below has begun.
      FLASHSALE_LOG_LEVEL: 'debug',
      FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000',
    };
    const serve = runCli(['serve', '--processes', '2'], env);
    running.push(serve);
    // Admission steps are `flashsale worker`'s: an app of the test's own on the same stores takes
    // them. Opened while the processes start.
    const opening = shape.make().then((made) => {
      app = made;
      return made;
    });
    const [, url] = await serve.waitFor(/listening on (http:\/\/\S+) \(production shape, 2 processes\)/);
    const port = Number(new URL(url as string).port);

    // Both processes answer, and neither is the primary.
    const [a, pidA, b, pidB] = await twoProcesses(port);
    expect([pidA, pidB]).not.toContain(serve.child.pid);

    // A sale created through A; a buyer joins through A and is answered through B.
    const now = Date.now();
    const sale = {
      id: 'two-processes',
      name: 'Two processes',
      priceCents: 500,
      totalStock: 5,
      startsAt: now,
      endsAt: now + 60_000,
    };
    expect((await a.request('POST', '/api/v1/admin/sales', ADMIN, sale)).status).toBe(201);
    const buyer = { authorization: `Bearer ${await userToken('buyer-1')}` };
    const queue = `/api/v1/sales/${sale.id}/queue`;
    const joined = await a.request('POST', queue, buyer);
    expect(joined.status).toBe(200);
    const stepper = await opening;
    let polled = await b.request('GET', queue, buyer);
    expect(polled.status).toBe(200);
    for (let step = 0; polled.body.state === 'waiting' && step < 50; step += 1) {
      await stepper.engine.admit(sale.id);
      polled = await b.request('GET', queue, buyer);
    }
    expect(polled.body.state).toBe('admitted');
    // B signed the admission token; A verifies it at checkout.
    const checkout = await a.request(
      'POST',
      `/api/v1/sales/${sale.id}/checkout`,
      { ...buyer, 'x-admission-token': polled.body.admission.token, 'idempotency-key': 'buy-1' },
      { quantity: 1, paymentMethod: 'pm_ok' },
    );
    expect(checkout.status).toBe(202);
    a.close();
    b.close();

    // A process killed outright is logged and replaced; the port keeps answering meanwhile.
    process.kill(pidA, 'SIGKILL');
    await serve.waitFor(new RegExp(`process ${pidA} exited \\(signal SIGKILL\\); starting another in 1 s`));
    const [, replacement] = await serve.waitFor(
      new RegExp(`process (\\d+) listening \\(replaces ${pidA}\\)`),
    );
    const [c, pidC, d, pidD] = await twoProcesses(port);
    expect(new Set([pidC, pidD])).toEqual(new Set([Number(replacement), pidB]));
    c.close();
    d.close();

    // SIGTERM while a request is in flight: it is answered, then every process stops and the primary exits 0.
    const body = JSON.stringify({ ...sale, id: 'in-flight' });
    const logged = serve.output.length;
    const socket = net.connect({ host: '127.0.0.1', port });
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk;
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      `POST /api/v1/admin/sales HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `Authorization: ${ADMIN.authorization}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body.slice(0, 20),
    );
    const begun = /"method":"POST","url":"\/api\/v1\/admin\/sales"[^\n]*"msg":"incoming request"/;
    while (!begun.test(serve.output.slice(logged))) await sleep(20);
    serve.child.kill('SIGTERM');
    await serve.waitFor(/SIGTERM: shutting down 2 processes/);
    socket.write(body.slice(20));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(response).toContain('"id":"in-flight"');
    expect(await serve.exited).toBe(0);
    expect(serve.output).toMatch(/stopped\n/);
  }, 120_000); // three process starts: slow on a busy machine
});
