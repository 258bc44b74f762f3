/**
 * One-shot check: a fixed set of LISTs (workloads per kind and scope, pods per namespace, nodes),
 * Prometheus rule health, the storage nodes of vminsert and of the global vmselect (victoriametrics-cluster mode), and the verdict.
 */
import { ExitCode, UnreachableError } from '../errors.ts';
import { evaluateWorkloads, type ClusterState, type EvaluateOptions, type ListFailure } from './evaluate.ts';
import type { Node, Pod, Workload, WorkloadKind } from './k8s-types.ts';
import { TransientApiError, type KubeReader } from './kube.ts';
import { checkPrometheus, type ExpectedRuleGroup, type PrometheusEndpoint } from './prometheus/index.ts';
import type { CheckReport } from './report.ts';
import { podMetricsPath, REACHABILITY_CHECKS, workloadPods, withStorageReachability, type PodMetrics, type ReachabilityWorkload } from './vm-storage.ts';
import { NODES, podCollections, workloadCollections, type Collection, type Scope } from './scope.ts';

type Listed<T> = { collection: Collection; items: T[] } | { collection: Collection; failure: ListFailure };

async function listCollection<T>(reader: KubeReader, c: Collection): Promise<Listed<T>> {
  try {
    const list = await reader.list<T>(c.path, { labelSelector: c.labelSelector });
    return { collection: c, items: list.items };
  } catch (e) {
    // Forbidden and unreachable end the check (exit 3); an error that outlived its retries only
    // makes what depends on this collection Unknown.
    if (e instanceof TransientApiError) return { collection: c, failure: { namespace: c.namespace, error: e.message } };
    throw e;
  }
}

/** Reads everything a check needs: 3 workload LISTs per scope, 1 pod LIST per namespace, 1 node LIST. */
export async function readClusterState(reader: KubeReader, scope: Scope): Promise<ClusterState> {
  // Namespaces known up front (flags, manifests) let pods be listed alongside the workloads.
  const [workloadLists, nodes, earlyPods] = await Promise.all([
    Promise.all(workloadCollections(scope).map((c) => listCollection<Workload>(reader, c))),
    listCollection<Node>(reader, NODES),
    Promise.all((scope.namespaces ? podCollections(scope.namespaces) : []).map((c) => listCollection<Pod>(reader, c))),
  ]);
  const workloads: Workload[] = [];
  const workloadListFailures: ClusterState['workloadListFailures'][number][] = [];
  for (const l of workloadLists) {
    const kind = l.collection.kind as WorkloadKind;
    if ('failure' in l) workloadListFailures.push({ ...l.failure, kind });
    // Items of a List carry no kind on the wire; the rules need it.
    else for (const w of l.items) workloads.push({ ...w, kind } as Workload);
  }
  const podLists = scope.namespaces
    ? earlyPods
    : await Promise.all(podCollections(workloads.map((w) => w.metadata.namespace ?? '')).map((c) => listCollection<Pod>(reader, c)));
  return {
    workloads,
    workloadListFailures,
    pods: podLists.flatMap((l) => ('items' in l ? l.items : [])),
    podListFailures: podLists.flatMap((l) => ('failure' in l ? [l.failure] : [])),
    nodes: 'items' in nodes ? nodes.items : nodes.failure,
  };
}

export interface PrometheusTarget {
  endpoint: PrometheusEndpoint;
  expected: ExpectedRuleGroup[];
}

export type PrometheusResult = Pick<CheckReport, 'rules' | 'alerts' | 'budgets'>;

/** The verdict when rule health is not checked (`--no-rules`): no Prometheus is contacted. */
export const RULES_SKIPPED: PrometheusResult = { rules: { status: 'Skipped', message: 'not checked (--no-rules)', groups: [] }, alerts: [], budgets: [] };

/** Prometheus' verdict; a Prometheus that cannot be reached makes only the rules Unknown. */
export async function prometheusHealth(target: PrometheusTarget, now = new Date()): Promise<PrometheusResult> {
  try {
    const { rules, alerts, budgets } = await checkPrometheus(target.endpoint, target.expected, now);
    return { rules, alerts, budgets };
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    return { rules: { status: 'Unknown', message: e.message, groups: [] }, alerts: [], budgets: [] };
  }
}

export interface CheckOptions extends Pick<EvaluateOptions, 'requireArch' | 'imagePullGraceMs'> {
  scope: Scope;
  /** Where rule health is read; undefined checks rollout only (`--no-rules`). */
  prometheus?: PrometheusTarget;
  /** The namespace of each VictoriaMetrics front end deployed (vminsert, the global vmselect): its pods' storage nodes are checked. */
  reachability?: Partial<Record<ReachabilityWorkload, string>>;
}

/** The whole verdict, as of `now` (ms since the epoch). */
export function buildReport(state: ClusterState, prom: PrometheusResult, opts: Omit<CheckOptions, 'prometheus'>, now = Date.now()): CheckReport {
  const { nodes, workloads } = evaluateWorkloads(state,
    { requireArch: opts.requireArch, imagePullGraceMs: opts.imagePullGraceMs, expected: opts.scope.expected, now });
  const healthy = workloads.every((w) => w.status === 'Current') && (prom.rules.status === 'Current' || prom.rules.status === 'Skipped');
  return { healthy, nodes, workloads, ...prom };
}

export async function runCheck(reader: KubeReader, opts: CheckOptions): Promise<CheckReport> {
  const [state, prom] = await Promise.all([readClusterState(reader, opts.scope), opts.prometheus ? prometheusHealth(opts.prometheus) : RULES_SKIPPED]);
  const report = buildReport(state, prom, opts);
  let checked = report;
  for (const [workload, namespace] of Object.entries(opts.reachability ?? {}) as [ReachabilityWorkload, string][]) checked = await withStorageNodes(reader, checked, state, workload, namespace);
  return checked;
}

/** `report` with the Deployment `workload` judged also by whether its running pods reach every storage node (their `/metrics`, through the API server's pod proxy). */
async function withStorageNodes(reader: KubeReader, report: CheckReport, state: ClusterState, workload: ReachabilityWorkload, namespace: string): Promise<CheckReport> {
  const check = REACHABILITY_CHECKS[workload];
  const metrics: PodMetrics[] = await Promise.all(workloadPods(state.pods, namespace, workload).map(async (pod) => {
    try {
      return { pod, metrics: await reader.get(podMetricsPath(namespace, pod, check.port)) };
    } catch (e) {
      return { pod, error: (e as Error).message };
    }
  }));
  const workloads = report.workloads.map((w) => (w.kind === 'Deployment' && w.name === workload && w.namespace === namespace ? withStorageReachability(w, metrics, check) : w));
  return { ...report, workloads, healthy: report.healthy && workloads.every((w) => w.status === 'Current') };
}

/**
 * Exit code of a finished check: 0 healthy; 1 when anything is known to be wrong or not yet rolled
 * out; 3 when the only problem is what could not be read.
 */
export function exitCodeOf(report: CheckReport): number {
  if (report.healthy) return ExitCode.Ok;
  const statuses = [...report.workloads.map((w) => w.status), report.rules.status];
  return statuses.every((s) => s === 'Current' || s === 'Skipped' || s === 'Unknown') ? ExitCode.Unreachable : ExitCode.Failed;
}

/** True once waiting cannot change the answer: everything Current, or something Failed. */
export function isSettled(report: CheckReport): boolean {
  return report.healthy || report.workloads.some((w) => w.status === 'Failed') || report.rules.status === 'Failed';
}

/**
 * Milliseconds until the verdict changes with no event from the cluster: the earliest end of an
 * image-pull grace. Watch modes re-judge then, since the kubelet's back-off may send nothing.
 */
export function untilVerdictExpires(report: CheckReport, now = Date.now()): number | undefined {
  const ends = report.workloads.flatMap((w) => w.pods.flatMap((p) => (p.failsAt ? [Date.parse(p.failsAt)] : [])));
  return ends.length > 0 ? Math.max(0, Math.min(...ends) - now) : undefined;
}

/** Replaces `timer` with one that calls `rejudge` when `report` expires, if it does. */
export function rearmExpiry(timer: NodeJS.Timeout | undefined, report: CheckReport, rejudge: () => void): NodeJS.Timeout | undefined {
  clearTimeout(timer);
  const ms = untilVerdictExpires(report);
  return ms === undefined ? undefined : setTimeout(rejudge, ms);
}
