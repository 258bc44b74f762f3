/**
 * The victoriametrics-cluster mode's storage nodes as each pod of a VictoriaMetrics front end sees
 * them (pure), read from the pod's own `/metrics`: a vminsert pod that cannot reach a vmstorage node
 * writes its copies elsewhere (with fewer reachable nodes than the replication factor, samples lose
 * their second copy); the global vmselect that cannot reach a backend's vmselect refuses every query.
 */
import { GLOBAL_VMSELECT } from '../model/types.ts';
import type { Pod } from './k8s-types.ts';
import type { PodReport, WorkloadReport } from './report.ts';
import { addressGauge, backendAvailability } from './vm-health.ts';

/** vminsert's HTTP port (the synthesized `-httpListenAddr`), where its `/metrics` is. */
export const VMINSERT_PORT = 8480;
/** vmselect's HTTP port (the global vmselect's too). */
export const VMSELECT_PORT = 8481;

/**
 * `vm_rpc_vmstorage_is_reachable{addr}` (1 or 0) of the data RPC from vminsert's `/metrics` text.
 * vminsert updates it when it sends: with no ingestion, a node that went away still reads 1.
 */
export function storageReachability(metrics: string): { addr: string; reachable: boolean }[] {
  return addressGauge(metrics, 'vm_rpc_vmstorage_is_reachable', (labels) => !/rpc_call="(?!metric_rows")/.test(labels));
}

/** A Deployment whose pods' `/metrics` say which of their storage nodes they reach, and how a check names what it finds. */
export interface ReachabilityCheck {
  /** The Deployment, and its pods' `app.kubernetes.io/name`. */
  readonly workload: string;
  readonly port: number;
  /** What the pods dial (`storage node`), the series that says so, and the pod's problem reason. */
  readonly peer: string;
  readonly metric: string;
  readonly reason: string;
  readonly nodes: (metrics: string) => { addr: string; reachable: boolean }[];
}

/** Every Deployment `o11y check` reads the storage nodes of, by name. */
export const REACHABILITY_CHECKS = {
  vminsert: { workload: 'vminsert', port: VMINSERT_PORT, peer: 'storage node', metric: 'vm_rpc_vmstorage_is_reachable', reason: 'StorageNodeUnreachable', nodes: storageReachability },
  // Its storage nodes are the backends' vmselects (cluster-native port), here and in other clusters.
  [GLOBAL_VMSELECT]: { workload: GLOBAL_VMSELECT, port: VMSELECT_PORT, peer: 'backend', metric: 'vm_tcpdialer_addr_available', reason: 'BackendUnreachable', nodes: backendAvailability },
} as const satisfies Record<string, ReachabilityCheck>;
export type ReachabilityWorkload = keyof typeof REACHABILITY_CHECKS;

/** One pod's `/metrics`, or why it could not be read. */
export type PodMetrics = { pod: string; metrics: string } | { pod: string; error: string };

/**
 * The Deployment's verdict with its pods' view of their storage nodes: each unreachable node is a
 * problem of the pod (and the workload Failed); metrics that could not be read, or that name no
 * node, are a warning only.
 */
export function withStorageReachability(workload: WorkloadReport, pods: readonly PodMetrics[], check: ReachabilityCheck): WorkloadReport {
  const unreachable: { pod: string; addr: string }[] = [];
  const warnings: string[] = [];
  for (const p of pods) {
    if ('error' in p) {
      warnings.push(`pod ${p.pod}: ${check.peer}s not checked: ${p.error}`);
      continue;
    }
    const nodes = check.nodes(p.metrics);
    if (nodes.length === 0) warnings.push(`pod ${p.pod}: its /metrics names no ${check.peer} (${check.metric})`);
    unreachable.push(...nodes.filter((n) => !n.reachable).map((n) => ({ pod: p.pod, addr: n.addr })));
  }
  if (unreachable.length === 0) return warnings.length ? { ...workload, warnings: [...workload.warnings, ...warnings] } : workload;
  const problems: PodReport[] = unreachable.map((u) => ({ name: u.pod, reason: check.reason, message: `${check.peer} ${u.addr} is not reachable from this ${check.workload}` }));
  const nodes = [...new Set(unreachable.map((u) => u.addr))];
  return {
    ...workload,
    status: workload.status === 'Current' ? 'Failed' : workload.status,
    message: workload.status === 'Current' ? `${check.peer}${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} not reachable from ${check.workload}` : workload.message,
    pods: [...workload.pods, ...problems],
    warnings: [...workload.warnings, ...warnings],
  };
}

/** The running pods of `workload` in `namespace` (by their `app.kubernetes.io/name`), whose `/metrics` to read. */
export function workloadPods(pods: readonly Pod[], namespace: string, workload: string): string[] {
  return pods
    .filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.['app.kubernetes.io/name'] === workload && p.status?.phase === 'Running')
    .map((p) => p.metadata.name)
    .sort();
}

/** The API server's proxy path to a pod's `/metrics` on `port`. */
export function podMetricsPath(namespace: string, pod: string, port: number): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy/metrics`;
}
