/**
 * The victoriametrics-cluster mode's storage nodes as each vminsert pod sees them (pure): a pod that
 * cannot reach a vmstorage node writes its copies elsewhere, and with fewer reachable nodes than the
 * replication factor, samples lose their second copy. Read from vminsert's own `/metrics`.
 */
import type { Pod } from './k8s-types.ts';
import type { PodReport, WorkloadReport } from './report.ts';

/** vminsert's HTTP port (the synthesized `-httpListenAddr`), where its `/metrics` is. */
export const VMINSERT_PORT = 8480;

/**
 * `vm_rpc_vmstorage_is_reachable{addr}` (1 or 0) of the data RPC from vminsert's `/metrics` text.
 * vminsert updates it when it sends: with no ingestion, a node that went away still reads 1.
 */
export function storageReachability(metrics: string): { addr: string; reachable: boolean }[] {
  return metrics.split('\n').flatMap((line) => {
    const m = /^vm_rpc_vmstorage_is_reachable\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || /rpc_call="(?!metric_rows")/.test(m[1]!)) return [];
    const addr = /addr="([^"]+)"/.exec(m[1]!)?.[1];
    return addr ? [{ addr, reachable: Number(m[2]) === 1 }] : [];
  });
}

/** One vminsert pod's `/metrics`, or why it could not be read. */
export type VmInsertMetrics = { pod: string; metrics: string } | { pod: string; error: string };

/**
 * The vminsert Deployment's verdict with its pods' view of the storage nodes: each unreachable node
 * is a problem of the pod (and the workload Failed); metrics that could not be read, or that name no
 * storage node, are a warning only.
 */
export function withStorageReachability(workload: WorkloadReport, pods: readonly VmInsertMetrics[]): WorkloadReport {
  const unreachable: { pod: string; addr: string }[] = [];
  const warnings: string[] = [];
  for (const p of pods) {
    if ('error' in p) {
      warnings.push(`pod ${p.pod}: storage nodes not checked: ${p.error}`);
      continue;
    }
    const nodes = storageReachability(p.metrics);
    if (nodes.length === 0) warnings.push(`pod ${p.pod}: its /metrics names no storage node (vm_rpc_vmstorage_is_reachable)`);
    unreachable.push(...nodes.filter((n) => !n.reachable).map((n) => ({ pod: p.pod, addr: n.addr })));
  }
  if (unreachable.length === 0) return warnings.length ? { ...workload, warnings: [...workload.warnings, ...warnings] } : workload;
  const problems: PodReport[] = unreachable.map((u) => ({ name: u.pod, reason: 'StorageNodeUnreachable', message: `vmstorage ${u.addr} is not reachable from this vminsert` }));
  const nodes = [...new Set(unreachable.map((u) => u.addr))];
  return {
    ...workload,
    status: workload.status === 'Current' ? 'Failed' : workload.status,
    message: workload.status === 'Current' ? `storage node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} not reachable from vminsert` : workload.message,
    pods: [...workload.pods, ...problems],
    warnings: [...workload.warnings, ...warnings],
  };
}

/** The running vminsert pods of `namespace` (by their `app.kubernetes.io/name`), whose `/metrics` to read. */
export function vminsertPods(pods: readonly Pod[], namespace: string): string[] {
  return pods
    .filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.['app.kubernetes.io/name'] === 'vminsert' && p.status?.phase === 'Running')
    .map((p) => p.metadata.name)
    .sort();
}

/** The API server's proxy path to a pod's vminsert `/metrics`. */
export function vminsertMetricsPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${VMINSERT_PORT}/proxy/metrics`;
}
