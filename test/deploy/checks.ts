/**
 * What the deployment files must say beyond their schemas, as lists of violations (empty: fine), so
 * that a test can run each check on the real files and on a deliberately broken copy.
 */
import { ENV_DEFAULTS } from '../../src/config.ts';
import type { DockerfileFacts, Manifest } from './validators.ts';

const CONFIG_VARIABLES = new Set<string>(Object.keys(ENV_DEFAULTS));

/** Variables that are not one src/config.ts reads (a typo, or a setting that does nothing). */
export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((name) => !CONFIG_VARIABLES.has(name));
}

export function dockerfileViolations(facts: DockerfileFacts): string[] {
  const out: string[] = [...facts.problems];
  const named = facts.stages.filter((s) => s.name !== null);
  if (facts.stages.length < 2) out.push('not multi-stage');
  const build = named[0];
  if (build === undefined) out.push('no named build stage');
  const all = (keyword: string) => facts.runtime.filter((i) => i.keyword === keyword).map((i) => i.args);
  if (
    !all('COPY').some((a) => build !== undefined && a.includes(`--from=${build.name}`) && a.includes('dist'))
  ) {
    out.push('the runtime stage does not copy dist/ from the build stage');
  }
  if (!all('RUN').some((a) => /npm ci\b.*--omit=dev/.test(a)))
    out.push('runtime dependencies not production-only');
  if (all('RUN').some((a) => /npm run build|\btsc\b/.test(a))) out.push('the runtime stage compiles');
  const user = all('USER').at(-1);
  if (user === undefined || /^(root|0)(:|$)/.test(user.trim()))
    out.push('runs as root (no USER, or USER root)');
  const healthcheck = all('HEALTHCHECK').at(-1);
  if (healthcheck === undefined || !healthcheck.includes('/healthz')) out.push('no HEALTHCHECK on /healthz');
  const cmd = all('CMD').at(-1);
  if (cmd === undefined || JSON.stringify(JSON.parse(cmd)) !== '["serve"]')
    out.push('default CMD is not serve');
  return out;
}

/** The build stage's RUN lines (checked apart: they run in the first stage, not the runtime one). */
export function buildStageRuns(text: string): string[] {
  const firstStage = text.split(/^FROM /m)[1] ?? '';
  return [...firstStage.matchAll(/^RUN (.+)$/gm)].map((m) => m[1] ?? '');
}

type Container = {
  name: string;
  args?: string[];
  env?: { name: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: { name?: string; containerPort: number }[];
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type PodSpec = { terminationGracePeriodSeconds?: number; containers: Container[] };

export function podSpec(m: Manifest): PodSpec | null {
  const spec = m.spec as { template?: { spec?: PodSpec } } | undefined;
  return spec?.template?.spec ?? null;
}

function role(m: Manifest): string | undefined {
  return podSpec(m)?.containers[0]?.args?.[0];
}

/** The preStop sleep of a container, in seconds (0 without one). */
export function preStopSeconds(c: Container): number {
  const command = c.lifecycle?.preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

export interface ManifestFacts {
  /** Every variable a pod's environment gets: env names and the keys of referenced ConfigMaps. */
  variables: Set<string>;
  /** HTTP paths the probes ask for. */
  probePaths: Set<string>;
}

export function k8sViolations(manifests: Manifest[], shutdownTimeoutMs: number): string[] {
  const out: string[] = [];
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const name = (m: Manifest) => (m.metadata as { name: string }).name;
  const deployments = byKind('Deployment');
  const api = deployments.find((d) => role(d) === 'serve');
  const worker = deployments.find((d) => role(d) === 'worker');
  if (api === undefined) out.push('no Deployment runs serve');
  if (worker === undefined) out.push('no Deployment runs worker');
  if (!byKind('Job').some((j) => role(j) === 'migrate')) out.push('no Job runs migrate');
  if (api !== undefined) {
    const pod = podSpec(api) as PodSpec;
    const c = pod.containers[0] as Container;
    const portNames = new Set((c.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
    if (c.readinessProbe?.httpGet?.path !== '/readyz') out.push('API readiness probe is not GET /readyz');
    if (c.livenessProbe?.httpGet?.path !== '/healthz') out.push('API liveness probe is not GET /healthz');
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      if (probe?.httpGet && !portNames.has(probe.httpGet.port))
        out.push(`probe port ${probe.httpGet.port} is not the container's`);
    }
    const needed = preStopSeconds(c) + shutdownTimeoutMs / 1000;
    if ((pod.terminationGracePeriodSeconds ?? 30) < needed) {
      out.push(
        `API terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < preStop + shutdown timeout (${needed} s)`,
      );
    }
    const services = byKind('Service').filter((s) => {
      const selector = (s.spec as { selector?: Record<string, string> }).selector ?? {};
      const labels = (api.spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels;
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    if (services.length === 0) out.push('no Service selects the API pods');
  }
  const hpa = byKind('HorizontalPodAutoscaler')[0];
  const metrics =
    (hpa?.spec as { metrics?: { type: string; resource?: { name: string } }[] } | undefined)?.metrics ?? [];
  const target = (hpa?.spec as { scaleTargetRef?: { kind: string; name: string } } | undefined)
    ?.scaleTargetRef;
  if (hpa === undefined || api === undefined || target?.kind !== 'Deployment' || target.name !== name(api)) {
    out.push('no HPA scales the API Deployment');
  }
  if (!metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu'))
    out.push('HPA has no CPU metric');
  if (!metrics.some((m) => m.type === 'Pods')) out.push('HPA has no Pods (request rate) metric');
  for (const d of [api, worker]) {
    if (d === undefined) continue;
    const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
      .metadata.labels;
    const covered = byKind('PodDisruptionBudget').some((p) => {
      const match = (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      return Object.entries(match).every(([k, v]) => labels[k] === v);
    });
    if (!covered) out.push(`no PodDisruptionBudget covers ${name(d)}`);
  }
  const { variables } = manifestFacts(manifests);
  for (const v of unknownVariables(variables)) out.push(`${v} is not a variable src/config.ts reads`);
  return out;
}

export function manifestFacts(manifests: Manifest[]): ManifestFacts {
  const configMaps = new Map(
    manifests
      .filter((m) => m.kind === 'ConfigMap')
      .map((m) => [(m.metadata as { name: string }).name, Object.keys((m.data as object | undefined) ?? {})]),
  );
  const variables = new Set<string>();
  const probePaths = new Set<string>();
  for (const m of manifests) {
    for (const c of podSpec(m)?.containers ?? []) {
      for (const e of c.env ?? []) variables.add(e.name);
      for (const from of c.envFrom ?? []) {
        const keys = from.configMapRef ? configMaps.get(from.configMapRef.name) : undefined;
        if (from.configMapRef && keys === undefined)
          variables.add(`(missing ConfigMap ${from.configMapRef.name})`);
        for (const k of keys ?? []) variables.add(k);
      }
      for (const probe of [c.readinessProbe, c.livenessProbe])
        if (probe?.httpGet) probePaths.add(probe.httpGet.path);
    }
  }
  return { variables, probePaths };
}
