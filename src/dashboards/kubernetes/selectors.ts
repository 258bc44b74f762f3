/**
 * Label matchers, template variables and PromQL fragments the Kubernetes dashboards share. Series
 * of many clusters land in one Prometheus told apart by `cluster`; the cluster selector's All
 * (`.*`) also matches series without that label.
 */
import { customVariable, datasourceVariable, labelVariable, type DefaultDatasources } from '../grafana-json.ts';
import { datasourceName } from '../datasources.ts';

/** The selected cluster(s). */
export const CLUSTER = 'cluster=~"$cluster"';
/** The selected cluster and namespace. */
export const NAMESPACE = `${CLUSTER}, namespace="$namespace"`;
/** Containers, not the pod-level cgroup (`container=""`) nor the sandbox (`POD`) that cAdvisor also reports. */
export const CONTAINERS = 'container!="", container!="POD"';

/** Cluster selector over every cluster that reports `up`; `multi` for overviews. */
export function clusterVariable(multi = false): object {
  return { ...labelVariable('cluster', 'Cluster', 'label_values(up, cluster)', { all: true }), multi };
}

/** Namespaces kube-state-metrics knows in the selected cluster. */
export function namespaceVariable(all = false): object {
  return labelVariable('namespace', 'Namespace', `label_values(kube_namespace_status_phase{${CLUSTER}}, namespace)`, { all });
}

/** Pods of the selected namespace. */
export const podVariable = (): object => labelVariable('pod', 'Pod', `label_values(kube_pod_info{${NAMESPACE}}, pod)`);

/** Workload kinds: `text` for people, `value` as kube-state-metrics and the collector's attributes spell it. */
export const kindVariable = (): object =>
  customVariable('kind', 'Kind', [
    { text: 'Deployment', value: 'deployment' },
    { text: 'StatefulSet', value: 'statefulset' },
    { text: 'DaemonSet', value: 'daemonset' },
  ]);

/** Workloads of the selected kind: `kube_deployment_created{deployment=…}` and its StatefulSet and DaemonSet twins. */
export const workloadVariable = (): object => labelVariable('workload', 'Workload', 'label_values(kube_${kind}_created{' + NAMESPACE + '}, ${kind})');

/** The logs and traces selectors, starting on the Grafana cluster's own Loki and Tempo. */
export function signalVariables(defaults: DefaultDatasources): object[] {
  return [
    datasourceVariable('logs', 'Logs', 'loki', defaults.loki, datasourceName(defaults.loki)),
    datasourceVariable('traces', 'Traces', 'tempo', defaults.tempo, datasourceName(defaults.tempo)),
  ];
}

/**
 * The pods of the selected workload, as `{cluster, namespace, pod}` series of value 1: owned
 * directly (StatefulSet, DaemonSet), or through a ReplicaSet that the Deployment owns. Multiply a
 * per-pod series by it to keep the workload's pods.
 */
export function workloadPods(): string {
  const direct = `kube_pod_owner{${NAMESPACE}, owner_kind=~"(?i)$kind", owner_name="$workload"}`;
  const viaReplicaSet =
    `label_replace(kube_pod_owner{${NAMESPACE}, owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")` +
    ` * on (cluster, namespace, replicaset) group_left () kube_replicaset_owner{${NAMESPACE}, owner_kind=~"(?i)$kind", owner_name="$workload"}`;
  return `max by (cluster, namespace, pod) (${direct} or ${viaReplicaSet})`;
}

/** `expr` (per pod) restricted to the selected workload's pods. */
export const ofWorkload = (expr: string): string => `(${expr}) * on (cluster, namespace, pod) group_left () ${workloadPods()}`;

/** Pods that hold resources (Pending or Running), as `{cluster, namespace, pod}` series of value 1. */
export function activePods(matchers: string): string {
  return `max by (cluster, namespace, pod) (kube_pod_status_phase{${matchers}, phase=~"Pending|Running"} == 1)`;
}

/** A per-pod expression restricted to some pods (the selected workload's); the identity keeps every pod. */
export type PodFilter = (expr: string) => string;
const everyPod: PodFilter = (expr) => expr;

/** Requests or limits (`kind`) of `resource`, of pods that hold them (Pending or Running), summed by `by`. */
export function reserved(kind: 'requests' | 'limits', resource: 'cpu' | 'memory', matchers: string, by: string, only: PodFilter = everyPod): string {
  return `sum by (${by}) (${only(`kube_pod_container_resource_${kind}{${matchers}, resource="${resource}"} * on (cluster, namespace, pod) group_left () ${activePods(matchers)}`)})`;
}

/** CPU cores used by containers, summed by `by`. */
export const cpuUsage = (matchers: string, by: string, only: PodFilter = everyPod): string =>
  `sum by (${by}) (${only(`rate(container_cpu_usage_seconds_total{${matchers}, ${CONTAINERS}}[$__rate_interval])`)})`;

/** Working-set bytes (what the kubelet evicts by and the OOM killer acts on), summed by `by`. */
export const memoryUsage = (matchers: string, by: string, only: PodFilter = everyPod): string =>
  `sum by (${by}) (${only(`container_memory_working_set_bytes{${matchers}, ${CONTAINERS}}`)})`;

/** Share of CFS periods in which containers were throttled, by `by`. */
export const throttling = (matchers: string, by: string, only: PodFilter = everyPod): string => {
  const periods = (metric: string) => `sum by (${by}) (${only(`increase(${metric}{${matchers}, ${CONTAINERS}}[$__rate_interval])`)})`;
  return `${periods('container_cpu_cfs_throttled_periods_total')} / ${periods('container_cpu_cfs_periods_total')}`;
};

/** Bytes per second a pod's network interfaces receive or transmit (cAdvisor reports them on the pod's cgroup), by `by`. */
export const podNetwork = (direction: 'receive' | 'transmit', matchers: string, by: string, only: PodFilter = everyPod): string =>
  `sum by (${by}) (${only(`rate(container_network_${direction}_bytes_total{${matchers}}[$__rate_interval])`)})`;

/** Per-second rate of a counter over Grafana's `$__rate_interval`. */
export const rateOf = (metric: string, matchers: string): string => `rate(${metric}{${matchers}}[$__rate_interval])`;

/** `histogram_quantile(q, …)` of a histogram's buckets, by `by` (none when empty). */
export const quantileOf = (q: number, bucket: string, matchers: string, by: string): string =>
  `histogram_quantile(${q}, sum by (${['le', ...(by ? [by] : [])].join(', ')}) (${rateOf(bucket, matchers)}))`;
