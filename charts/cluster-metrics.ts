import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { KubeStateMetrics } from '../constructs/kube-state-metrics.ts';
import { OTLP_GRPC_PORT } from '../constructs/otel-collector.ts';
import { OtelScraper } from '../constructs/otel-scraper.ts';

/** Cluster metrics in a cluster without Prometheus: kube-state-metrics, scraped by the collector. */
export class ClusterMetricsChart extends Chart {
  readonly kubeStateMetrics: KubeStateMetrics;
  readonly scraper: OtelScraper;

  constructor(scope: Construct, id: string, ctx: ChartContext, userJobs: readonly object[] = []) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    this.kubeStateMetrics = new KubeStateMetrics(this, 'kube-state-metrics', ctx, { namespace: config.namespace, overrides: overridesFor(ctx, 'kubeStateMetrics') });
    this.scraper = new OtelScraper(this, 'scraper', ctx, {
      namespace: config.namespace,
      agentNamespace: config.agentNamespace,
      scrapeInterval: config.components.prometheus.scrapeInterval,
      userJobs,
      metricRelabelConfigs: config.cardinality.metricRelabelConfigs,
      scrapeEgress: config.scrape.egress,
      gateway: { service: 'otel-gateway', port: OTLP_GRPC_PORT },
      overrides: overridesFor(ctx, 'otelScraper'),
    });
  }
}
