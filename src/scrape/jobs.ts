/**
 * Job names of the scrape configs the stack generates (constructs/prometheus.ts), shared by
 * Prometheus and the collector's scraper. The config loader refuses user scrape configs that reuse
 * them: Prometheus refuses a config with two jobs of the same name.
 */
export const STACK_SCRAPE_JOBS = {
  stack: 'o11y-stack',
  kubeStateMetrics: 'kube-state-metrics',
  kubelet: 'kubelet',
  cadvisor: 'cadvisor',
  nodeExporter: 'node-exporter',
  apiServer: 'apiserver',
  coreDns: 'coredns',
  // The control plane, where the cloud's profile lists it (on-prem kubeadm; EKS has the scheduler and controller-manager).
  etcd: 'etcd',
  scheduler: 'kube-scheduler',
  controllerManager: 'kube-controller-manager',
  pods: 'kubernetes-pods',
  serviceEndpoints: 'kubernetes-service-endpoints',
} as const;

/** Job-name prefixes of the scrape configs converted from ServiceMonitors and PodMonitors (as prometheus-operator names them). */
export const MONITOR_JOB_PREFIXES = ['serviceMonitor/', 'podMonitor/'] as const;
