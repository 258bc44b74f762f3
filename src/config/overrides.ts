import type { InputProblem } from '../errors.ts';
import type { KeyPath, YamlSource } from '../input/yaml-source.ts';
import { cpuMillis, memoryBytes, memoryMiB } from './quantity.ts';
import { COLLECTOR_MIN_MEMORY_MIB, SIZE_PRESETS } from './sizes.ts';
import type { Topology } from '../model/topology.ts';
import type { AffinityConfig, ClusterConfig, ComputeResources, ExtraEnvConfig, NodeSelectorTermConfig, PodOverridesConfig, StackConfig } from '../model/types.ts';
import { overridesOf, runsWorkload, sectionAt, WORKLOAD_NAMES, WORKLOADS, type Workload } from './workloads.ts';

/** A workload's settings in one cluster: its size's resources under the user's, and the other overrides merged. */
export interface ResolvedWorkload {
  readonly resources: ComputeResources;
  readonly overrides: Omit<PodOverridesConfig, 'resources'>;
}

type OverridesInput = Pick<StackConfig, 'size' | 'components' | 'architectures'>;

/**
 * `workload`'s settings in `cluster`: `clusters[].components` over `components` over the size
 * preset. Maps merge key by key and lists add up (a cluster's env var replaces one of the same
 * name); a cluster's `affinity` or `priorityClassName` replaces the stack-wide one.
 */
export function resolveWorkload(config: OverridesInput, cluster: ClusterConfig, workload: Workload): ResolvedWorkload {
  const keys = WORKLOADS[workload].keys;
  const stack = overridesOf(sectionAt(config.components, keys));
  const own = overridesOf(sectionAt(cluster.components, keys));
  const preset = SIZE_PRESETS[config.size].resources[workload];
  const pick = (kind: 'cpu' | 'memory', field: 'request' | 'limit') => {
    const plural = field === 'request' ? 'requests' : 'limits';
    // YAML reads `cpu: 2` as a number; Kubernetes quantities are strings.
    return String(own.resources?.[plural]?.[kind] ?? stack.resources?.[plural]?.[kind] ?? preset[kind][field]);
  };
  const env = [...(stack.extraEnv ?? []), ...(own.extraEnv ?? [])];
  const merged: Omit<PodOverridesConfig, 'resources'> = {
    nodeSelector: mergeMaps(stack.nodeSelector, own.nodeSelector),
    tolerations: concat(stack.tolerations, own.tolerations),
    affinity: own.affinity ?? stack.affinity,
    priorityClassName: own.priorityClassName ?? stack.priorityClassName,
    podAnnotations: mergeMaps(stack.podAnnotations, own.podAnnotations),
    podLabels: mergeMaps(stack.podLabels, own.podLabels),
    extraArgs: concat(stack.extraArgs, own.extraArgs),
    extraEnv: env.length ? [...new Map(env.map((e) => [e.name, e])).values()] : undefined,
  };
  return {
    resources: { cpu: { request: pick('cpu', 'request'), limit: pick('cpu', 'limit') }, memory: { request: pick('memory', 'request'), limit: pick('memory', 'limit') } },
    overrides: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)),
  };
}

function mergeMaps<T>(a: Readonly<Record<string, T>> | undefined, b: Readonly<Record<string, T>> | undefined): Record<string, T> | undefined {
  return a || b ? { ...a, ...b } : undefined;
}

function concat<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] | undefined {
  return a || b ? [...(a ?? []), ...(b ?? [])] : undefined;
}

const ARCH_LABEL = 'kubernetes.io/arch';
const OS_LABEL = 'kubernetes.io/os';
/** Labels the stack puts on every pod and selects them by: a pod label of the user's must not move a pod out of its selector. */
const RESERVED_LABEL_PREFIX = 'app.kubernetes.io/';
/** Annotations the stack sets on pods (the config hash). */
const RESERVED_ANNOTATION_PREFIX = 'o11y.dev/';
/** Env var names that hold credentials: only from a Secret (`valueFrom.secretKeyRef`). */
const SECRET_LIKE_NAME = /(passw(or)?d|secret|token|api[-_]?key|private[-_]?key|credential)/i;

/** The located problems of every per-component override in the config (schema-valid input). */
export function overrideProblems(source: YamlSource, config: OverridesInput & Pick<StackConfig, 'clusters'>, topology: Topology): InputProblem[] {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const at = (path: KeyPath, message: string) => {
    const key = `${path.join('.')}|${message}`;
    if (!seen.has(key)) problems.push(source.problem(path, message)), seen.add(key);
  };
  const sections: { path: KeyPath; overrides: PodOverridesConfig; workload: Workload; cluster?: { config: ClusterConfig; index: number } }[] = [];
  for (const workload of WORKLOAD_NAMES) {
    const keys = WORKLOADS[workload].keys;
    sections.push({ path: ['components', ...keys], overrides: overridesOf(sectionAt(config.components, keys)), workload });
    config.clusters.forEach((cluster, index) => {
      const section = sectionAt(cluster.components, keys);
      if (section) sections.push({ path: ['clusters', index, 'components', ...keys], overrides: overridesOf(section), workload, cluster: { config: cluster, index } });
    });
  }

  for (const { path, overrides, workload, cluster } of sections) {
    const set = Object.keys(overrides);
    if (!set.length) continue;
    const runsIn = config.clusters.filter((c) => runsWorkload(config, topology, c, workload)).map((c) => c.name);
    if (cluster && !runsIn.includes(cluster.config.name)) {
      at(path, `cluster "${cluster.config.name}" does not run ${workload}${runsIn.length ? ` (it runs in: ${runsIn.join(', ')})` : ''}; remove these overrides`);
      continue;
    }
    if (!cluster && !runsIn.length) {
      at([...path, set[0]!], `no cluster runs ${workload} (${placementWords(workload)}); remove its overrides`);
      continue;
    }
    problems.push(...sectionProblems(source, path, overrides, config.architectures));
  }

  // Limits below requests, and collector memory, on what each cluster ends up with (size and overrides together).
  config.clusters.forEach((cluster, index) => {
    for (const workload of WORKLOAD_NAMES) {
      if (!runsWorkload(config, topology, cluster, workload)) continue;
      const { resources } = resolveWorkload(config, cluster, workload);
      const keys = WORKLOADS[workload].keys;
      // The most specific key the user wrote: the cluster's, then the stack-wide one.
      const userKey = (plural: 'requests' | 'limits', kind: 'cpu' | 'memory'): KeyPath | undefined => {
        if (overridesOf(sectionAt(cluster.components, keys)).resources?.[plural]?.[kind] !== undefined) return ['clusters', index, 'components', ...keys, 'resources', plural, kind];
        if (overridesOf(sectionAt(config.components, keys)).resources?.[plural]?.[kind] !== undefined) return ['components', ...keys, 'resources', plural, kind];
        return undefined;
      };
      for (const kind of ['cpu', 'memory'] as const) {
        const amount = kind === 'cpu' ? cpuMillis : memoryBytes;
        const { request, limit } = resources[kind];
        if (amount(limit) < amount(request)) {
          const path = userKey('limits', kind) ?? userKey('requests', kind) ?? ['size'];
          at(path, `${kind} limit ${limit} is below the request ${request} (${workload} in cluster "${cluster.name}", size ${config.size}); a limit must be at least the request`);
        }
      }
      const minimum = COLLECTOR_MIN_MEMORY_MIB[workload];
      if (minimum !== undefined && memoryMiB(resources.memory.limit) < minimum) {
        at(userKey('limits', 'memory') ?? ['size'], `${workload} needs a memory limit of at least ${minimum}Mi (its exporter queues live in it), got ${resources.memory.limit}`);
      }
    }
  });
  return problems;
}

function placementWords(workload: Workload): string {
  const runsIn = WORKLOADS[workload].runsIn;
  if (runsIn === 'agents') return 'node agents are off: components.collector.agent is false';
  if (runsIn === 'non-backend') return 'it runs only in clusters without role backend, and every cluster has it';
  if (runsIn === 'globalSelect') return 'it runs in the Grafana cluster with components.victoriametrics.globalSelect: true';
  if (runsIn === 'prometheus' || runsIn === 'victoriametrics') return `it runs in backend clusters whose metrics.mode is ${runsIn === 'prometheus' ? 'prometheus (the default)' : 'victoriametrics-cluster'}`;
  return `it runs in clusters with role ${runsIn}`;
}

/** Problems within one override section, independent of resolution. */
function sectionProblems(source: YamlSource, path: KeyPath, o: PodOverridesConfig, architectures: readonly string[]): InputProblem[] {
  const problems: InputProblem[] = [];
  const at = (sub: KeyPath, message: string) => problems.push(source.problem([...path, ...sub], message));
  const configured = `architectures [${architectures.join(', ')}]`;

  for (const [key, value] of Object.entries(o.nodeSelector ?? {})) {
    if (key === OS_LABEL && value !== 'linux') at(['nodeSelector', key], `every image of the stack is Linux-only: ${OS_LABEL} must be linux`);
    if (key === ARCH_LABEL) {
      at(['nodeSelector', key], architectures.includes(value)
        ? `${ARCH_LABEL} is set by ${configured} on every pod; to run on fewer architectures change architectures, not one component`
        : `${ARCH_LABEL}: ${value} contradicts ${configured}`);
    }
  }
  affinityProblems(o.affinity, architectures).forEach(({ sub, message }) => at(['affinity', ...sub], message));
  for (const key of Object.keys(o.podLabels ?? {})) {
    if (key.startsWith(RESERVED_LABEL_PREFIX)) at(['podLabels', key], `${RESERVED_LABEL_PREFIX}* labels are the stack's own (its Services and selectors use them)`);
  }
  for (const key of Object.keys(o.podAnnotations ?? {})) {
    if (key.startsWith(RESERVED_ANNOTATION_PREFIX)) at(['podAnnotations', key], `${RESERVED_ANNOTATION_PREFIX}* annotations are the stack's own`);
  }
  (o.extraEnv ?? []).forEach((e: ExtraEnvConfig, i) => {
    if ('value' in e && SECRET_LIKE_NAME.test(e.name)) {
      at(['extraEnv', i, 'value'], `${e.name} looks like a credential: take it from a Secret with valueFrom.secretKeyRef { name, key } instead of a literal value`);
    }
  });
  const names = (o.extraEnv ?? []).map((e) => e.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) at(['extraEnv', i, 'name'], `duplicate env var ${name} (first at extraEnv[${names.indexOf(name)}])`);
  });
  return problems;
}

/**
 * Where a user affinity fights `architectures`: a required node selector term that names an
 * architecture not configured, or leaves out a configured one (the stack promises every workload on
 * every configured architecture, and adds that requirement itself); a preference for an
 * architecture that is not configured can never be met.
 */
export function affinityProblems(affinity: AffinityConfig | undefined, architectures: readonly string[]): { sub: KeyPath; message: string }[] {
  const problems: { sub: KeyPath; message: string }[] = [];
  const configured = `architectures [${architectures.join(', ')}]`;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  terms.forEach((term: NodeSelectorTermConfig, t) => {
    (term.matchExpressions ?? []).forEach((e, i) => {
      if (e.key !== ARCH_LABEL) return;
      const sub: KeyPath = ['nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms', t, 'matchExpressions', i];
      const allowed = archesAllowed(e.operator, e.values ?? [], architectures);
      const unknown = e.operator === 'In' ? (e.values ?? []).filter((v) => !architectures.includes(v)) : [];
      if (unknown.length || allowed.length < architectures.length) {
        const what = unknown.length ? `requires ${unknown.join(', ')}, not configured` : allowed.length ? `excludes ${architectures.filter((a) => !allowed.includes(a)).join(', ')}` : 'allows none of them';
        problems.push({ sub, message: `${ARCH_LABEL} ${e.operator}${e.values ? ` [${e.values.join(', ')}]` : ''} contradicts ${configured}: it ${what}` });
      } else {
        problems.push({ sub, message: `${ARCH_LABEL} is already required In [${architectures.join(', ')}] on every pod (from architectures); remove this expression` });
      }
    });
  });
  (affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, t) => {
    (p.preference.matchExpressions ?? []).forEach((e, i) => {
      if (e.key !== ARCH_LABEL || archesAllowed(e.operator, e.values ?? [], architectures).length) return;
      problems.push({
        sub: ['nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution', t, 'preference', 'matchExpressions', i],
        message: `${ARCH_LABEL} ${e.operator}${e.values ? ` [${e.values.join(', ')}]` : ''} prefers no architecture of ${configured}`,
      });
    });
  });
  return problems;
}

/** The configured architectures a node selector requirement on `kubernetes.io/arch` lets through. */
function archesAllowed(operator: string, values: readonly string[], architectures: readonly string[]): string[] {
  switch (operator) {
    case 'In':
      return architectures.filter((a) => values.includes(a));
    case 'NotIn':
      return architectures.filter((a) => !values.includes(a));
    case 'Exists':
      return [...architectures];
    default:
      return [];
  }
}
