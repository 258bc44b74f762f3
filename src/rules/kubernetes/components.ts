import { missingInCluster, w, type KubernetesGroup } from './rule.ts';

/**
 * The stack's own Kubernetes exporters: without kube-state-metrics or node-exporter most of the
 * other Kubernetes alerts go blind, silently. (The rest of the stack has its own rule file.)
 */
export function componentsGroup(): KubernetesGroup {
  return {
    key: 'components',
    rules: [
      {
        alert: 'KubeStateMetricsDown',
        expr: missingInCluster('kube-state-metrics'),
        for: '15m',
        severity: 'critical',
        summary: 'kube-state-metrics is not scraped',
        description: 'Cluster {{ $labels.cluster }} has no kube-state-metrics target up for 15 minutes.',
        impact: 'Every alert on nodes, workloads, quotas and volumes that reads kube_* series is blind.',
        action: 'Check the kube-state-metrics Deployment in the stack namespace, its logs (RBAC errors) and its NetworkPolicy.',
        requires: ['kube-state-metrics', 'kubelet'],
      },
      {
        alert: 'NodeExporterDown',
        expr: `${w('up{job="node-exporter"}')} == 0`,
        for: '15m',
        severity: 'warning',
        summary: 'node-exporter on a node cannot be scraped',
        description: 'node-exporter on {{ $labels.node }} (cluster {{ $labels.cluster }}) has not answered its scrape for 15 minutes.',
        impact: 'That node\'s file system, clock, network and OOM alerts are blind.',
        action: 'Check the node-exporter pod on the node (agent namespace) and the scraper\'s egress to the node address on port 9100 (`networkPolicy.nodeCidrs`).',
        requires: ['node-exporter'],
      },
    ],
  };
}
