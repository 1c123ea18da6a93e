/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/k8s, deploy/prometheus, deploy/grafana)
 * checked without running them: no Docker engine and no cluster exist on the development machine or
 * in CI. Schemas and linters from npm (test/deploy/validators.ts), then facts across files: probe and
 * scrape paths are routes, every variable set is one src/config.ts reads, grace periods cover the
 * service's shutdown timeout. Each check is also run on a broken copy, to see it fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_TIMEOUT_MS } from '../../src/cli/service.ts';
import { type HttpHarness, startHttp } from '../http/harness.ts';
import { hasPromtool, promtool } from '../monitoring/support.ts';
import { embeddedShape } from '../pipeline/shapes.ts';
import {
  buildStageRuns,
  dockerfileViolations,
  k8sViolations,
  manifestFacts,
  unknownVariables,
} from './checks.ts';
import {
  composeSchemaErrors,
  inspectDockerfile,
  kubernetesSchemaErrors,
  kubernetesUnknownFields,
  type Manifest,
  parseYamlDocuments,
} from './validators.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const K8S = 'deploy/k8s';
const copy = <T>(value: T): T => structuredClone(value);

function kustomizeResources(): string[] {
  const [kustomization] = parseYamlDocuments(read(`${K8S}/kustomization.yaml`)) as [{ resources: string[] }];
  return kustomization.resources;
}
const manifests = kustomizeResources().flatMap(
  (file) => parseYamlDocuments(read(`${K8S}/${file}`)) as Manifest[],
);
const byName = (kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && (m.metadata as { name: string }).name === name) as Manifest;

type Service = {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  stop_grace_period?: string;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean };
};
type Compose = { services: Record<string, Service> };
const compose = parseYamlDocuments(read('docker-compose.yml'))[0] as Compose;

/** Go duration → seconds, for the few forms a compose file uses here ("35s", "1m", "1m30s"). */
function seconds(duration: string | undefined): number {
  let total = 0;
  for (const [, n, unit] of (duration ?? '10s').matchAll(/(\d+)(h|m|s)/g)) {
    total += Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'];
  }
  return total;
}

function composeViolations(c: Compose): string[] {
  const out: string[] = [];
  const services = Object.entries(c.services);
  const running = (role: string) => services.filter(([, s]) => s.command?.[0] === role);
  const redis = c.services.redis?.command?.join(' ') ?? '';
  if (!/--appendonly yes/.test(redis) || !/--appendfsync everysec/.test(redis)) {
    out.push('Redis runs without AOF everysec (README, "When Redis loses its data")');
  }
  if (running('serve').length < 2) out.push('fewer than 2 API processes');
  const workers = running('worker').reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
  if (workers < 1 || workers > 2) out.push(`${workers} workers (1 or 2 wanted)`);
  if (running('migrate').length !== 1) out.push('no migrate step');
  for (const [name, s] of [...running('serve'), ...running('worker')]) {
    if (s.depends_on?.migrate?.condition !== 'service_completed_successfully')
      out.push(`${name} starts before migrate ends`);
    for (const v of unknownVariables(Object.keys(s.environment ?? {})))
      out.push(`${name}: ${v} is not read by src/config.ts`);
  }
  for (const [name, s] of running('serve')) {
    if (seconds(s.stop_grace_period) < SHUTDOWN_TIMEOUT_MS / 1000)
      out.push(`${name}: stop_grace_period < shutdown timeout`);
  }
  for (const [name, s] of running('worker'))
    if (s.healthcheck?.disable !== true) out.push(`${name}: HTTP healthcheck on a worker`);
  // Every file mounted from the repository exists.
  for (const [name, s] of services) {
    for (const volume of s.volumes ?? []) {
      const source = volume.split(':')[0] ?? '';
      if (source.startsWith('./') && !existsSync(join(ROOT, source)))
        out.push(`${name}: ${source} does not exist`);
    }
  }
  return out;
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('kustomization.yaml lists every manifest of the folder', () => {
    const files = readdirSync(join(ROOT, K8S)).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect(kustomizeResources().sort()).toEqual(files.sort());
  });

  it('every manifest passes the Kubernetes schema, with no field Kubernetes does not know', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    expect(kubernetesSchemaErrors(manifests)).toEqual([]);
    expect(kubernetesUnknownFields(manifests)).toEqual([]);
  });

  it('a broken copy fails both (wrong types, a misspelt field, an unknown kind)', () => {
    const api = copy(byName('Deployment', 'flashsale-api'));
    const spec = api.spec as {
      replicas: unknown;
      template: { spec: { containers: Record<string, unknown>[] } };
    };
    spec.replicas = 'two';
    const container = spec.template.spec.containers[0] as Record<string, unknown>;
    container.readynessProbe = container.readinessProbe;
    delete container.readinessProbe;
    const unknown = { apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'old' } } as Manifest;
    const errors = kubernetesSchemaErrors([api, unknown]);
    expect(errors).toContainEqual(
      expect.stringMatching(/^Deployment\/flashsale-api: \/spec\/replicas type \{"type":"integer"\}$/),
    );
    expect(errors).toContainEqual('Deployment/old: no schema for apps/v1beta1 Deployment');
    const fields = kubernetesUnknownFields([api]);
    expect(fields).toContainEqual(
      expect.stringMatching(/readynessProbe.*does not exist in type 'IContainer'/),
    );
  });

  it('serve: readiness /readyz, liveness /healthz, a grace period covering preStop and the shutdown timeout; HPA, PDBs, Job', () => {
    expect(SHUTDOWN_TIMEOUT_MS).toBe(30_000);
    expect(k8sViolations(manifests, SHUTDOWN_TIMEOUT_MS)).toEqual([]);
  });

  it('the same checks fail on a broken copy', () => {
    const broken = manifests.map(copy).filter((m) => m.kind !== 'PodDisruptionBudget');
    const api = broken.find(
      (m) => m.kind === 'Deployment' && (m.metadata as { name: string }).name === 'flashsale-api',
    );
    if (api === undefined) throw new Error('no API Deployment');
    const pod = (api.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    pod.terminationGracePeriodSeconds = 30;
    const container = (pod.containers as Record<string, { httpGet: { path: string } }>[])[0];
    if (container?.livenessProbe) container.livenessProbe.httpGet.path = '/readyz';
    (pod.containers as { env: { name: string }[] }[])[0]?.env.push({ name: 'FLASHSALE_REDIS_URL' });
    expect(k8sViolations(broken, SHUTDOWN_TIMEOUT_MS)).toEqual([
      'API liveness probe is not GET /healthz',
      'API terminationGracePeriodSeconds 30 < preStop + shutdown timeout (35 s)',
      'no PodDisruptionBudget covers flashsale-api',
      'no PodDisruptionBudget covers flashsale-worker',
      'FLASHSALE_REDIS_URL is not a variable src/config.ts reads',
    ]);
  });
});

describe('docker-compose.yml', () => {
  it('passes the Compose specification schema', () => {
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  it('a broken copy fails it (an unknown key, a duration that is not one)', () => {
    const broken = copy(compose) as Compose & { services: Record<string, Record<string, unknown>> };
    (broken.services.redis as Record<string, unknown>).healthcheck = {
      test: ['CMD', 'true'],
      interval: 'often',
    };
    (broken.services['api-1'] as Record<string, unknown>).restart_policy = 'always';
    const errors = composeSchemaErrors(broken);
    expect(errors).toContainEqual(
      expect.stringMatching(/\/services\/redis\/healthcheck\/interval must match format "duration"/),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(/\/services\/api-1 must NOT have additional properties/),
    );
  });

  it('Redis with AOF (everysec), migrate first, 2 APIs, 1-2 workers, known variables, mounted files exist', () => {
    expect(composeViolations(compose)).toEqual([]);
    const broken = copy(compose);
    (broken.services.redis as Service).command = ['redis-server'];
    (broken.services['api-1'] as Service).stop_grace_period = '10s';
    const worker = broken.services.worker as Service;
    worker.environment = { ...worker.environment, WORKER_CONCURRENCY: '4' };
    (broken.services.grafana as Service).volumes = ['./monitoring/dashboard.json:/x.json:ro'];
    expect(composeViolations(broken)).toEqual([
      'Redis runs without AOF everysec (README, "When Redis loses its data")',
      'worker: WORKER_CONCURRENCY is not read by src/config.ts',
      'api-1: stop_grace_period < shutdown timeout',
      'grafana: ./monitoring/dashboard.json does not exist',
    ]);
  });

  it('Prometheus loads the alert rules mounted next to its configuration; Grafana finds the dashboard', () => {
    const prometheus = parseYamlDocuments(read('deploy/prometheus/prometheus.yml'))[0] as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const mounts = compose.services.prometheus?.volumes ?? [];
    for (const rule of prometheus.rule_files) {
      expect(mounts).toContain(`./monitoring/${rule}:/etc/prometheus/${rule}:ro`);
    }
    const targets = prometheus.scrape_configs.find((s) => s.job_name === 'flashsale')?.static_configs[0]
      ?.targets;
    const apis = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'serve');
    expect(targets?.sort()).toEqual(apis.map(([name]) => `${name}:3000`).sort());
    const [provider] = parseYamlDocuments(read('deploy/grafana/provisioning/dashboards/flashsale.yml')) as [
      { providers: { options: { path: string } }[] },
    ];
    const dashboardDir = provider.providers[0]?.options.path;
    expect(compose.services.grafana?.volumes).toContain(
      `./monitoring/grafana-dashboard.json:${dashboardDir}/flashsale.json:ro`,
    );
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');

  it('lints clean; multi-stage, production-only runtime, non-root, HEALTHCHECK /healthz, CMD serve', () => {
    expect(dockerfileViolations(inspectDockerfile(text))).toEqual([]);
    expect(buildStageRuns(text).join('\n')).toMatch(/npm ci[\s\S]*npm run build/);
    // The .dockerignore keeps local state and dependencies out of the build context.
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.data', '.git']) expect(ignored).toContain(entry);
  });

  it('fails a broken copy: one stage, root, no health check, a misspelt instruction', () => {
    const broken = text
      .replace(/^FROM node:20-bookworm-slim AS runtime$/m, '')
      .replace(/^USER node$/m, 'USER root')
      .replace(/^HEALTHCHECK [\s\S]*?\n(?=#)/m, '')
      .replace(/^EXPOSE 3000$/m, 'EXPOSED 3000');
    const violations = dockerfileViolations(inspectDockerfile(broken));
    expect(violations).toContainEqual(expect.stringMatching(/Unknown instruction: EXPOSED/));
    expect(violations).toContain('not multi-stage');
    expect(violations).toContain('runs as root (no USER, or USER root)');
    expect(violations).toContain('no HEALTHCHECK on /healthz');
  });
});

describe('the paths the files name are routes of the service', () => {
  let http: HttpHarness;
  beforeAll(async () => {
    http = await startHttp(embeddedShape());
  });
  afterAll(async () => {
    await http?.close();
  });

  it('probes (Kubernetes, the image HEALTHCHECK) and the scrape path answer 200', async () => {
    const paths = new Set(manifestFacts(manifests).probePaths);
    for (const m of read('Dockerfile').matchAll(/(\/healthz|\/readyz)/g)) paths.add(m[1] as string);
    const prometheus = read('deploy/prometheus/prometheus.yml').match(/metrics_path: (\S+)/)?.[1];
    paths.add(prometheus ?? '/metrics');
    expect([...paths].sort()).toEqual(['/healthz', '/metrics', '/readyz']);
    for (const url of paths) {
      const res = await http.server.inject({ url });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
    expect((await http.server.inject({ url: '/healthzz' })).statusCode).toBe(404);
  });
});

describe.skipIf(!hasPromtool())('promtool check config', () => {
  it('accepts deploy/prometheus/prometheus.yml with the alert rules beside it, and refuses a broken copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flashsale-prometheus-'));
    try {
      const config = read('deploy/prometheus/prometheus.yml');
      await writeFile(join(dir, 'prometheus.yml'), config);
      await writeFile(join(dir, 'alerts.yml'), read('monitoring/alerts.yml'));
      const run = promtool(['check', 'config', 'prometheus.yml'], dir);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
      await writeFile(
        join(dir, 'prometheus.yml'),
        config.replace('scrape_interval: 15s', 'scrape_interval: soon'),
      );
      expect(promtool(['check', 'config', 'prometheus.yml'], dir).status).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
