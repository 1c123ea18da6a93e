/**
 * A real Redis Cluster of the test's own: six redis-server processes (three masters, one replica
 * each) on free loopback ports, without persistence, in a temporary directory, built with
 * `redis-cli --cluster create`. One per test file (starting one takes about two seconds). Under
 * CI=true a missing redis-server or redis-cli fails the file instead of skipping it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './ownRedis.ts';

const run = promisify(execFile);

export interface OwnCluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,…": the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  /** A client of the cluster (the caller quits it). */
  connect(): Cluster;
  /** A direct connection to one node (the caller quits it). */
  node(port: number): Redis;
  /** The port of the master serving `slot` now. */
  masterOf(slot: number): Promise<number>;
  /**
   * SIGKILL the master serving `slot`, then wait until its replica has taken the slot over and the
   * cluster is ok again. Returns the killed port and the promoted one.
   */
  killMasterOf(slot: number): Promise<{ killed: number; promoted: number }>;
  stop(): Promise<void>;
}

/** Whether this machine can start a cluster; under CI=true it must. */
export function hasClusterBinaries(): boolean {
  const ok = ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version']).status === 0);
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error('redis-server and redis-cli are required under CI=true');
  console.warn('\n!!! redis-server or redis-cli missing: SKIPPING the Redis Cluster tests !!!\n');
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`own cluster: ${what} not reached in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Pids of every cluster this process started: killed on exit if a test file forgot (or crashed). */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export async function startOwnCluster(options: { nodeTimeoutMs?: number } = {}): Promise<OwnCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'flashsale-cluster-'));
  const ports: number[] = [];
  const pids = new Map<number, number>();
  const nodeTimeout = String(options.nodeTimeoutMs ?? 2000);
  /**
   * Starts one node on fresh ports and waits for it to answer. A free port can be taken by another
   * process (the other test lane starts servers too) before redis-server binds it: then the daemon
   * exits at once and no pid file appears, so the node is started again on other ports.
   */
  const startNode = async (): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const busPort = await freePort();
      // Daemonized, so a crashed test runner cannot leave its children attached; the pid file says
      // whom to kill.
      await run('redis-server', [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        nodeTimeout,
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir, `${port}.pid`),
        '--logfile',
        join(dir, `${port}.log`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        // A replica's first sync would otherwise wait 5 s for more replicas to share the transfer.
        '--repl-diskless-sync-delay',
        '0',
      ]);
      try {
        await waitFor(
          `pid file of ${port}`,
          async () => {
            const pid = Number((await readFile(join(dir, `${port}.pid`), 'utf8')).trim());
            pids.set(port, pid);
            running.add(pid);
            return pid > 0 && (await info(port, 'server')).includes('redis_version');
          },
          attempt < 3 ? 10_000 : 30_000,
        );
        return port;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  };
  const node = (port: number) => new Redis(port, '127.0.0.1', { lazyConnect: false });
  const info = async (port: number, section: string) => {
    const r = node(port);
    try {
      return section === 'cluster' ? await r.cluster('INFO') : await r.info(section);
    } finally {
      r.disconnect();
    }
  };
  const stop = async () => {
    for (const pid of pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (a test killed it)
      }
      running.delete(pid);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) ports.push(await startNode());
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await waitFor('cluster_state:ok on every node', async () => {
      for (const port of ports) {
        const text = await info(port, 'cluster');
        if (!text.includes('cluster_state:ok') || !text.includes('cluster_known_nodes:6')) return false;
      }
      return true;
    });
    // Replicas in sync, so a failover finds a replica with its master's data.
    await waitFor('every replica synced', async () => {
      let synced = 0;
      for (const port of ports) {
        const text = await info(port, 'replication');
        if (text.includes('role:slave') && text.includes('master_link_status:up')) synced++;
      }
      return synced === 3;
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const masterOf = async (slot: number, askPorts = ports): Promise<number> => {
    for (const port of askPorts) {
      const r = node(port);
      try {
        const slots = await r.cluster('SLOTS');
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (range?.[2]) return range[2][1];
      } catch {
        // a dead node: ask the next
      } finally {
        r.disconnect();
      }
    }
    throw new Error(`own cluster: no node serves slot ${slot}`);
  };

  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    connect: () =>
      new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        {},
      ),
    node,
    masterOf: (slot) => masterOf(slot),
    async killMasterOf(slot) {
      const killed = await masterOf(slot);
      process.kill(pids.get(killed) as number, 'SIGKILL');
      const alive = ports.filter((p) => p !== killed);
      let promoted = killed;
      await waitFor(`failover of slot ${slot}`, async () => {
        promoted = await masterOf(slot, alive);
        if (promoted === killed) return false;
        for (const port of alive) {
          if (!(await info(port, 'cluster')).includes('cluster_state:ok')) return false;
        }
        return true;
      });
      return { killed, promoted };
    },
    stop,
  };
}
