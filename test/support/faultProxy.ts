/**
 * A TCP proxy of the test's own between the service and one server, that can fail the link the ways
 * networks do: `refuse` (new connections are reset, open ones cut), `blackhole` (connections stay
 * open but nothing gets through either way: a silent partition), `slow` (every chunk is delayed), or
 * `pass`.
 */
import net from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'blackhole' | 'slow';

export interface FaultProxy {
  /** The proxy's address, to use in place of the server's. */
  port: number;
  set(mode: FaultMode, delayMs?: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delayMs = 200;
  const sockets = new Set<net.Socket>();

  const held: Array<() => void> = [];
  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk) => {
      const send = () => {
        if (to.writable) to.write(chunk);
      };
      if (mode === 'blackhole')
        held.push(send); // neither side hears anything until the link heals
      else if (mode === 'slow') setTimeout(send, delayMs);
      else send();
    });
  };

  const server = net.createServer((client) => {
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    set(next, delay = 200) {
      mode = next;
      delayMs = delay;
      if (next !== 'blackhole') for (const send of held.splice(0)) send();
      if (next === 'refuse') for (const s of sockets) s.resetAndDestroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
