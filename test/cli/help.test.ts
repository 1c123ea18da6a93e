/**
 * `flashsale <command> --help` (and -h), through the package's bin: exit 0, the command's own options,
 * and nothing started. Every run points the stores (REDIS_URL, DATABASE_URL), the port and the
 * simulator at a trap: a TCP server that counts connections and is itself listening on PORT. A command
 * that started anyway would connect to the trap, or fail on the busy port; an embedded one would
 * create its PGlite directory or outbox in the run's empty directory.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, buildDist, ROOT, run } from './compiled.ts';

const BIN = join(ROOT, 'bin/flashsale.js');

/**
 * Each command, how to ask for its help, and text that only its own help holds. TRAP stands for the
 * trap's URL: a simulation that started would knock there.
 */
const COMMANDS: Array<{ args: string[]; own: string[] }> = [
  { args: ['start'], own: ['usage: flashsale start', 'demo sale', 'PORT / HOST', 'FLASHSALE_DATA_DIR'] },
  { args: ['serve'], own: ['usage: flashsale serve', 'PORT / HOST', 'FLASHSALE_USER_SECRET', 'SIGTERM'] },
  { args: ['worker'], own: ['usage: flashsale worker', 'FLASHSALE_WORKER_CONCURRENCY', 'REDIS_URL'] },
  { args: ['migrate'], own: ['usage: flashsale migrate', 'DATABASE_URL'] },
  { args: ['sale'], own: ['usage: flashsale sale create', '--price-cents', '--max-active', 'start|pause'] },
  { args: ['sale', 'create'], own: ['usage: flashsale sale create', '--stock', '--queueing fifo|shuffle'] },
  { args: ['sale', 'end', 'some-sale'], own: ['usage: flashsale sale create', '--per-second'] },
  { args: ['audit', 'some-sale'], own: ['usage: flashsale audit ID', 'Exit code 0'] },
  {
    args: ['simulate', '--url', 'TRAP'],
    own: ['flashsale simulate [options]', '--buyers N', '--arrival', '--report PATH'],
  },
  { args: ['capacity'], own: ['usage: flashsale capacity', '--rps N', '--headroom F', '--no-sticky'] },
];

describe('flashsale <command> --help', () => {
  let trap: net.Server;
  let trapPort = 0;
  /** Called at each connection the trap accepts, while a command runs. */
  let onTrapped: ((from: string) => void) | null = null;
  let dir = '';

  beforeAll(async () => {
    buildDist();
    dir = await mkdtemp(join(tmpdir(), 'flashsale-help-'));
    trap = net.createServer((socket) => {
      onTrapped?.(`${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen({ host: '127.0.0.1', port: 0 }, resolve));
    trapPort = (trap.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => trap?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const SHAPES: Record<string, () => Record<string, string>> = {
    production: () => ({
      REDIS_URL: `redis://127.0.0.1:${trapPort}`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${trapPort}/test`,
      FLASHSALE_USER_SECRET: 'help-test-user-secret-0123456789',
      FLASHSALE_ADMIN_KEY: 'help-test-admin-key',
      PORT: String(trapPort),
    }),
    embedded: () => ({
      FLASHSALE_DATA_DIR: join(dir, 'pglite'),
      FLASHSALE_OUTBOX: join(dir, 'outbox.jsonl'),
      PORT: String(trapPort),
    }),
  };

  /** Runs the bin in the empty directory until it exits; fails at once if the trap sees a connection. */
  async function flashsale(args: string[], env: Record<string, string>) {
    const argv = args.map((arg) => (arg === 'TRAP' ? `http://127.0.0.1:${trapPort}` : arg));
    const cli = run(process.execPath, [BIN, ...argv], { cwd: dir, env: bareEnv(env) });
    const trapped = new Promise<never>((_, reject) => {
      onTrapped = (from) =>
        reject(new Error(`flashsale ${args.join(' ')} connected (${from}):\n${cli.output}`));
    });
    try {
      const { code, signal } = await Promise.race([cli.exited, trapped]);
      return { code, signal, output: cli.output };
    } finally {
      onTrapped = null;
      cli.kill();
    }
  }

  for (const [shape, env] of Object.entries(SHAPES)) {
    for (const flag of ['--help', '-h']) {
      it.each(COMMANDS)(`${shape} shape: flashsale $args ${flag}`, async ({ args, own }) => {
        const result = await flashsale([...args, flag], env());
        expect(result).toMatchObject({ code: 0, signal: null });
        for (const text of own) expect(result.output).toContain(text);
        for (const other of COMMANDS.filter((c) => c.args[0] !== args[0])) {
          expect(result.output).not.toContain(`usage: flashsale ${other.args[0]}`);
        }
        expect(await readdir(dir)).toEqual([]);
      });
    }
  }

  it("flashsale --help lists every command; flashsale help <command> is that command's help", async () => {
    const overview = await flashsale(['--help'], SHAPES.embedded?.() ?? {});
    expect(overview).toMatchObject({ code: 0, signal: null });
    for (const name of ['start', 'serve', 'worker', 'migrate', 'sale', 'audit', 'simulate', 'capacity']) {
      expect(overview.output).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    const serve = await flashsale(['help', 'serve'], SHAPES.production?.() ?? {});
    expect(serve).toMatchObject({ code: 0, signal: null });
    expect(serve.output).toContain('usage: flashsale serve');
    expect(await readdir(dir)).toEqual([]);
  });

  it('an option a command does not know: exit 2 with its help, nothing started', async () => {
    const result = await flashsale(['serve', '--port', '4000'], SHAPES.embedded?.() ?? {});
    expect(result).toMatchObject({ code: 2, signal: null });
    expect(result.output).toContain("Unknown option '--port'");
    expect(result.output).toContain('usage: flashsale serve');
    expect(await readdir(dir)).toEqual([]);
  });
});
