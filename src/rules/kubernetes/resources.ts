import { w, wRange, type KubernetesGroup } from './rule.ts';

/**
 * Resources: container usage from cAdvisor against the requests and limits kube-state-metrics
 * reports; recording rules for the compute-resources dashboards (usage vs requests vs limits).
 */

const CADVISOR_CONTAINERS = 'job="cadvisor", container!="", container!="POD", image!=""';
const KSM = 'job="kube-state-metrics"';
const CONTAINER = 'cluster, namespace, pod, container';
const WORKING_SET = 'node_namespace_pod_container:container_memory_working_set_bytes';
/** 1 for every Pending or Running pod. */
const ACTIVE_PODS = 'namespace_pod:kube_pod_status_phase:active';

export function resourcesGroup(): KubernetesGroup {
  const both = ['cadvisor', 'kube-state-metrics'] as const;
  // Requests and limits count only for pods that hold them: Pending and Running.
  const heldByActivePods = (kind: 'requests' | 'limits') => ({
    record: `namespace:kube_pod_container_resource_${kind}:sum`,
    expr: `sum by (cluster, namespace, resource) (${w(`kube_pod_container_resource_${kind}{${KSM}, resource=~"cpu|memory"}`)} * on (cluster, namespace, pod) group_left () ${ACTIVE_PODS})`,
    requires: ['kube-state-metrics'] as const,
  });
  return {
    key: 'resources',
    rules: [
      {
        record: 'node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m',
        expr: `sum by (${CONTAINER}, node) (${wRange('rate', `container_cpu_usage_seconds_total{${CADVISOR_CONTAINERS}}`)})`,
        requires: ['cadvisor'],
      },
      {
        record: WORKING_SET,
        expr: `max by (${CONTAINER}, node) (${w(`container_memory_working_set_bytes{${CADVISOR_CONTAINERS}}`)})`,
        requires: ['cadvisor'],
      },
      {
        record: ACTIVE_PODS,
        expr: `max by (cluster, namespace, pod) (${w(`kube_pod_status_phase{${KSM}, phase=~"Pending|Running"} == 1`)})`,
        requires: ['kube-state-metrics'],
      },
      heldByActivePods('requests'),
      heldByActivePods('limits'),
      {
        alert: 'KubeCPUThrottlingHigh',
        // Summed per container before `cluster` is set (k8s_cluster_name splits clusters the same way): only the throttled few get relabelled.
        expr: w(`sum by (k8s_cluster_name, namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{${CADVISOR_CONTAINERS}}[5m])) / sum by (k8s_cluster_name, namespace, pod, container) (increase(container_cpu_cfs_periods_total{${CADVISOR_CONTAINERS}}[5m])) > 0.25`),
        for: '15m',
        severity: 'warning',
        summary: 'A container is CPU-throttled',
        description: '{{ $value | humanizePercentage }} of the CPU periods of {{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} (cluster {{ $labels.cluster }}) are throttled.',
        impact: 'The container hits its CPU limit: requests slow down even while the node has idle CPU.',
        action: 'Compare its CPU usage with its limit (compute resources dashboard); raise or remove the CPU limit, or make it do less.',
        requires: ['cadvisor'],
      },
      {
        alert: 'KubeContainerMemoryNearLimit',
        // The working set recorded above: cAdvisor's series are read once per evaluation.
        expr: `max by (${CONTAINER}) (${WORKING_SET}) / on (${CONTAINER}) max by (${CONTAINER}) (${w(`kube_pod_container_resource_limits{${KSM}, resource="memory"}`)}) > 0.9`,
        for: '15m',
        severity: 'warning',
        summary: 'A container is close to its memory limit',
        description: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} (cluster {{ $labels.cluster }}) uses {{ $value | humanizePercentage }} of its memory limit.',
        impact: 'At the limit the kernel OOM-kills it.',
        action: 'Check its memory trend (pod dashboard): raise the limit for real growth, find the leak otherwise.',
        requires: both,
      },
      {
        alert: 'KubeQuotaAlmostFull',
        expr: `${w(`kube_resourcequota{${KSM}, type="used"}`)} / ignoring (type) (${w(`kube_resourcequota{${KSM}, type="hard"}`)} > 0) > 0.9`,
        for: '15m',
        severity: 'warning',
        summary: 'A namespace quota is almost used up',
        description: 'Namespace {{ $labels.namespace }} (cluster {{ $labels.cluster }}) uses {{ $value | humanizePercentage }} of its {{ $labels.resource }} quota ({{ $labels.resourcequota }}).',
        impact: 'New pods (or objects) in the namespace will be refused once the quota is full: rollouts and scale-ups fail.',
        action: '`kubectl describe resourcequota -n <namespace>`; raise the quota or lower requests.',
        requires: ['kube-state-metrics'],
      },
    ],
  };
}
