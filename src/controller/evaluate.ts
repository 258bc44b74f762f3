/**
 * Turns what was read from the cluster into per-workload verdicts (pure). Items whose inputs could
 * not be read are Unknown, and only those: a failed pod list in one namespace leaves the other
 * namespaces' verdicts intact.
 */
import { assessWorkload, type AssessOptions } from './health.ts';
import { nodeArch, type Node, type Pod, type Workload, type WorkloadKind } from './k8s-types.ts';
import type { WorkloadReport } from './report.ts';
import { matchesLabelSelector } from './scheduling.ts';

/** One LIST that failed after retries; `namespace` undefined means cluster-wide. */
export interface ListFailure {
  namespace?: string;
  error: string;
}

export interface ClusterState {
  workloads: readonly Workload[];
  workloadListFailures: readonly (ListFailure & { kind: WorkloadKind })[];
  pods: readonly Pod[];
  podListFailures: readonly ListFailure[];
  /** All nodes, or the reason they could not be listed. */
  nodes: readonly Node[] | ListFailure;
}

/** A workload the synthesized manifests say must exist. */
export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface EvaluateOptions extends Pick<AssessOptions, 'requireArch' | 'now' | 'imagePullGraceMs'> {
  /** With manifests: exactly these workloads are checked, and a missing one is NotFound. */
  expected?: readonly WorkloadRef[];
}

export function evaluateWorkloads(state: ClusterState, opts: EvaluateOptions): { nodes: Record<string, number>; workloads: WorkloadReport[] } {
  const nodeList = Array.isArray(state.nodes) ? (state.nodes as readonly Node[]) : undefined;
  const nodes: Record<string, number> = {};
  for (const n of nodeList ?? []) {
    const arch = nodeArch(n) ?? 'unknown';
    nodes[arch] = (nodes[arch] ?? 0) + 1;
  }
  const assessOptions: AssessOptions = { requireArch: opts.requireArch, now: opts.now, imagePullGraceMs: opts.imagePullGraceMs,
    nodes: nodeList, nodesByName: new Map((nodeList ?? []).map((n) => [n.metadata.name, n])) };
  const pods = new PodIndex(state.pods);
  const covers = (f: ListFailure, namespace: string) => f.namespace === undefined || f.namespace === namespace;

  const assess = (w: Workload): WorkloadReport => {
    const namespace = w.metadata.namespace ?? '';
    const podFailure = state.podListFailures.find((f) => covers(f, namespace));
    const report = assessWorkload(w, podFailure ? [] : pods.matching(namespace, w), assessOptions);
    if (podFailure && report.status !== 'Failed') {
      return { ...report, status: 'Unknown', message: `cannot list pods: ${podFailure.error}; rollout: ${report.message}` };
    }
    return report;
  };

  const found = new Map(state.workloads.map((w) => [refKey({ kind: w.kind, namespace: w.metadata.namespace ?? '', name: w.metadata.name }), w]));
  if (opts.expected) {
    return {
      nodes,
      workloads: opts.expected.map((ref) => {
        const w = found.get(refKey(ref));
        if (w) return assess(w);
        const failure = state.workloadListFailures.find((f) => f.kind === ref.kind && covers(f, ref.namespace));
        return failure
          ? missing(ref, 'Unknown', `cannot list ${ref.kind}s: ${failure.error}`)
          : missing(ref, 'NotFound', `${ref.kind.toLowerCase()} "${ref.name}" is in the manifests but not in the cluster`);
      }),
    };
  }
  const unknown = state.workloadListFailures.map((f) =>
    missing({ kind: f.kind, namespace: f.namespace ?? '*', name: '*' }, 'Unknown', `cannot list ${f.kind}s: ${f.error}`));
  return { nodes, workloads: [...state.workloads.map(assess), ...unknown] };
}

function missing(ref: WorkloadRef, status: 'NotFound' | 'Unknown', message: string): WorkloadReport {
  return { ...ref, status, message, architectures: {}, pods: [], warnings: [] };
}

export function refKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * Finds a workload's pods by its label selector without scanning every pod per workload: pods are
 * indexed by namespace and label pair, and only pods sharing the selector's first matchLabels pair
 * are tested in full.
 */
class PodIndex {
  private readonly byLabel = new Map<string, Pod[]>();
  private readonly byNamespace = new Map<string, Pod[]>();

  constructor(pods: readonly Pod[]) {
    for (const pod of pods) {
      const ns = pod.metadata.namespace ?? '';
      push(this.byNamespace, ns, pod);
      for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) push(this.byLabel, `${ns}\0${k}\0${v}`, pod);
    }
  }

  matching(namespace: string, w: Workload): Pod[] {
    const selector = w.spec.selector;
    const first = Object.entries(selector.matchLabels ?? {})[0];
    const candidates = first ? this.byLabel.get(`${namespace}\0${first[0]}\0${first[1]}`) : this.byNamespace.get(namespace);
    return (candidates ?? []).filter((p) => matchesLabelSelector(selector, p.metadata.labels));
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
