/**
 * What a check looks at: which workloads (label selector, namespaces, or the synthesized
 * manifests), and the fixed set of LIST requests that reads them — one per resource kind and
 * scope, never one per workload.
 */
import { InputError } from '../errors.ts';
import { isRecord, readManifestDir } from '../manifests/manifest-dir.ts';
import type { WorkloadRef } from './evaluate.ts';
import { WORKLOAD_KINDS, type WorkloadKind } from './k8s-types.ts';
import { REACHABILITY_CHECKS, type ReachabilityWorkload } from './vm-storage.ts';

export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const DEFAULT_NAMESPACE = 'observability';

export interface Scope {
  /** Label selector for workloads; pods are found through each workload's own selector. */
  labelSelector?: string;
  /** Namespaces to read; undefined means cluster-wide (with a label selector). */
  namespaces?: readonly string[];
  /** From `--manifests`: exactly these workloads are checked, missing ones are NotFound. */
  expected?: readonly WorkloadRef[];
}

export interface ScopeFlags {
  namespaces?: readonly string[];
  selector?: string;
  partOf?: string;
}

/** The manifests' workloads, and the namespace Prometheus runs in if the manifests have one. */
export interface ManifestWorkloads {
  workloads: WorkloadRef[];
  prometheusNamespace?: string;
  /** The namespace of vmselect, which answers the rules API in the `victoriametrics-cluster` metrics mode. */
  vmselectNamespace?: string;
  /** The namespace of each VictoriaMetrics front end (vminsert, the global vmselect) whose pods' storage nodes a check reads. */
  reachability?: Partial<Record<ReachabilityWorkload, string>>;
}

export function workloadsFromManifests(dir: string): ManifestWorkloads {
  const workloads: WorkloadRef[] = [];
  let prometheusNamespace: string | undefined;
  let vmselectNamespace: string | undefined;
  const reachability: Partial<Record<ReachabilityWorkload, string>> = {};
  for (const { source, object } of readManifestDir(dir)) {
    const kind = object.kind as WorkloadKind;
    if (!WORKLOAD_KINDS.includes(kind)) continue;
    const meta = isRecord(object.metadata) ? object.metadata : {};
    if (typeof meta.name !== 'string') throw new InputError([source.problem(['metadata', 'name'], `${kind} has no name`)]);
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    workloads.push({ kind, namespace, name: meta.name });
    if (kind === 'StatefulSet' && meta.name === 'prometheus') prometheusNamespace = namespace;
    if (kind === 'Deployment' && meta.name === 'vmselect') vmselectNamespace = namespace;
    if (kind === 'Deployment' && Object.hasOwn(REACHABILITY_CHECKS, meta.name)) reachability[meta.name as ReachabilityWorkload] = namespace;
  }
  if (workloads.length === 0) {
    throw new InputError([{ location: { file: dir, line: 1, column: 1 }, path: '', message: 'the manifests hold no Deployment, StatefulSet or DaemonSet to check' }]);
  }
  return { workloads, prometheusNamespace, ...(vmselectNamespace ? { vmselectNamespace } : {}), ...(Object.keys(reachability).length ? { reachability } : {}) };
}

/**
 * Scope from the CLI flags: `--manifests` gives the expected workloads and their namespaces;
 * `-n` narrows to namespaces; without either, workloads are selected cluster-wide by
 * `app.kubernetes.io/part-of` (or `-l`).
 */
export function scopeFromFlags(flags: ScopeFlags, manifests?: ManifestWorkloads): Scope {
  const namespaces = flags.namespaces?.length
    ? [...new Set(flags.namespaces)]
    : manifests ? [...new Set(manifests.workloads.map((w) => w.namespace))] : undefined;
  const labelSelector = flags.selector ?? (namespaces ? undefined : `${PART_OF_LABEL}=${flags.partOf ?? 'o11y'}`);
  const expected = manifests?.workloads.filter((w) => !namespaces || namespaces.includes(w.namespace));
  return { labelSelector, namespaces, expected };
}

const API_PATH: Record<WorkloadKind | 'Pod' | 'Node', { prefix: string; plural: string }> = {
  Deployment: { prefix: '/apis/apps/v1', plural: 'deployments' },
  StatefulSet: { prefix: '/apis/apps/v1', plural: 'statefulsets' },
  DaemonSet: { prefix: '/apis/apps/v1', plural: 'daemonsets' },
  Pod: { prefix: '/api/v1', plural: 'pods' },
  Node: { prefix: '/api/v1', plural: 'nodes' },
};

/** One collection to LIST (and, in watch mode, to WATCH). */
export interface Collection {
  kind: WorkloadKind | 'Pod' | 'Node';
  /** Undefined: cluster-wide. */
  namespace?: string;
  path: string;
  labelSelector?: string;
}

export function collectionOf(kind: Collection['kind'], namespace?: string, labelSelector?: string): Collection {
  const { prefix, plural } = API_PATH[kind];
  const path = namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${prefix}/${plural}`;
  return { kind, namespace, path, labelSelector };
}

/** Workload collections of a scope: each kind, per namespace or cluster-wide. */
export function workloadCollections(scope: Scope): Collection[] {
  const namespaces = scope.namespaces ?? [undefined];
  return WORKLOAD_KINDS.flatMap((kind) => namespaces.map((ns) => collectionOf(kind, ns, scope.labelSelector)));
}

/**
 * Pod collections: one per namespace, without a label selector, because pod templates need not
 * carry the workload's labels; each workload's spec.selector finds its pods afterwards.
 */
export function podCollections(namespaces: Iterable<string>): Collection[] {
  return [...new Set(namespaces)].sort().map((ns) => collectionOf('Pod', ns));
}

export const NODES: Collection = collectionOf('Node');
