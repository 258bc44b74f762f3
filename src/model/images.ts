/**
 * The one image catalog. Every image here is a multi-arch manifest list (image index) covering at
 * least linux/amd64 and linux/arm64, pinned by tag; never a per-arch tag such as `-amd64`.
 * `o11y images verify --manifests dist/<cluster>` asks the registries to confirm it.
 */
export const IMAGES = {
  prometheus: 'quay.io/prometheus/prometheus:v3.14.0',
  alertmanager: 'quay.io/prometheus/alertmanager:v0.31.1',
  otelCollectorContrib: 'otel/opentelemetry-collector-contrib:0.159.0',
  tempo: 'grafana/tempo:3.0.3',
  loki: 'grafana/loki:3.7.6',
  grafana: 'grafana/grafana:13.1.3',
  kubeStateMetrics: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0',
  nodeExporter: 'quay.io/prometheus/node-exporter:v1.10.2',
  // The `victoriametrics-cluster` metrics mode: the cluster components carry the `-cluster` tag suffix.
  vmstorage: 'victoriametrics/vmstorage:v1.150.0-cluster',
  vminsert: 'victoriametrics/vminsert:v1.150.0-cluster',
  vmselect: 'victoriametrics/vmselect:v1.150.0-cluster',
  vmagent: 'victoriametrics/vmagent:v1.150.0',
  vmalert: 'victoriametrics/vmalert:v1.150.0',
  /** This project's own controller image, built for linux/amd64 and linux/arm64 by the Dockerfile. */
  o11yController: 'ghcr.io/cdk8s-o11y/o11y:0.1.0',
} as const;

export type ImageName = keyof typeof IMAGES;
