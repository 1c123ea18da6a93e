/**
 * docker-compose.cluster.yml, the override that runs the compose deployment on a Redis Cluster,
 * checked without running it (no Docker engine here): the Compose schema, then what the override
 * must do once merged over docker-compose.yml, as `docker compose -f … -f …` merges it. Each check
 * also runs on a broken copy, to see it fail.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { unknownVariables } from './checks.ts';
import { composeSchemaErrors, parseYamlDocuments } from './validators.ts';

type Service = {
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  networks?: string[] | Record<string, { ipv4_address?: string }>;
};
type Compose = { services: Record<string, Service> };

const read = (path: string) =>
  parseYamlDocuments(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'))[0] as Compose;
const base = read('docker-compose.yml');
const override = read('docker-compose.cluster.yml');

/** Compose's merge of an override: maps merge key by key, other values are replaced. */
function merged(b: Compose, o: Compose): Compose {
  const services: Record<string, Service> = { ...b.services };
  for (const [name, s] of Object.entries(o.services)) {
    const from = b.services[name] ?? {};
    services[name] = {
      ...from,
      ...s,
      environment: { ...from.environment, ...s.environment },
      depends_on: { ...from.depends_on, ...s.depends_on },
    };
  }
  return { services };
}

const commandLine = (s: Service | undefined) =>
  Array.isArray(s?.command) ? s.command.join(' ') : (s?.command ?? '');

function clusterViolations(c: Compose): string[] {
  const out: string[] = [];
  const nodes = Object.entries(c.services).filter(([name]) => name.startsWith('redis-node-'));
  if (nodes.length !== 6) out.push(`${nodes.length} cluster nodes (6 wanted: 3 masters, 3 replicas)`);
  const addresses: string[] = [];
  for (const [name, s] of nodes) {
    const line = commandLine(s);
    if (!/--cluster-enabled yes/.test(line)) out.push(`${name}: not a cluster node`);
    if (!/--appendonly yes/.test(line) || !/--appendfsync everysec/.test(line))
      out.push(`${name}: no AOF everysec`);
    const ip = (s.networks as Record<string, { ipv4_address?: string }>)?.['redis-cluster']?.ipv4_address;
    if (ip === undefined) out.push(`${name}: no fixed address`);
    else addresses.push(`${ip}:6379`);
  }
  const create = commandLine(c.services['redis-cluster-create']);
  for (const address of addresses) if (!create.includes(address)) out.push(`create step misses ${address}`);
  if (!/--cluster-replicas 1/.test(create)) out.push('create step without one replica per master');
  const flashsale = Object.entries(c.services).filter(([, s]) =>
    ['serve', 'worker'].includes((s.command as string[] | undefined)?.[0] ?? ''),
  );
  for (const [name, s] of flashsale) {
    const env = s.environment ?? {};
    for (const v of unknownVariables(Object.keys(env)))
      out.push(`${name}: ${v} is not read by src/config.ts`);
    // The config flashsale would load: a cluster, whose seeds are nodes of the compose file.
    try {
      const config = loadConfig({
        ...env,
        FLASHSALE_USER_SECRET: 'x'.repeat(32),
        DATABASE_URL: 'postgres://h/db',
      });
      const seeds = (config.redisClusterNodes ?? []).map((n) => `${n.host}:${n.port}`);
      if (seeds.length === 0) out.push(`${name}: not on the cluster`);
      for (const seed of seeds) if (!addresses.includes(seed)) out.push(`${name}: seed ${seed} is no node`);
    } catch (error) {
      out.push(`${name}: ${(error as Error).message}`);
    }
    if (s.depends_on?.['redis-cluster-create']?.condition !== 'service_completed_successfully')
      out.push(`${name} starts before the cluster is created`);
    const networks = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
    if (!networks.includes('redis-cluster')) out.push(`${name}: not on the cluster's network`);
  }
  if (flashsale.length < 3) out.push(`${flashsale.length} flashsale services`);
  return out;
}

describe('docker-compose.cluster.yml', () => {
  it('passes the Compose specification schema', () => {
    expect(composeSchemaErrors(override)).toEqual([]);
  });

  it('merged over docker-compose.yml: six AOF nodes joined as 3 masters + 3 replicas, every process on them', () => {
    expect(clusterViolations(merged(base, override))).toEqual([]);
  });

  it('the same checks fail on a broken copy', () => {
    const broken = structuredClone(override);
    delete broken.services['redis-node-6'];
    (broken.services['api-2'] as Service).environment = {
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: '172.28.0.99:6379',
    };
    delete (broken.services.worker as Service).environment;
    expect(clusterViolations(merged(base, broken))).toEqual([
      '5 cluster nodes (6 wanted: 3 masters, 3 replicas)',
      'api-2: seed 172.28.0.99:6379 is no node',
      'worker: not on the cluster',
    ]);
  });
});
