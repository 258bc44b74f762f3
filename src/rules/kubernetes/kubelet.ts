import { w, wRange, type KubernetesGroup } from './rule.ts';

/** Kubelets, scraped on every node. */

const KUBELET = 'job="kubelet"';

export function kubeletGroup(): KubernetesGroup {
  return {
    key: 'kubelet',
    rules: [
      {
        alert: 'KubeletDown',
        expr: `${w(`up{${KUBELET}}`)} == 0`,
        for: '15m',
        severity: 'critical',
        summary: 'A kubelet cannot be scraped',
        description: 'The kubelet of {{ $labels.node }} (cluster {{ $labels.cluster }}) has not answered its scrape for 15 minutes.',
        impact: 'The node\'s pods are not managed (or the node is gone); its container metrics are missing.',
        action: 'Is the node Ready (`kubectl get node`)? Check the kubelet service on it and the scraper\'s egress to port 10250 (`networkPolicy.nodeCidrs`).',
        requires: ['kubelet'],
      },
      {
        alert: 'KubeletTooManyPods',
        expr: `max by (cluster, node) (${w(`kubelet_running_pods{${KUBELET}}`)}) / on (cluster, node) max by (cluster, node) (${w('kube_node_status_capacity{job="kube-state-metrics", resource="pods"}')}) > 0.95`,
        for: '15m',
        severity: 'warning',
        summary: 'A node runs nearly as many pods as it may',
        description: 'Node {{ $labels.node }} (cluster {{ $labels.cluster }}) runs {{ $value | humanizePercentage }} of its pod capacity.',
        impact: 'No further pod can be scheduled there, whatever CPU and memory are free.',
        action: 'Spread the pods (more nodes, topology spread), or raise the node\'s max-pods where its network plugin allows.',
        requires: ['kubelet', 'kube-state-metrics'],
      },
      {
        alert: 'KubeletPlegDurationHigh',
        expr: `histogram_quantile(0.99, sum by (cluster, node, le) (${wRange('rate', `kubelet_pleg_relist_duration_seconds_bucket{${KUBELET}}`)})) >= 10`,
        for: '5m',
        severity: 'warning',
        summary: 'The kubelet\'s pod lifecycle event generator is slow',
        description: 'PLEG relisting on {{ $labels.node }} (cluster {{ $labels.cluster }}) takes {{ $value }} s at the 99th percentile.',
        impact: 'Beyond 3 minutes the node turns NotReady; pod starts and stops are noticed late.',
        action: 'Check the container runtime on the node (`crictl ps` latency), its disk I/O and the number of containers.',
        requires: ['kubelet'],
      },
      {
        alert: 'KubeletClientCertificateExpiration',
        expr: `${w(`kubelet_certificate_manager_client_ttl_seconds{${KUBELET}}`)} < 7 * 86400`,
        severity: 'warning',
        summary: 'A kubelet\'s client certificate expires within 7 days',
        description: 'The client certificate of the kubelet on {{ $labels.node }} (cluster {{ $labels.cluster }}) expires in {{ $value | humanizeDuration }}.',
        impact: 'When it expires the kubelet can no longer talk to the API server: the node turns NotReady.',
        action: 'Check that client certificate rotation is on (`rotateCertificates`) and that its CSRs are approved.',
        requires: ['kubelet'],
      },
    ],
  };
}
