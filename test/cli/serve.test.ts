/**
 * `flashsale serve` as a real process: graceful shutdown on SIGTERM (a request in flight completes,
 * new connections are refused, exit 0), and clear refusals of a bad configuration.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cli, runCli } from './child.ts';

const ADMIN_KEY = 'cli-test-admin-key';
const EMBEDDED = {
  FLASHSALE_DATA_DIR: 'memory',
  FLASHSALE_ADMIN_KEY: ADMIN_KEY,
  FLASHSALE_LOG_LEVEL: 'warn',
  // A busy machine can lag a new process's event loop past the default 1 s: no 503 OVERLOADED here.
  FLASHSALE_MAX_EVENT_LOOP_DELAY_MS: '60000',
};

const running: Cli[] = [];
function cli(args: string[], env: Record<string, string>): Cli {
  const c = runCli(args, env);
  running.push(c);
  return c;
}
afterEach(() => {
  for (const c of running.splice(0)) c.kill();
});

/** Sends `head` at once and `tail` when `sendTail` resolves; resolves with the raw response. */
function slowRequest(port: number, head: string, tail: string, sendTail: Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(response));
    socket.write(head);
    sendTail.then(() => socket.write(tail), reject);
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('flashsale serve', () => {
  it('prints where it listens, and on SIGTERM finishes the request in flight, refuses new ones, exits 0', async () => {
    // At debug level the server logs each request as it comes in: the cue that ours has started.
    const serve = cli(['serve'], { ...EMBEDDED, PORT: '0', FLASHSALE_LOG_LEVEL: 'debug' });
    const [, url] = await serve.waitFor(/listening on (http:\/\/[\d.]+:\d+)/);
    const port = Number(new URL(url as string).port);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const now = Date.now();
    const body = JSON.stringify({
      id: 'in-flight',
      name: 'Sent slowly',
      priceCents: 100,
      totalStock: 5,
      startsAt: now,
      endsAt: now + 60_000,
    });
    const head =
      'POST /api/v1/admin/sales HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 20);
    // The request has started (the server logged it; part of its body is still to come) when the
    // signal arrives. Then new connections are refused before the rest of the body is sent.
    const shuttingDown = (async () => {
      await serve.waitFor(/"method":"POST","url":"\/api\/v1\/admin\/sales"[^\n]*"msg":"incoming request"/);
      serve.child.kill('SIGTERM');
      await serve.waitFor(/shutting down/);
      while (await connects(port)) await new Promise((resolve) => setTimeout(resolve, 20));
    })();
    const response = await slowRequest(port, head, body.slice(20), shuttingDown);

    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(response).toContain('"id":"in-flight"');
    expect(await serve.exited).toBe(0);
    expect(serve.output).toContain('stopped');
  });

  it('refuses to start in the production shape without the shared secrets', async () => {
    const serve = cli(['serve'], {
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
    });
    expect(await serve.exited).toBe(1);
    expect(serve.output).toMatch(
      /configuration error: FLASHSALE_USER_SECRET and FLASHSALE_ADMIN_KEY must be set/,
    );
  });

  it('runs the embedded shape in one process: --processes 2 is a usage error', async () => {
    const serve = cli(['serve', '--processes', '2'], { ...EMBEDDED, PORT: '0' });
    expect(await serve.exited).toBe(2);
    expect(serve.output).toContain('--processes above 1 needs REDIS_URL');
    expect(serve.output).toContain('usage: flashsale serve [--processes N]');
  });

  it('stops with a message naming the variable for a bad configuration', async () => {
    const serve = cli(['serve'], { ...EMBEDDED, PORT: 'eighty' });
    expect(await serve.exited).toBe(1);
    expect(serve.output).toMatch(/configuration error: PORT must be a whole number/);
  });

  it('says so when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const serve = cli(['serve'], { ...EMBEDDED, PORT: String(port) });
      expect(await serve.exited).toBe(1);
      expect(serve.output).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      taken.close();
    }
  });
});
