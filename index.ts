/**
 * cdk8s-o11y as a construct library: `O11yStack` for one cluster's stack, each component
 * construct, the per-cloud platform profiles, the SLO compiler and the config model.
 */
export { O11yStack, PROMTOOL_DIR, type O11yStackProps, type BackendRules } from './charts/stack.ts';
export { NamespacesChart } from './charts/namespaces.ts';
export { BackendsChart } from './charts/backends.ts';
export { PrometheusChart } from './charts/prometheus.ts';
export { ClusterMetricsChart } from './charts/cluster-metrics.ts';
export { CollectorsChart } from './charts/collectors.ts';
export { GrafanaChart } from './charts/grafana.ts';
export { ControllerChart } from './charts/controller.ts';

export { Alertmanager, type AlertmanagerProps } from './constructs/alertmanager.ts';
export { Grafana, type GrafanaProps } from './constructs/grafana.ts';
export { KubeStateMetrics } from './constructs/kube-state-metrics.ts';
export { Loki, type LokiProps } from './constructs/loki.ts';
export { StackNamespace } from './constructs/namespaces.ts';
export { OtelAgent } from './constructs/otel-agent.ts';
export { OtelGateway } from './constructs/otel-gateway.ts';
export { OtelScraper } from './constructs/otel-scraper.ts';
export { Prometheus, type PrometheusProps } from './constructs/prometheus.ts';
export { PrometheusRules } from './constructs/prometheus-rules.ts';
export { Tempo, type TempoProps } from './constructs/tempo.ts';
export { O11yController, type O11yControllerProps } from './constructs/controller.ts';
export { IMAGES, type ImageName } from './src/model/images.ts';
export { metricsScraper, stackContext, type ChartContext, type StackContext, type Resources } from './constructs/common.ts';
/** The Kubernetes 1.28 API classes and types, all of them, for objects of your own (the constructs load only the classes they use). */
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
export { FlowTable, type Flow, type Peer } from './constructs/network-policy.ts';
export type { PortRef } from './src/model/network.ts';
export { componentMetadata, container, podSelector, podTemplate, service, serviceAccount, configMap, type ComponentId, type ContainerOptions, type PodTemplateOptions, type ServicePort } from './constructs/workload.ts';
export { platformProfile, type PlatformProfile } from './src/model/platforms/index.ts';

export { compileSloFiles, compileSlos, type CompiledSlos, type CompileOptions, type Slo } from './src/slo/index.ts';
export { loadConfigFile, parseConfig } from './src/config/load.ts';
export { resolveStackInput, type StackInput, type DeepPartial } from './src/config/input.ts';
export type * from './src/model/types.ts';
export { annotateForArgoCd } from './src/gitops/apply-options.ts';
export { synthesize, type SynthOptions } from './src/synth.ts';
export { InputError, formatProblem, type InputProblem } from './src/errors.ts';
