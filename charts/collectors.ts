import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { clusterResourceAttributes, OTLP_GRPC_PORT } from '../constructs/otel-collector.ts';
import { NodeExporter } from '../constructs/node-exporter.ts';
import { OtelAgent } from '../constructs/otel-agent.ts';
import { gatewaySettings, OtelGateway } from '../constructs/otel-gateway.ts';
import { metricsEndpoints } from './metrics-endpoints.ts';
import { TEMPO_OTLP_GRPC_PORT } from '../constructs/tempo.ts';
import { redactionPolicy } from '../src/model/redaction.ts';

/** The OpenTelemetry Collector gateway, the node agents (unless disabled) and node-exporter. */
export class CollectorsChart extends Chart {
  readonly gateway: OtelGateway;
  /** Absent with `collector.agent: false`. */
  readonly agent?: OtelAgent;
  readonly nodeExporter: NodeExporter;

  constructor(scope: Construct, id: string, ctx: ChartContext) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const redaction = redactionPolicy(config, ctx.cluster);
    const gateway = new OtelGateway(this, 'gateway', ctx, {
      namespace: config.namespace,
      agentNamespace: config.agentNamespace,
      replicas: config.components.collector.gateway.replicas,
      tempo: { service: 'tempo', port: TEMPO_OTLP_GRPC_PORT },
      loki: { service: 'loki', port: LOKI_HTTP_PORT },
      prometheus: metricsEndpoints(ctx).otlp,
      acceptsApplications: !config.components.collector.agent.enabled,
      ...gatewaySettings(config),
      ...(redaction ? { redaction } : {}),
      overrides: overridesFor(ctx, 'otelGateway'),
    });
    this.gateway = gateway;
    if (config.components.collector.agent.enabled) {
      this.agent = new OtelAgent(this, 'agent', ctx, {
        namespace: config.agentNamespace,
        stackNamespace: config.namespace,
        gateway: { service: gateway.id.app, port: OTLP_GRPC_PORT },
        resourceAttributes: clusterResourceAttributes(ctx.cluster),
        tolerations: config.components.collector.agentTolerations,
        ...(redaction ? { redaction } : {}),
        overrides: overridesFor(ctx, 'otelAgent'),
      });
    }
    this.nodeExporter = new NodeExporter(this, 'node-exporter', ctx, { namespace: config.agentNamespace, tolerations: config.components.collector.agentTolerations, overrides: overridesFor(ctx, 'nodeExporter') });
  }
}
