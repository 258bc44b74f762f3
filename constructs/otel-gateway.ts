import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, metadata, serviceHost, type StackContext } from './common.ts';
import { allowFlows, ANYWHERE, API_SERVER_PORTS } from './network-policy.ts';
import {
  collectorContainer,
  collectorService,
  COLLECTOR_METRICS_PORT,
  HEALTH_CHECK,
  K8S_ATTRIBUTES_RULES,
  k8sAttributesProcessor,
  MEMORY_LIMITER,
  OTLP_GRPC_PORT,
  OTLP_HTTP_PORT,
  otlpReceiver,
  SENDING_QUEUE,
} from './otel-collector.ts';
import { platformProfile } from './platforms/index.ts';
import { clusterRoleFor, configMap, podTemplate, service, serviceAccount, type ComponentId } from './workload.ts';

/** A backend the gateway exports to: a Service in the stack namespace. */
export interface GatewayBackend {
  readonly service: string;
  readonly port: number;
}

export interface OtelGatewayProps {
  readonly namespace: string;
  /** Namespace of the node agents, the gateway's clients. */
  readonly agentNamespace: string;
  /** @default 2 */
  readonly replicas?: number;
  /** Tempo's OTLP gRPC endpoint. */
  readonly tempo: GatewayBackend;
  /** Loki's HTTP endpoint (native OTLP at `/otlp`). */
  readonly loki: GatewayBackend;
  /** Prometheus' HTTP endpoint (native OTLP at `/api/v1/otlp`). */
  readonly prometheus: GatewayBackend;
}

/**
 * The OpenTelemetry Collector gateway: receives OTLP from the node agents, limits memory, adds
 * Kubernetes metadata (by pod IP or UID) and cluster-level resource attributes, and exports traces
 * to Tempo, logs to Loki and metrics to Prometheus, all over OTLP.
 */
export class OtelGateway extends Construct {
  readonly id: ComponentId;

  constructor(scope: Construct, name: string, ctx: StackContext, props: OtelGatewayProps) {
    super(scope, name);
    const id: ComponentId = { app: 'otel-gateway', component: 'otel-gateway', namespace: props.namespace };
    this.id = id;
    const replicas = props.replicas ?? 2;
    const configText = dumpYaml(gatewayConfig(ctx, props));
    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, K8S_ATTRIBUTES_RULES);
    configMap(this, ctx, id, 'otel-gateway-config', { 'config.yaml': configText });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: metadata(ctx, { name: id.app, namespace: id.namespace, app: id.app, component: id.component }),
      spec: {
        replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': id.app, 'app.kubernetes.io/instance': ctx.config.name } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(ctx, id, {
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: 10001,
          spreadAcrossArchitectures: replicas > 1,
          configContents: [configText],
          containers: [collectorContainer({ resources: { cpu: { request: '200m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } } })],
          volumes: [configMapVolume('config', 'otel-gateway-config')],
        }),
      },
    });
    service(this, ctx, id, [
      { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
      { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
    ]);
    allowFlows(this, ctx, id, {
      ingress: [
        { peers: [{ app: 'otel-agent', namespace: props.agentNamespace }], ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT] },
        { peers: [{ app: 'prometheus', namespace: props.namespace }], ports: [COLLECTOR_METRICS_PORT] },
      ],
      egress: [
        { peers: [{ app: props.tempo.service, namespace: props.namespace }], ports: [props.tempo.port] },
        { peers: [{ app: props.loki.service, namespace: props.namespace }], ports: [props.loki.port] },
        { peers: [{ app: props.prometheus.service, namespace: props.namespace }], ports: [props.prometheus.port] },
        { peers: [ANYWHERE], ports: API_SERVER_PORTS },
      ],
    });
  }
}

/** The gateway's collector config, a pure function of the stack context and the props. */
export function gatewayConfig(ctx: StackContext, props: OtelGatewayProps): object {
  const profile = platformProfile(ctx.cluster.cloud);
  const host = (b: GatewayBackend) => `${serviceHost(b.service, props.namespace)}:${b.port}`;
  const processors = ['memory_limiter', 'k8s_attributes', 'resource_detection', 'resource/cluster'];
  const clusterAttributes: Record<string, string> = {
    'k8s.cluster.name': ctx.cluster.name,
    'cloud.region': ctx.cluster.region,
    ...profile.staticResourceAttributes,
  };
  return {
    extensions: { health_check: HEALTH_CHECK },
    receivers: { otlp: otlpReceiver() },
    processors: {
      memory_limiter: MEMORY_LIMITER,
      // Agents already enriched what they forward; this catches data sent straight to the gateway.
      k8s_attributes: k8sAttributesProcessor(),
      // Never override: attributes set by the application or the agent are more specific.
      resource_detection: { detectors: [...profile.detectors], timeout: '5s', override: false },
      'resource/cluster': {
        attributes: Object.entries(clusterAttributes).map(([key, value]) => ({ key, value, action: 'insert' })),
      },
    },
    exporters: {
      'otlp_grpc/tempo': { endpoint: host(props.tempo), tls: { insecure: true }, ...SENDING_QUEUE },
      'otlp_http/loki': { endpoint: `http://${host(props.loki)}/otlp`, ...SENDING_QUEUE },
      'otlp_http/prometheus': { endpoint: `http://${host(props.prometheus)}/api/v1/otlp`, ...SENDING_QUEUE },
    },
    service: collectorService(['health_check'], {
      traces: { receivers: ['otlp'], processors, exporters: ['otlp_grpc/tempo'] },
      metrics: { receivers: ['otlp'], processors, exporters: ['otlp_http/prometheus'] },
      logs: { receivers: ['otlp'], processors, exporters: ['otlp_http/loki'] },
    }),
  };
}
