import { w, wRange, type KubernetesGroup } from './rule.ts';

/**
 * Resources: container usage from cAdvisor against the requests and limits kube-state-metrics
 * reports; recording rules for the compute-resources dashboards (usage vs requests vs limits).
 */

const CADVISOR_CONTAINERS = 'job="cadvisor", container!="", container!="POD", image!=""';
const KSM = 'job="kube-state-metrics"';
const CONTAINER = 'cluster, namespace, pod, container';

export function resourcesGroup(): KubernetesGroup {
  const both = ['cadvisor', 'kube-state-metrics'] as const;
  const requestsOrLimits = (kind: 'requests' | 'limits', resource: 'cpu' | 'memory') => ({
    record: `namespace_${resource}:kube_pod_container_resource_${kind}:sum`,
    // Only pods that hold their resources: Pending and Running.
    expr: `sum by (cluster, namespace) (${w(`kube_pod_container_resource_${kind}{${KSM}, resource="${resource}"}`)} * on (cluster, namespace, pod) group_left () max by (cluster, namespace, pod) (${w(`kube_pod_status_phase{${KSM}, phase=~"Pending|Running"}`)} == 1))`,
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
        record: 'node_namespace_pod_container:container_memory_working_set_bytes',
        expr: `max by (${CONTAINER}, node) (${w(`container_memory_working_set_bytes{${CADVISOR_CONTAINERS}}`)})`,
        requires: ['cadvisor'],
      },
      requestsOrLimits('requests', 'cpu'),
      requestsOrLimits('requests', 'memory'),
      requestsOrLimits('limits', 'cpu'),
      requestsOrLimits('limits', 'memory'),
      {
        alert: 'KubeCPUThrottlingHigh',
        expr: `sum by (${CONTAINER}) (${wRange('increase', `container_cpu_cfs_throttled_periods_total{${CADVISOR_CONTAINERS}}`)}) / sum by (${CONTAINER}) (${wRange('increase', `container_cpu_cfs_periods_total{${CADVISOR_CONTAINERS}}`)}) > 0.25`,
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
        expr: `max by (${CONTAINER}) (${w(`container_memory_working_set_bytes{${CADVISOR_CONTAINERS}}`)}) / on (${CONTAINER}) max by (${CONTAINER}) (${w(`kube_pod_container_resource_limits{${KSM}, resource="memory"}`)}) > 0.9`,
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
