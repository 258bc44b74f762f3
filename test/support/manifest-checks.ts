/**
 * Property checks over synthesized Kubernetes objects. Each check is a pure function that returns
 * human-readable violations (`Kind namespace/name: what is wrong`), so a test can assert
 * `expect(violations).toEqual([])` and a failure says exactly why. Used for every cluster a
 * config synthesizes.
 */
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { IMAGES } from '../../src/model/images.ts';
import { NODE_EXPORTER } from '../../constructs/node-exporter.ts';
import { AGENT_HOST_PATHS } from '../../constructs/otel-agent.ts';
import type { StackConfig } from '../../src/model/types.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A parsed Kubernetes object; checks read the fields they need through the narrow types below. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name: string }[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

type KeyToPath = { key: string; path: string }[];
interface Volume {
  name: string;
  hostPath?: { path: string };
  configMap?: { name: string; items?: KeyToPath; optional?: boolean };
  secret?: { secretName: string; optional?: boolean };
  persistentVolumeClaim?: { claimName: string };
  projected?: { sources?: { configMap?: { name: string; items?: KeyToPath }; secret?: { name: string } }[] };
  [type: string]: unknown;
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  imagePullSecrets?: { name: string }[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[];
      };
    };
  };
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
}

/** A pod template found in a workload (or a bare Pod), with what the checks need around it. */
export interface PodTemplate {
  owner: K8sObject;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
  /** Deployments, StatefulSets, DaemonSets and Pods run until stopped; Jobs finish. */
  longRunning: boolean;
  /** Names of the StatefulSet's volumeClaimTemplates (usable as volumeMount names). */
  claimTemplates: string[];
}

export const EXTERNAL_SECRETS_ANNOTATION = 'o11y.dev/external-secrets';
const PSS_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const ARCH_LABEL = 'kubernetes.io/arch';
const MANAGED_BY = 'cdk8s-o11y';

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass',
  'CustomResourceDefinition', 'PersistentVolume', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
]);

function namespaceOf(o: K8sObject): string {
  return CLUSTER_SCOPED_KINDS.has(o.kind) ? '' : o.metadata?.namespace ?? 'default';
}

/** `Kind namespace/name`, the prefix of every violation. */
export function ref(o: K8sObject): string {
  const ns = namespaceOf(o);
  return `${o.kind} ${ns ? `${ns}/` : ''}${o.metadata?.name}`;
}

function find(objs: readonly K8sObject[], kind: string, namespace: string, name: string): K8sObject | undefined {
  return objs.find((o) => o.kind === kind && o.metadata?.name === name && namespaceOf(o) === namespace);
}

function field<T>(o: unknown, ...path: string[]): T | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur as T | undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function matchesLabels(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Kubernetes LabelSelector semantics: matchLabels AND every matchExpression; empty selects all. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!matchesLabels(selector?.matchLabels ?? {}, labels)) return false;
  return (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]!);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: return false;
    }
  });
}

function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

const TEMPLATE_LOCATIONS: Record<string, { path: string[]; longRunning: boolean }> = {
  Deployment: { path: ['spec', 'template'], longRunning: true },
  StatefulSet: { path: ['spec', 'template'], longRunning: true },
  DaemonSet: { path: ['spec', 'template'], longRunning: true },
  ReplicaSet: { path: ['spec', 'template'], longRunning: true },
  Job: { path: ['spec', 'template'], longRunning: false },
  CronJob: { path: ['spec', 'jobTemplate', 'spec', 'template'], longRunning: false },
  Pod: { path: [], longRunning: true },
};

/** Every pod template in the objects, in object order. */
export function podTemplates(objs: readonly K8sObject[]): PodTemplate[] {
  return objs.flatMap((owner) => {
    const where = TEMPLATE_LOCATIONS[owner.kind];
    if (!where) return [];
    const template = where.path.length === 0 ? owner : field<{ metadata?: ObjectMeta; spec?: PodSpec }>(owner, ...where.path);
    if (!template?.spec) return [];
    const claimTemplates = (field<{ metadata?: { name?: string } }[]>(owner, 'spec', 'volumeClaimTemplates') ?? [])
      .map((t) => t.metadata?.name ?? '');
    return [{
      owner,
      namespace: namespaceOf(owner),
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      spec: template.spec as PodSpec,
      longRunning: where.longRunning,
      claimTemplates,
    }];
  });
}

function allContainers(spec: PodSpec): { container: Container; kind: 'init' | 'main' | 'ephemeral' }[] {
  return [
    ...(spec.initContainers ?? []).map((container) => ({ container, kind: 'init' as const })),
    ...(spec.containers ?? []).map((container) => ({ container, kind: 'main' as const })),
    ...(spec.ephemeralContainers ?? []).map((container) => ({ container, kind: 'ephemeral' as const })),
  ];
}

function containerRef(t: PodTemplate, c: Container): string {
  return `${ref(t.owner)} container "${c.name}"`;
}

function externalSecrets(t: PodTemplate): Set<string> {
  const listed = [t.owner.metadata?.annotations?.[EXTERNAL_SECRETS_ANNOTATION], t.annotations[EXTERNAL_SECRETS_ANNOTATION]];
  return new Set(listed.flatMap((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)));
}

function volumeType(v: Volume): string {
  return Object.keys(v).find((k) => k !== 'name') ?? '(none)';
}

// ---------------------------------------------------------------------------------------------
// Schema: kubernetes-models (Kubernetes 1.27 OpenAPI, all valid on 1.28) plus unknown fields
// ---------------------------------------------------------------------------------------------

/** Custom resources we may emit that have no schema package installed; reported, not validated. */
export const SCHEMALESS_KINDS: readonly string[] = [
  'monitoring.coreos.com/v1 PrometheusRule',
  'monitoring.coreos.com/v1 ServiceMonitor',
  'monitoring.coreos.com/v1 PodMonitor',
];

const MODEL_PACKAGES: Record<string, string> = {
  'argoproj.io/v1alpha1': '@kubernetes-models/argo-cd/argoproj.io/v1alpha1',
};

type ModelClass = { prototype: { validate(): void } };
const require = createRequire(import.meta.url);
const modelCache = new Map<string, ModelClass | undefined>();

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const key = `${apiVersion} ${kind}`;
  if (!modelCache.has(key)) {
    // Only plausible identifiers reach require(), so a hostile kind cannot name another module.
    const safe = /^[a-z0-9.-]+(\/v[0-9a-z]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind);
    let model: ModelClass | undefined;
    if (safe) {
      try {
        const module = `${MODEL_PACKAGES[apiVersion] ?? `kubernetes-models/${apiVersion}`}/${kind}`;
        model = (require(module) as Record<string, ModelClass>)[kind];
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      }
    }
    modelCache.set(key, model);
  }
  return modelCache.get(key);
}

/**
 * Runs a model's compiled JSON-schema validator on `obj` and also reports unknown fields. The
 * package's validators accept unknown fields and it ships no JSON schemas, so the validator runs
 * on a Proxy that records which keys it reads: a validator reads every property its schema
 * defines (and every key of a map it validates), so a key it never read is not in the schema.
 * Objects whose schema is free-form (the validator reads none of their keys) are not flagged.
 */
function validateAgainstModel(model: ModelClass, obj: K8sObject): string[] {
  const read = new Map<object, Set<PropertyKey>>();
  const proxies = new WeakMap<object, object>();
  const watch = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    let proxy = proxies.get(value);
    if (!proxy) {
      read.set(value, new Set());
      proxy = new Proxy(value, {
        get(target, key, receiver) {
          read.get(target)!.add(key);
          const v = Reflect.get(target, key, receiver) as unknown;
          return typeof key === 'string' && Object.hasOwn(target, key) ? watch(v) : v;
        },
      });
      proxies.set(value, proxy);
    }
    return proxy;
  };

  const problems: string[] = [];
  try {
    model.prototype.validate.call(watch(obj));
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw e;
    const byPath = new Map<string, string[]>();
    for (const err of errors) byPath.set(err.instancePath || '/', [...(byPath.get(err.instancePath || '/') ?? []), err.message ?? 'invalid']);
    for (const [path, messages] of byPath) problems.push(`${path} ${[...new Set(messages)].join('; ')}`);
  }

  const unknown = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => unknown(v, `${path}/${i}`));
      return;
    }
    const keysRead = read.get(value);
    if (!keysRead || keysRead.size === 0) return;
    for (const [k, v] of Object.entries(value)) {
      if (keysRead.has(k)) unknown(v, `${path}/${k}`);
      else problems.push(`${path || '/'}: unknown field "${k}"`);
    }
  };
  unknown(obj, '');
  return problems;
}

/**
 * Every object validates against its Kubernetes (or Argo CD) schema, with unknown fields
 * rejected. Kinds in {@link SCHEMALESS_KINDS} are skipped (see {@link schemaSkippedKinds});
 * any other kind without a schema is a violation.
 */
export function schemaViolations(objs: readonly K8sObject[]): string[] {
  return objs.flatMap((o) => {
    if (!isPlainObject(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      return [`object ${JSON.stringify(o).slice(0, 80)}: missing apiVersion or kind`];
    }
    if (SCHEMALESS_KINDS.includes(`${o.apiVersion} ${o.kind}`)) return [];
    const model = modelFor(o.apiVersion, o.kind);
    if (!model) return [`${ref(o)}: no schema for apiVersion "${o.apiVersion}" kind "${o.kind}"`];
    return validateAgainstModel(model, o).map((p) => `${ref(o)}: ${p}`);
  });
}

/** The `apiVersion Kind` pairs present in `objs` that {@link schemaViolations} did not validate. */
export function schemaSkippedKinds(objs: readonly K8sObject[]): string[] {
  return [...new Set(objs.map((o) => `${o.apiVersion} ${o.kind}`).filter((k) => SCHEMALESS_KINDS.includes(k)))].sort();
}

// ---------------------------------------------------------------------------------------------
// Wiring: every reference between objects resolves
// ---------------------------------------------------------------------------------------------

/**
 * Services select existing pods on declared ports; referenced ConfigMaps, Secrets,
 * ServiceAccounts, PVCs and claim templates exist; RBAC bindings resolve; StatefulSets name a
 * headless Service; NetworkPolicy selectors match workloads; collector pipelines use defined
 * components; Grafana datasource links (and dashboard datasources) resolve; `--config.file`-style
 * arguments name a mounted ConfigMap key; Prometheus `rule_files` are valid and load every
 * mounted rule file.
 */
export function wiringViolations(objs: readonly K8sObject[]): string[] {
  return [
    ...serviceWiring(objs),
    ...podReferenceWiring(objs),
    ...rbacWiring(objs),
    ...statefulSetWiring(objs),
    ...networkPolicyWiring(objs),
    ...collectorConfigWiring(objs),
    ...grafanaWiring(objs),
    ...configFileWiring(objs),
    ...prometheusRuleFileWiring(objs),
  ];
}

function serviceWiring(objs: readonly K8sObject[]): string[] {
  const templates = podTemplates(objs);
  return objs.filter((o) => o.kind === 'Service').flatMap((svc) => {
    if (field(svc, 'spec', 'type') === 'ExternalName') return [];
    const selector = field<Record<string, string>>(svc, 'spec', 'selector');
    if (!selector || Object.keys(selector).length === 0) return [`${ref(svc)}: has no selector`];
    const selected = templates.filter((t) => t.namespace === namespaceOf(svc) && matchesLabels(selector, t.labels));
    if (selected.length === 0) return [`${ref(svc)}: selector ${JSON.stringify(selector)} matches no pod template`];
    const ports = field<{ name?: string; port: number; targetPort?: number | string }[]>(svc, 'spec', 'ports') ?? [];
    return ports.flatMap((p) => {
      const target = p.targetPort ?? p.port;
      return selected
        .filter((t) => !allContainers(t.spec).some(({ container }) =>
          (container.ports ?? []).some((cp) => (typeof target === 'number' ? cp.containerPort === target : cp.name === target))))
        .map((t) => `${ref(svc)}: port ${p.name ?? p.port} targets ${JSON.stringify(target)}, which no container of ${ref(t.owner)} declares`);
    });
  });
}

function podReferenceWiring(objs: readonly K8sObject[]): string[] {
  return podTemplates(objs).flatMap((t) => {
    const ns = t.namespace;
    const problems: string[] = [];
    const allowedSecrets = externalSecrets(t);
    const requireConfigMap = (name: string, keys: string[], via: string): void => {
      const cm = find(objs, 'ConfigMap', ns, name);
      if (!cm) {
        problems.push(`${ref(t.owner)}: ${via} references ConfigMap "${name}", which does not exist`);
        return;
      }
      const data = { ...(field<Record<string, unknown>>(cm, 'data') ?? {}), ...(field<Record<string, unknown>>(cm, 'binaryData') ?? {}) };
      for (const key of keys.filter((k) => !(k in data))) problems.push(`${ref(t.owner)}: ${via} uses key "${key}" missing from ConfigMap "${name}"`);
    };
    const requireSecret = (name: string, via: string): void => {
      if (!find(objs, 'Secret', ns, name) && !allowedSecrets.has(name)) {
        problems.push(`${ref(t.owner)}: ${via} references Secret "${name}", which does not exist and is not listed in annotation ${EXTERNAL_SECRETS_ANNOTATION}`);
      }
    };

    const sa = t.spec.serviceAccountName;
    if (sa && sa !== 'default' && !find(objs, 'ServiceAccount', ns, sa)) {
      problems.push(`${ref(t.owner)}: serviceAccountName "${sa}" does not exist`);
    }
    for (const s of t.spec.imagePullSecrets ?? []) requireSecret(s.name, 'imagePullSecrets');

    const volumeNames = new Set<string>(t.claimTemplates);
    for (const v of t.spec.volumes ?? []) {
      volumeNames.add(v.name);
      const via = `volume "${v.name}"`;
      if (v.configMap && !v.configMap.optional) requireConfigMap(v.configMap.name, (v.configMap.items ?? []).map((i) => i.key), via);
      if (v.secret && !v.secret.optional) requireSecret(v.secret.secretName, via);
      if (v.persistentVolumeClaim && !find(objs, 'PersistentVolumeClaim', ns, v.persistentVolumeClaim.claimName)) {
        problems.push(`${ref(t.owner)}: ${via} references PersistentVolumeClaim "${v.persistentVolumeClaim.claimName}", which does not exist`);
      }
      for (const source of v.projected?.sources ?? []) {
        if (source.configMap) requireConfigMap(source.configMap.name, (source.configMap.items ?? []).map((i) => i.key), via);
        if (source.secret) requireSecret(source.secret.name, via);
      }
    }

    for (const { container } of allContainers(t.spec)) {
      const via = `container "${container.name}"`;
      for (const m of container.volumeMounts ?? []) {
        if (!volumeNames.has(m.name)) problems.push(`${ref(t.owner)}: ${via} mounts "${m.name}", which is neither a volume nor a volumeClaimTemplate`);
      }
      for (const e of container.env ?? []) {
        const cmRef = e.valueFrom?.configMapKeyRef;
        if (cmRef && !cmRef.optional) requireConfigMap(cmRef.name, [cmRef.key], `${via} env ${e.name}`);
        const secretRef = e.valueFrom?.secretKeyRef;
        if (secretRef && !secretRef.optional) requireSecret(secretRef.name, `${via} env ${e.name}`);
      }
      for (const e of container.envFrom ?? []) {
        if (e.configMapRef && !e.configMapRef.optional) requireConfigMap(e.configMapRef.name, [], `${via} envFrom`);
        if (e.secretRef && !e.secretRef.optional) requireSecret(e.secretRef.name, `${via} envFrom`);
      }
    }
    return problems;
  });
}

/** A file a container sees because a ConfigMap (or projected ConfigMap) volume is mounted. */
interface MountedFile { configMap: K8sObject; key: string }

/**
 * Every file that ConfigMap volumes put into `container`, by absolute path; plus the mount points
 * of other volumes (whose contents are unknown here, e.g. user-owned Secrets).
 */
function mountedFiles(objs: readonly K8sObject[], t: PodTemplate, container: Container): { files: Map<string, MountedFile>; opaqueMounts: string[] } {
  const files = new Map<string, MountedFile>();
  const opaqueMounts: string[] = [];
  const volumes = new Map((t.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    const sources = volume?.configMap
      ? [volume.configMap]
      : (volume?.projected?.sources ?? []).flatMap((s) => (s.configMap ? [s.configMap] : []));
    if (sources.length === 0) {
      opaqueMounts.push(mount.mountPath);
      continue;
    }
    for (const source of sources) {
      const cm = find(objs, 'ConfigMap', t.namespace, source.name);
      if (!cm) continue;
      const entries = source.items ?? Object.keys(field<Record<string, string>>(cm, 'data') ?? {}).map((key) => ({ key, path: key }));
      for (const { key, path } of entries) {
        if (mount.subPath === undefined) files.set(`${mount.mountPath}/${path}`, { configMap: cm, key });
        else if (path === mount.subPath) files.set(mount.mountPath, { configMap: cm, key });
        else if (path.startsWith(`${mount.subPath}/`)) files.set(`${mount.mountPath}/${path.slice(mount.subPath.length + 1)}`, { configMap: cm, key });
      }
    }
  }
  return { files, opaqueMounts };
}

const CONFIG_FILE_ARG = /^--?(?:config\.file|config)=(?:file:)?(\/\S+)$/;

/** `--config.file=PATH` / `-config.file=PATH` / `--config=PATH`: the PATH a container reads its config from. */
function configFileArgs(container: Container): string[] {
  return (container.args ?? []).flatMap((a) => CONFIG_FILE_ARG.exec(a)?.[1] ?? []);
}

function configFileWiring(objs: readonly K8sObject[]): string[] {
  return podTemplates(objs).flatMap((t) => allContainers(t.spec).flatMap(({ container }) => {
    const { files, opaqueMounts } = mountedFiles(objs, t, container);
    return configFileArgs(container)
      .filter((path) => !files.has(path) && !opaqueMounts.some((m) => path.startsWith(`${m}/`) || path === m))
      .map((path) => `${containerRef(t, container)}: reads its config from ${path}, which no mounted ConfigMap provides`);
  }));
}

/** Prometheus accepts a `*` only in the last path element of a rule file pattern (config.go patRulePath). */
const PROMETHEUS_RULE_PATH = /^[^*]*(\*[^/]*)?$/;

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * In every pod that runs Prometheus (its `--config.file` has `rule_files`), the rule_files
 * patterns are valid for Prometheus and match every file mounted from a rule ConfigMap
 * (labelled app.kubernetes.io/component=prometheus-rules), so no shipped rule is silently unloaded.
 */
function prometheusRuleFileWiring(objs: readonly K8sObject[]): string[] {
  return podTemplates(objs).flatMap((t) => allContainers(t.spec).flatMap(({ container }) => {
    const { files } = mountedFiles(objs, t, container);
    const at = containerRef(t, container);
    return configFileArgs(container).flatMap((configPath) => {
      const configFile = files.get(configPath);
      if (!configFile) return [];
      let parsed: unknown;
      try {
        parsed = parseYaml(field<string>(configFile.configMap, 'data', configFile.key) ?? '');
      } catch {
        return [];
      }
      const patterns = field<unknown>(parsed, 'rule_files');
      if (!Array.isArray(patterns)) return [];
      const problems = patterns
        .filter((p) => typeof p !== 'string' || !PROMETHEUS_RULE_PATH.test(p))
        .map((p) => `${at}: rule_files pattern ${JSON.stringify(p)} is invalid for Prometheus (a * is allowed only in the last path element)`);
      const valid = patterns.filter((p): p is string => typeof p === 'string' && PROMETHEUS_RULE_PATH.test(p)).map(globToRegExp);
      for (const [path, file] of files) {
        if (file.configMap.metadata.labels?.['app.kubernetes.io/component'] !== 'prometheus-rules') continue;
        if (!valid.some((re) => re.test(path))) problems.push(`${at}: rule file ${path} (ConfigMap ${file.configMap.metadata.name} key ${file.key}) matches no valid rule_files pattern`);
      }
      return problems;
    });
  }));
}

interface Subject { kind: string; name: string; namespace?: string }

function bindings(objs: readonly K8sObject[]): K8sObject[] {
  return objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
}

function rbacWiring(objs: readonly K8sObject[]): string[] {
  return bindings(objs).flatMap((b) => {
    const problems: string[] = [];
    const roleRef = field<{ kind: string; name: string }>(b, 'roleRef');
    const roleNamespace = roleRef?.kind === 'Role' ? namespaceOf(b) : '';
    if (!roleRef || !find(objs, roleRef.kind, roleNamespace, roleRef.name)) {
      problems.push(`${ref(b)}: roleRef ${roleRef?.kind} "${roleRef?.name}" does not exist`);
    }
    const subjects = field<Subject[]>(b, 'subjects') ?? [];
    if (subjects.length === 0) problems.push(`${ref(b)}: has no subjects`);
    for (const s of subjects.filter((s) => s.kind === 'ServiceAccount')) {
      const ns = s.namespace ?? namespaceOf(b);
      if (!find(objs, 'ServiceAccount', ns, s.name)) problems.push(`${ref(b)}: subject ServiceAccount ${ns}/${s.name} does not exist`);
    }
    return problems;
  });
}

function statefulSetWiring(objs: readonly K8sObject[]): string[] {
  return objs.filter((o) => o.kind === 'StatefulSet').flatMap((sts) => {
    const serviceName = field<string>(sts, 'spec', 'serviceName');
    if (!serviceName) return [`${ref(sts)}: has no serviceName`];
    const svc = find(objs, 'Service', namespaceOf(sts), serviceName);
    if (!svc) return [`${ref(sts)}: serviceName "${serviceName}" names no Service`];
    if (field(svc, 'spec', 'clusterIP') !== 'None') return [`${ref(sts)}: serviceName "${serviceName}" is not a headless Service (clusterIP: None)`];
    return [];
  });
}

function networkPolicyWiring(objs: readonly K8sObject[]): string[] {
  const templates = podTemplates(objs);
  const ourNamespaces = new Set(objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const selectsSome = (selector: LabelSelector, namespace: string): boolean =>
    templates.some((t) => t.namespace === namespace && matchesSelector(selector, t.labels));
  type Peer = { podSelector?: LabelSelector; namespaceSelector?: LabelSelector };
  return objs.filter((o) => o.kind === 'NetworkPolicy').flatMap((np) => {
    const ns = namespaceOf(np);
    const problems: string[] = [];
    const podSelector = field<LabelSelector>(np, 'spec', 'podSelector') ?? {};
    if (!isEmptySelector(podSelector) && !selectsSome(podSelector, ns)) {
      problems.push(`${ref(np)}: podSelector ${JSON.stringify(podSelector)} matches no pod template`);
    }
    const rules = [
      ...(field<{ from?: Peer[] }[]>(np, 'spec', 'ingress') ?? []).flatMap((r) => r.from ?? []),
      ...(field<{ to?: Peer[] }[]>(np, 'spec', 'egress') ?? []).flatMap((r) => r.to ?? []),
    ];
    for (const peer of rules) {
      if (!peer.podSelector || isEmptySelector(peer.podSelector)) continue;
      // A peer in a namespace we do not synthesize (e.g. kube-system) cannot be checked here.
      const peerNamespace = peer.namespaceSelector
        ? peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name']
        : ns;
      if (peerNamespace === undefined || !ourNamespaces.has(peerNamespace) && peerNamespace !== ns) continue;
      if (!selectsSome(peer.podSelector, peerNamespace)) {
        problems.push(`${ref(np)}: peer podSelector ${JSON.stringify(peer.podSelector)} matches no pod template in ${peerNamespace}`);
      }
    }
    return problems;
  });
}

/**
 * Pre-rename OpenTelemetry component types (the collector still loads them, with a warning): the
 * `aliases` of the contrib 0.159 distribution (shared/reference/otel-collector-0.159-components.json),
 * plus `prometheusremotewrite` (contrib PR #48705).
 */
const RENAMED_COLLECTOR_TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  receivers: { filelog: 'file_log', kubeletstats: 'kubelet_stats', k8sobjects: 'k8s_objects' },
  processors: { k8sattributes: 'k8s_attributes', resourcedetection: 'resource_detection' },
  exporters: { otlp: 'otlp_grpc', otlphttp: 'otlp_http', loadbalancing: 'load_balancing', prometheusremotewrite: 'prometheus_remote_write' },
  connectors: { spanmetrics: 'span_metrics' },
};
/**
 * Config keys of the OTTL-carrying components the stack emits, as the contrib 0.159 distribution's
 * config schemas define them (processor/transformprocessor, connector/routingconnector): an unknown
 * key stops the collector. What their statements do is run by the real OTTL (test/ottl-real.test.ts).
 */
const OTTL_COMPONENT_KEYS: Readonly<Record<string, { keys: readonly string[]; items?: [field: string, keys: readonly string[]] }>> = {
  'processors transform': { keys: ['error_mode', 'flatten_data', 'log_statements', 'metric_statements', 'profile_statements', 'trace_statements'] },
  'connectors routing': { keys: ['default_pipelines', 'error_mode', 'table'], items: ['table', ['action', 'condition', 'context', 'pipelines', 'statement']] },
};
const COLLECTOR_COMPONENTS = ['otel-agent', 'otel-gateway', 'otel-scraper'];
const PIPELINE_ID = /^(traces|metrics|logs|profiles)(\/[^/]+)?$/;

function collectorConfigWiring(objs: readonly K8sObject[]): string[] {
  const component = (o: K8sObject): string | undefined => o.metadata?.labels?.['app.kubernetes.io/component'];
  const configMaps = objs.filter((o) => o.kind === 'ConfigMap' && COLLECTOR_COMPONENTS.includes(component(o) ?? ''));
  const missing = COLLECTOR_COMPONENTS
    .filter((c) => objs.some((o) => component(o) === c && o.kind in TEMPLATE_LOCATIONS))
    .filter((c) => !configMaps.some((cm) => component(cm) === c && field(cm, 'data', 'config.yaml') !== undefined))
    .map((c) => `${c}: no ConfigMap labelled app.kubernetes.io/component=${c} has data key config.yaml`);
  return [
    ...missing,
    ...configMaps.flatMap((cm) => {
      const text = field<string>(cm, 'data', 'config.yaml');
      if (text === undefined) return [];
      let config: unknown;
      try {
        config = parseYaml(text);
      } catch (e) {
        return [`${ref(cm)}: config.yaml is not YAML: ${(e as Error).message.split('\n')[0]}`];
      }
      return collectorConfigViolations(config).map((p) => `${ref(cm)}: config.yaml ${p}`);
    }),
  ];
}

/** Checks one OpenTelemetry Collector config: pipelines, connectors, extensions, names. */
export function collectorConfigViolations(config: unknown): string[] {
  if (!isPlainObject(config)) return ['is not a mapping'];
  const section = (name: string): Set<string> => new Set(Object.keys(isPlainObject(config[name]) ? config[name] : {}));
  const defined = {
    receivers: section('receivers'),
    processors: section('processors'),
    exporters: section('exporters'),
    connectors: section('connectors'),
    extensions: section('extensions'),
  };
  const problems: string[] = [];
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  const pipelines = field<Record<string, Record<string, unknown>>>(config, 'service', 'pipelines') ?? {};
  if (Object.keys(pipelines).length === 0) problems.push('has no service.pipelines');

  for (const [id, pipeline] of Object.entries(pipelines)) {
    if (!PIPELINE_ID.test(id)) problems.push(`pipeline "${id}": id must be traces|metrics|logs|profiles[/name]`);
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const list = pipeline?.[role] ?? [];
      if (!Array.isArray(list)) {
        problems.push(`pipeline "${id}": ${role} is not a list`);
        continue;
      }
      if (list.length === 0 && role !== 'processors') problems.push(`pipeline "${id}": has no ${role}`);
      for (const name of list as string[]) {
        used[role].add(name);
        const connectorAllowed = role !== 'processors' && defined.connectors.has(name);
        if (!defined[role].has(name) && !connectorAllowed) problems.push(`pipeline "${id}": ${role.slice(0, -1)} "${name}" is not defined`);
      }
    }
  }
  for (const role of ['receivers', 'processors', 'exporters'] as const) {
    for (const name of defined[role]) {
      if (!used[role].has(name)) problems.push(`${role.slice(0, -1)} "${name}" is defined but used by no pipeline`);
    }
  }
  for (const name of defined.connectors) {
    if (!used.exporters.has(name)) problems.push(`connector "${name}" is not used as an exporter by any pipeline`);
    if (!used.receivers.has(name)) problems.push(`connector "${name}" is not used as a receiver by any pipeline`);
  }
  const enabled = field<string[]>(config, 'service', 'extensions') ?? [];
  for (const name of enabled.filter((e) => !defined.extensions.has(e))) problems.push(`extension "${name}" is enabled in service.extensions but not defined`);
  for (const name of [...defined.extensions].filter((e) => !enabled.includes(e))) problems.push(`extension "${name}" is defined but not in service.extensions`);

  for (const role of ['processors', 'connectors']) {
    for (const [name, value] of Object.entries(isPlainObject(config[role]) ? config[role] : {})) {
      const known = OTTL_COMPONENT_KEYS[`${role} ${name.split('/')[0]}`];
      if (!known || !isPlainObject(value)) continue;
      const unknown = (v: Record<string, unknown>, keys: readonly string[], where: string) =>
        Object.keys(v).filter((k) => !keys.includes(k)).map((k) => `${role.slice(0, -1)} "${name}": unknown key ${where}${k} (known: ${keys.join(', ')})`);
      problems.push(...unknown(value, known.keys, ''));
      const [field, keys] = known.items ?? [];
      if (field && Array.isArray(value[field])) (value[field] as unknown[]).forEach((item, i) => isPlainObject(item) && problems.push(...unknown(item, keys!, `${field}[${i}].`)));
    }
  }
  for (const [role, renames] of Object.entries(RENAMED_COLLECTOR_TYPES)) {
    for (const name of section(role)) {
      const renamed = renames[name.split('/')[0]!];
      if (renamed) problems.push(`${role.slice(0, -1)} "${name}" uses the deprecated type name; use "${renamed}"`);
    }
  }
  return problems;
}

function grafanaWiring(objs: readonly K8sObject[]): string[] {
  const configMaps = objs.filter((o) => o.kind === 'ConfigMap');
  const problems: string[] = [];
  const uidsByNamespace = new Map<string, Set<string>>();
  const datasourceFiles: { cm: K8sObject; key: string; datasources: Record<string, unknown>[] }[] = [];

  for (const cm of configMaps) {
    for (const [key, text] of Object.entries(field<Record<string, string>>(cm, 'data') ?? {})) {
      if (!key.endsWith('datasources.yaml')) continue;
      let parsed: unknown;
      try {
        parsed = parseYaml(text);
      } catch (e) {
        problems.push(`${ref(cm)}: ${key} is not YAML: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      const datasources = field<Record<string, unknown>[]>(parsed, 'datasources') ?? [];
      datasourceFiles.push({ cm, key, datasources });
      const uids = uidsByNamespace.get(namespaceOf(cm)) ?? new Set<string>();
      uidsByNamespace.set(namespaceOf(cm), uids);
      for (const ds of datasources) {
        if (typeof ds.uid !== 'string') problems.push(`${ref(cm)}: ${key} datasource "${String(ds.name)}" has no uid`);
        else if (uids.has(ds.uid)) problems.push(`${ref(cm)}: ${key} datasource uid "${ds.uid}" is not unique`);
        else uids.add(ds.uid);
      }
    }
  }

  for (const { cm, key, datasources } of datasourceFiles) {
    const uids = uidsByNamespace.get(namespaceOf(cm))!;
    for (const ds of datasources) {
      for (const { path, value } of valuesOfKey(ds.jsonData, 'datasourceUid', `jsonData`)) {
        if (!uids.has(String(value))) problems.push(`${ref(cm)}: ${key} datasource "${String(ds.uid ?? ds.name)}" ${path} = "${String(value)}" is not a provisioned datasource uid`);
      }
    }
  }

  // Dashboards shipped in ConfigMaps: every panel datasource uid is provisioned (template variables excepted).
  for (const cm of configMaps) {
    const uids = uidsByNamespace.get(namespaceOf(cm));
    if (!uids) continue;
    for (const [key, text] of Object.entries(field<Record<string, string>>(cm, 'data') ?? {})) {
      if (!key.endsWith('.json')) continue;
      let dashboard: unknown;
      try {
        dashboard = JSON.parse(text);
      } catch (e) {
        problems.push(`${ref(cm)}: ${key} is not JSON: ${(e as Error).message}`);
        continue;
      }
      for (const { path, value } of valuesOfKey(dashboard, 'datasource', key)) {
        const uid = field<string>(value, 'uid');
        // Grafana's built-ins: `-- Mixed --` and friends, `grafana`, and `__expr__` (server-side expressions).
        if (uid === undefined || uid.startsWith('$') || uid.startsWith('-- ') || uid === 'grafana' || uid === '__expr__') continue;
        if (!uids.has(uid)) problems.push(`${ref(cm)}: ${path}.uid = "${uid}" is not a provisioned datasource uid`);
      }
    }
  }
  return problems;
}

/** Every value stored under `key` anywhere inside `value`, with a readable path. */
function valuesOfKey(value: unknown, key: string, path: string): { path: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => valuesOfKey(v, key, `${path}[${i}]`));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [{ path: `${path}.${k}`, value: v }] : []),
    ...valuesOfKey(v, key, `${path}.${k}`),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Pod security: PSS restricted (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// ---------------------------------------------------------------------------------------------

const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

export interface PodSecurityOptions {
  /** Namespaces allowed to run privileged-level pods (the node agent's); checked with the reduced rule set. */
  exemptNamespaces?: readonly string[];
  /** Host paths that pods in exempt namespaces may mount writable (e.g. a collector's checkpoint directory). */
  writableHostPaths?: readonly string[];
  /** Workloads (`Kind namespace/name`) in exempt namespaces that may use the host network (node-exporter); none may use host PID or IPC. */
  hostNetworkWorkloads?: readonly string[];
}

/**
 * Restricted Pod Security Standard for every pod template outside the exempt namespaces, plus our
 * rules: requests and limits, probes on long-running containers, read-only root filesystem, and
 * ServiceAccount tokens mounted only for bound accounts. Exempt namespaces still need read-only host
 * mounts (except `writableHostPaths`), no privileged containers, capabilities dropped, resources,
 * and the namespace labelled for its PSS level.
 */
export function podSecurityViolations(objs: readonly K8sObject[], options: PodSecurityOptions = {}): string[] {
  const exempt = new Set(options.exemptNamespaces ?? []);
  const templates = podTemplates(objs);
  const problems = templates.flatMap((t) =>
    exempt.has(t.namespace)
      ? exemptPodViolations(t, options.writableHostPaths ?? [], options.hostNetworkWorkloads ?? [])
      : [...restrictedPodViolations(t), ...ourPodRules(t, objs)]);

  for (const ns of [...new Set(templates.map((t) => t.namespace))]) {
    const namespace = find(objs, 'Namespace', '', ns);
    const level = namespace?.metadata?.labels?.[PSS_ENFORCE_LABEL];
    if (!namespace) problems.push(`Namespace ${ns}: runs pods but is not synthesized, so it carries no ${PSS_ENFORCE_LABEL} label`);
    else if (exempt.has(ns) ? level === undefined : level !== 'restricted') {
      problems.push(`${ref(namespace)}: label ${PSS_ENFORCE_LABEL} is ${JSON.stringify(level ?? null)}, expected ${exempt.has(ns) ? 'a level (privileged or baseline)' : '"restricted"'}`);
    }
  }
  return problems;
}

function restrictedPodViolations(t: PodTemplate): string[] {
  const spec = t.spec;
  const pod = spec.securityContext ?? {};
  const problems: string[] = [];
  const owner = ref(t.owner);
  for (const hostNs of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[hostNs]) problems.push(`${owner}: ${hostNs} is true`);
  }
  for (const v of spec.volumes ?? []) {
    const type = volumeType(v);
    if (!RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`${owner}: volume "${v.name}" has type ${type}, not allowed by restricted`);
  }
  if (pod.runAsUser === 0) problems.push(`${owner}: pod securityContext.runAsUser is 0`);
  for (const s of pod.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(s.name)) problems.push(`${owner}: sysctl ${s.name} is not in the safe set`);
  }
  for (const [key, value] of Object.entries(t.annotations)) {
    if (key.startsWith(APPARMOR_PREFIX) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      problems.push(`${owner}: AppArmor profile ${value} for ${key.slice(APPARMOR_PREFIX.length)} is not runtime/default or localhost/*`);
    }
  }
  for (const { container } of allContainers(spec)) {
    const at = containerRef(t, container);
    const sc = container.securityContext ?? {};
    if (sc.privileged) problems.push(`${at}: privileged is true`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot must be true (pod or container)`);
    if (sc.runAsUser === 0) problems.push(`${at}: runAsUser is 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${at}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container), got ${seccomp ?? 'none'}`);
    problems.push(...capabilityViolations(at, sc));
    for (const added of (sc.capabilities?.add ?? []).filter((c) => c !== 'NET_BIND_SERVICE')) problems.push(`${at}: adds capability ${added}; only NET_BIND_SERVICE is allowed`);
    for (const p of (container.ports ?? []).filter((p) => p.hostPort)) problems.push(`${at}: hostPort ${p.hostPort} is set`);
    if (sc.windowsOptions?.hostProcess ?? pod.windowsOptions?.hostProcess) problems.push(`${at}: windowsOptions.hostProcess is true`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') problems.push(`${at}: procMount is ${sc.procMount}`);
    for (const se of [pod.seLinuxOptions, sc.seLinuxOptions]) {
      if (!se) continue;
      if (!SELINUX_TYPES.has(se.type ?? '')) problems.push(`${at}: seLinuxOptions.type ${se.type} is not allowed`);
      if (se.user || se.role) problems.push(`${at}: seLinuxOptions sets user or role`);
    }
  }
  return problems;
}

function capabilityViolations(at: string, sc: SecurityContext): string[] {
  return (sc.capabilities?.drop ?? []).includes('ALL') ? [] : [`${at}: capabilities.drop must include ALL`];
}

function resourceViolations(t: PodTemplate): string[] {
  return allContainers(t.spec)
    .filter(({ kind }) => kind !== 'ephemeral')
    .flatMap(({ container }) => (['requests', 'limits'] as const).flatMap((kind) =>
      ['cpu', 'memory']
        .filter((r) => container.resources?.[kind]?.[r] === undefined)
        .map((r) => `${containerRef(t, container)}: resources.${kind}.${r} is not set`)));
}

function ourPodRules(t: PodTemplate, objs: readonly K8sObject[]): string[] {
  const problems = resourceViolations(t);
  for (const { container, kind } of allContainers(t.spec)) {
    const at = containerRef(t, container);
    if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
    if (t.longRunning && kind === 'main') {
      if (!container.livenessProbe) problems.push(`${at}: has no livenessProbe`);
      if (!container.readinessProbe) problems.push(`${at}: has no readinessProbe`);
    }
  }
  const saName = t.spec.serviceAccountName ?? 'default';
  const sa = find(objs, 'ServiceAccount', t.namespace, saName);
  const automount = t.spec.automountServiceAccountToken ?? field<boolean>(sa, 'automountServiceAccountToken') ?? true;
  if (automount && !isBound(objs, t.namespace, saName)) {
    problems.push(`${ref(t.owner)}: mounts a token for ServiceAccount "${saName}", which no RoleBinding or ClusterRoleBinding grants anything; set automountServiceAccountToken: false`);
  }
  return problems;
}

function isBound(objs: readonly K8sObject[], namespace: string, serviceAccount: string): boolean {
  return bindings(objs).some((b) => (field<Subject[]>(b, 'subjects') ?? []).some((s) =>
    s.kind === 'ServiceAccount' && s.name === serviceAccount && (s.namespace ?? namespaceOf(b)) === namespace));
}

function exemptPodViolations(t: PodTemplate, writableHostPaths: readonly string[], hostNetworkWorkloads: readonly string[]): string[] {
  const problems = resourceViolations(t);
  const owner = ref(t.owner);
  if (t.spec.hostNetwork && !hostNetworkWorkloads.includes(owner)) problems.push(`${owner}: hostNetwork is true`);
  for (const hostNs of ['hostPID', 'hostIPC'] as const) if (t.spec[hostNs]) problems.push(`${owner}: ${hostNs} is true`);
  const hostVolumes = new Map((t.spec.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]));
  for (const { container } of allContainers(t.spec)) {
    const at = containerRef(t, container);
    const sc = container.securityContext ?? {};
    if (sc.privileged) problems.push(`${at}: privileged is true`);
    problems.push(...capabilityViolations(at, sc));
    for (const m of container.volumeMounts ?? []) {
      const hostPath = hostVolumes.get(m.name);
      if (hostPath !== undefined && !m.readOnly && !writableHostPaths.includes(hostPath)) {
        problems.push(`${at}: mounts host path ${hostPath} writable (volumeMount "${m.name}" needs readOnly: true)`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Architectures and images
// ---------------------------------------------------------------------------------------------

const PER_ARCH_TAG = /[-_.](amd64|arm64|aarch64|x86_64|arm|armv7|ppc64le|s390x|riscv64)([-_.]|$)/;

/** Why an image reference is not a pinned multi-arch reference, or undefined if it is. */
export function imagePinProblem(image: string): string | undefined {
  const [name, digest] = image.split('@');
  const lastSegment = name!.slice(name!.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  if (tag === undefined && digest === undefined) return 'has no tag';
  if (tag === 'latest') return 'uses the floating tag latest';
  if (tag !== undefined && PER_ARCH_TAG.test(tag)) return `tag "${tag}" names one architecture; use the multi-arch manifest list`;
  return undefined;
}

/**
 * Every pod template requires `kubernetes.io/arch` In exactly `archs` (in every node selector
 * term), tolerates the arm64 taint when arm64 is configured, and runs only catalog images that
 * are pinned multi-arch references.
 */
export function architectureViolations(
  objs: readonly K8sObject[],
  archs: readonly string[],
  catalog: readonly string[] = Object.values(IMAGES),
): string[] {
  const wanted = [...archs].sort().join(',');
  return podTemplates(objs).flatMap((t) => {
    const owner = ref(t.owner);
    const problems: string[] = [];
    // Every image is Linux-only; on a cluster with Windows nodes an unpinned pod lands there and fails.
    if ((t.spec as { nodeSelector?: Record<string, string> }).nodeSelector?.['kubernetes.io/os'] !== 'linux') problems.push(`${owner}: does not select kubernetes.io/os: linux`);
    const terms = t.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    if (terms.length === 0) problems.push(`${owner}: has no required node affinity on ${ARCH_LABEL}`);
    terms.forEach((term, i) => {
      const archExpr = (term.matchExpressions ?? []).filter((e) => e.key === ARCH_LABEL);
      const got = archExpr.length === 1 && archExpr[0]!.operator === 'In' ? [...(archExpr[0]!.values ?? [])].sort().join(',') : undefined;
      if (got !== wanted) problems.push(`${owner}: nodeSelectorTerms[${i}] must require ${ARCH_LABEL} In [${wanted}], got ${got === undefined ? 'no single In expression' : `[${got}]`}`);
    });
    if (archs.includes('arm64')) {
      const tolerated = (t.spec.tolerations ?? []).some((tol) =>
        (tol.key === ARCH_LABEL || (tol.key === undefined && tol.operator === 'Exists')) &&
        (tol.operator === 'Exists' || tol.value === 'arm64') &&
        (tol.effect === undefined || tol.effect === '' || tol.effect === 'NoSchedule'));
      if (!tolerated) problems.push(`${owner}: does not tolerate ${ARCH_LABEL}=arm64:NoSchedule`);
    }
    for (const { container } of allContainers(t.spec)) {
      const at = containerRef(t, container);
      const image = container.image ?? '';
      if (!catalog.includes(image)) problems.push(`${at}: image "${image}" is not in the image catalog (src/model/images.ts)`);
      const pin = imagePinProblem(image);
      if (pin) problems.push(`${at}: image "${image}" ${pin}`);
    }
    return problems;
  });
}

// ---------------------------------------------------------------------------------------------
// Names, labels, secrets
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** cdk8s appends the first 8 characters of the construct address, which always starts with `c8`. */
const CDK8S_HASH_SUFFIX = /-c8[0-9a-f]{6}$/;
const REQUIRED_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];
const SECRET_LIKE_NAME = /(passw(or)?d|secret|token|api[-_]?key|private[-_]?key|credential)/i;
const SECRET_LIKE_VALUE = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /\bAKIA[0-9A-Z]{16}\b/, /\bgh[pousr]_[A-Za-z0-9]{36}\b/, /\bxox[abprs]-[A-Za-z0-9-]+/];
const LABEL_NAME_KINDS = new Set(['Namespace', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function nameProblem(kind: string, name: string): string | undefined {
  if (kind === 'Service') return name.length <= 63 && DNS_1035_LABEL.test(name) ? undefined : 'is not a DNS-1035 label';
  if (LABEL_NAME_KINDS.has(kind)) return name.length <= 63 && DNS_LABEL.test(name) ? undefined : 'is not a DNS-1123 label';
  return name.length <= 253 && DNS_SUBDOMAIN.test(name) ? undefined : 'is not a DNS-1123 subdomain';
}

/**
 * Readable, DNS-valid names without cdk8s hash suffixes; the `app.kubernetes.io/*` labels on every
 * object and pod template; no Secret carrying data; no credential-like literal in env or ConfigMaps.
 */
export function namingViolations(objs: readonly K8sObject[], partOf: string): string[] {
  const problems: string[] = [];
  const labelProblems = (where: string, labels: Record<string, string>): void => {
    for (const key of REQUIRED_LABELS.filter((k) => !labels[k])) problems.push(`${where}: label ${key} is missing`);
    if (labels['app.kubernetes.io/part-of'] && labels['app.kubernetes.io/part-of'] !== partOf) problems.push(`${where}: label app.kubernetes.io/part-of is "${labels['app.kubernetes.io/part-of']}", expected "${partOf}"`);
    if (labels['app.kubernetes.io/managed-by'] && labels['app.kubernetes.io/managed-by'] !== MANAGED_BY) problems.push(`${where}: label app.kubernetes.io/managed-by is "${labels['app.kubernetes.io/managed-by']}", expected "${MANAGED_BY}"`);
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`${where}: label ${k} value ${JSON.stringify(v)} is not a valid label value`);
    }
  };

  for (const o of objs) {
    const name = o.metadata?.name ?? '';
    const nameIssue = nameProblem(o.kind, name);
    if (nameIssue) problems.push(`${ref(o)}: name "${name}" ${nameIssue}`);
    if (CDK8S_HASH_SUFFIX.test(name)) problems.push(`${ref(o)}: name "${name}" ends in a cdk8s hash suffix`);
    labelProblems(ref(o), o.metadata?.labels ?? {});
    if (o.kind === 'Secret' && (Object.keys(field(o, 'data') ?? {}).length > 0 || Object.keys(field(o, 'stringData') ?? {}).length > 0)) {
      problems.push(`${ref(o)}: carries data; secrets must come from Secrets the user owns, never from manifests`);
    }
    if (o.kind === 'ConfigMap') {
      for (const [key, text] of Object.entries(field<Record<string, string>>(o, 'data') ?? {})) {
        if (SECRET_LIKE_VALUE.some((re) => re.test(text))) problems.push(`${ref(o)}: data key ${key} contains something that looks like a credential`);
      }
    }
    if (o.kind === 'Service') {
      for (const p of field<{ name?: string }[]>(o, 'spec', 'ports') ?? []) {
        if (p.name !== undefined && !DNS_LABEL.test(p.name)) problems.push(`${ref(o)}: port name "${p.name}" is not a DNS-1123 label`);
      }
    }
  }

  for (const t of podTemplates(objs)) {
    if (t.owner.kind !== 'Pod') labelProblems(`${ref(t.owner)} pod template`, t.labels);
    for (const { container } of allContainers(t.spec)) {
      const at = containerRef(t, container);
      if (!DNS_LABEL.test(container.name) || container.name.length > 63) problems.push(`${at}: name is not a DNS-1123 label`);
      for (const p of container.ports ?? []) {
        if (p.name !== undefined && (p.name.length > 15 || !IANA_SVC_NAME.test(p.name))) problems.push(`${at}: port name "${p.name}" is not an IANA service name (≤15 chars, lowercase, a letter, no "--")`);
      }
      for (const e of container.env ?? []) {
        if (e.value === undefined || e.value === '') continue;
        const pointsAtFile = /_FILE$/i.test(e.name);
        if ((SECRET_LIKE_NAME.test(e.name) && !pointsAtFile && !/^\$\(.*\)$/.test(e.value)) || SECRET_LIKE_VALUE.some((re) => re.test(e.value!))) {
          problems.push(`${at}: env ${e.name} has a literal value that looks like a credential; use valueFrom.secretKeyRef`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Network policies
// ---------------------------------------------------------------------------------------------

interface PolicyRule { ports?: { port?: number | string; protocol?: string }[] }

/**
 * Each namespace that runs pods has a default-deny policy (empty pod selector, no rules) for
 * ingress, and with strict egress for egress too; with strict egress every pod template is
 * selected by at least one policy that allows something. Every egress-isolated pod may reach DNS
 * (port 53) — without it nothing resolves; with open egress no pod is egress-isolated.
 */
export function networkPolicyViolations(objs: readonly K8sObject[], egressMode: 'open' | 'strict' = 'strict'): string[] {
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
  const templates = podTemplates(objs);
  const problems: string[] = [];
  const types = (np: K8sObject): string[] => field<string[]>(np, 'spec', 'policyTypes') ?? ['Ingress'];
  const ingress = (np: K8sObject): PolicyRule[] => field<PolicyRule[]>(np, 'spec', 'ingress') ?? [];
  const egress = (np: K8sObject): PolicyRule[] => field<PolicyRule[]>(np, 'spec', 'egress') ?? [];

  for (const ns of [...new Set(templates.map((t) => t.namespace))]) {
    const denied = new Set(policies
      .filter((np) => namespaceOf(np) === ns && isEmptySelector(field(np, 'spec', 'podSelector')))
      .filter((np) => ingress(np).length === 0 && egress(np).length === 0)
      .flatMap(types));
    for (const direction of (egressMode === 'strict' ? ['Ingress', 'Egress'] : ['Ingress']).filter((d) => !denied.has(d))) {
      problems.push(`namespace ${ns}: no default-deny NetworkPolicy for ${direction} (empty podSelector, policyTypes ${direction}, no rules)`);
    }
  }

  // NetworkPolicies do not apply to host-network pods: their traffic is the node's (the scrapers' egress to them is to node addresses).
  for (const t of templates.filter((t) => !t.spec.hostNetwork)) {
    const selecting = policies.filter((np) => namespaceOf(np) === t.namespace && matchesSelector(field(np, 'spec', 'podSelector'), t.labels));
    if (egressMode === 'strict' && !selecting.some((np) => ingress(np).length > 0 || egress(np).length > 0)) {
      problems.push(`${ref(t.owner)}: no NetworkPolicy allows any traffic for its pods`);
    }
    const egressIsolated = selecting.some((np) => types(np).includes('Egress'));
    if (egressMode === 'open' && egressIsolated) problems.push(`${ref(t.owner)}: egress is restricted although networkPolicy.egress is open`);
    if (!egressIsolated) continue;
    const dnsAllowed = selecting.some((np) => types(np).includes('Egress') && egress(np).some((rule) =>
      !rule.ports || rule.ports.some((p) => p.port === 53 || p.port === 'dns' || p.port === undefined)));
    if (!dnsAllowed) problems.push(`${ref(t.owner)}: no NetworkPolicy allows its pods egress to DNS (port 53)`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// All checks for one synthesized cluster
// ---------------------------------------------------------------------------------------------

/** What a stack config promises about every cluster's objects. */
export interface StackExpectations {
  readonly architectures: readonly string[];
  readonly partOf: string;
  readonly exemptNamespaces: readonly string[];
  readonly writableHostPaths: readonly string[];
  readonly hostNetworkWorkloads: readonly string[];
  readonly egress: 'open' | 'strict';
}

export function stackExpectations(config: StackConfig): StackExpectations {
  return {
    architectures: config.architectures,
    partOf: config.name,
    exemptNamespaces: [config.agentNamespace],
    writableHostPaths: [AGENT_HOST_PATHS.checkpoints],
    // node-exporter reads the node's interfaces: only the host network namespace has them.
    hostNetworkWorkloads: [`DaemonSet ${config.agentNamespace}/${NODE_EXPORTER}`],
    egress: config.networkPolicy.egress,
  };
}

/**
 * Every property check by name, for a test to run over each cluster a config synthesizes:
 * `it.each(Object.entries(STACK_CHECKS))('%s', (_, check) => expect(check(objs, e)).toEqual([]))`.
 */
export const STACK_CHECKS: Readonly<Record<string, (objs: readonly K8sObject[], e: StackExpectations) => string[]>> = {
  'Kubernetes schema': (objs) => schemaViolations(objs),
  wiring: (objs) => wiringViolations(objs),
  'pod security': (objs, e) => podSecurityViolations(objs, e),
  architectures: (objs, e) => architectureViolations(objs, e.architectures),
  'names and secrets': (objs, e) => namingViolations(objs, e.partOf),
  'network policies': (objs, e) => networkPolicyViolations(objs, e.egress),
};
