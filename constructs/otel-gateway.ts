import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { parseDuration } from '../src/duration.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { dirname } from 'node:path';
import { configMapVolume, metadata, metricsScraper, selectorLabels, serviceHost, type StackContext } from './common.ts';
import { API_SERVER_PORTS } from './network-policy.ts';
import {
  collectorContainer,
  collectorService,
  COLLECTOR_METRICS_PORT,
  type CollectorResources,
  HEALTH_CHECK,
  K8S_ATTRIBUTES_RULES,
  k8sAttributesProcessor,
  MEMORY_LIMITER,
  OTLP_GRPC_PORT,
  clusterResourceAttributes,
  insertAttributes,
  OTLP_HTTP_PORT,
  otlpReceiver,
  type Pipeline,
  sendingQueue,
} from './otel-collector.ts';
import { platformProfile } from './platforms/index.ts';
import { SPAN_METRICS_CONNECTOR } from './span-metrics.ts';
import {
  BEARER_AUTH,
  CROSS_CLUSTER_TLS_DIR,
  CROSS_CLUSTER_TOKEN_FILE,
  crossClusterExporters,
  exportersFor,
  needsRouting,
  remoteEndpoint,
  routingTable,
  SIGNALS,
  type LocalBackends,
  type Signal,
} from '../src/routing/gateway.ts';
import { clusterRoleFor, configMap, podTemplate, READ, roleFor, service, serviceAccount, type ComponentId, componentMetadata, podSelector } from './workload.ts';

/** A backend the gateway exports to: a Service in the stack namespace. */
export interface GatewayBackend {
  readonly service: string;
  readonly port: number;
}

const GATEWAY_RESOURCES: CollectorResources = { cpu: { request: '200m', limit: '1' }, memoryMiB: { request: 512, limit: 1024 } };

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
  /**
   * Applications send OTLP straight to the gateway (there are no node agents): any pod may connect.
   * @default false
   */
  readonly acceptsApplications?: boolean;
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
    const shards = shardPorts(ctx);
    const external = receivesExternal(ctx);
    const crossCluster = external || sendsExternal(ctx);
    const { tokenSecret, tlsSecret, auth } = ctx.config.crossCluster;
    const secrets = crossCluster ? (auth === 'mtls' ? [tlsSecret] : [tokenSecret, tlsSecret]) : [];

    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, [
      ...K8S_ATTRIBUTES_RULES,
      ...EVENTS_RULES,
      // The load_balancing exporter's k8s resolver watches EndpointSlices.
      ...(shards.length ? [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ }] : []),
    ]);
    // The one lease the event collector's leader election holds: create it, then read and renew only it.
    roleFor(this, ctx, id, EVENTS_LEASE, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [EVENTS_LEASE], verbs: ['get', 'update', 'patch'] },
    ]);
    configMap(this, ctx, id, 'otel-gateway-config', { 'config.yaml': configText });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: componentMetadata(ctx, id, { externalSecrets: secrets }),
      spec: {
        replicas,
        selector: podSelector(ctx, id),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(ctx, id, {
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: 10001,
          spreadAcrossArchitectures: replicas > 1,
          configContents: [configText],
          containers: [
            collectorContainer({
              resources: GATEWAY_RESOURCES,
              extraPorts: [
                ...shards.map((p) => ({ name: p.name, containerPort: p.port })),
                ...(external ? [{ name: 'otlp-external', containerPort: EXTERNAL_OTLP_PORT }] : []),
              ],
              mounts: [
                ...(crossCluster ? [{ name: 'cross-cluster-tls', mountPath: CROSS_CLUSTER_TLS_DIR, readOnly: true }] : []),
                ...(crossCluster && auth === 'bearer' ? [{ name: 'cross-cluster-token', mountPath: dirname(CROSS_CLUSTER_TOKEN_FILE), readOnly: true }] : []),
              ],
            }),
          ],
          volumes: [
            configMapVolume('config', 'otel-gateway-config'),
            ...(crossCluster ? [{ name: 'cross-cluster-tls', secret: { secretName: tlsSecret } }] : []),
            ...(crossCluster && auth === 'bearer' ? [{ name: 'cross-cluster-token', secret: { secretName: tokenSecret } }] : []),
          ],
        }),
      },
    });
    service(this, ctx, id, [
      { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
      { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
    ]);
    if (shards.length) {
      service(this, ctx, id, shards.map((p) => ({ name: p.name, port: p.port, targetPort: p.name })), { name: LOAD_BALANCED_SERVICE, headless: true });
    }
    if (external) {
      new k8s.KubeService(this, 'external-svc', {
        metadata: metadata(ctx, {
          name: EXTERNAL_SERVICE,
          namespace: id.namespace,
          app: id.app,
          component: id.component,
          annotations: { ...platformProfile(ctx.cluster.cloud).otlpServiceAnnotations },
        }),
        spec: {
          type: 'LoadBalancer',
          selector: selectorLabels(ctx, id.app),
          ports: [{ name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: k8s.IntOrString.fromString('otlp-external'), protocol: 'TCP' }],
        },
      });
    }
    const self = { app: id.app, namespace: id.namespace };
    const remotePorts = [...new Set(ctx.topology.backendClouds.map((c) => remoteEndpoint(ctx, c)).filter((e): e is string => !!e).map((e) => Number(e.split(':')[1])))];
    const isBackend = ctx.topology.rolesOf(ctx.cluster).has('backend');
    ctx.flows.register(this, id, platformProfile(ctx.cluster.cloud).detectionEgress);
    ctx.flows.add(
      ...(props.acceptsApplications ? [{ from: { anyPod: true } as const, to: self, ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], why: 'applications send OTLP to the gateway (no node agents)' }] : []),
      { from: { app: metricsScraper(ctx), namespace: props.namespace }, to: self, ports: [COLLECTOR_METRICS_PORT], why: 'the gateway\'s own metrics are scraped' },
      ...(shards.length ? [{ from: self, to: self, ports: shards.map((p) => p.port), why: 'spans sharded by trace or service between gateway replicas' }] : []),
      // Other clusters come through a load balancer, from addresses outside the pod network.
      ...(external ? [{ from: { internet: true } as const, to: self, ports: [EXTERNAL_OTLP_PORT], why: 'other clusters\' gateways send telemetry through the load balancer' }] : []),
      ...(isBackend
        ? [props.tempo, props.loki, props.prometheus].map((b) => ({ from: self, to: { app: b.service, namespace: props.namespace }, ports: [b.port], why: `the gateway exports to ${b.service}` }))
        : []),
      ...remotePorts.map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'the gateway exports to the backends of other clouds' })),
      { from: self, to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'k8s_attributes watches pods; k8s_objects watches events, under a lease' },
    );
  }
}

/**
 * Kubernetes events into Loki: the `k8s_objects` receiver watches events.k8s.io Events in one
 * gateway replica at a time (the `k8s_leader_elector` extension holds {@link EVENTS_LEASE}), so
 * that no event is stored once per replica; they join the gateway's logs, routed like the rest.
 */
export const EVENTS_LEASE = 'otel-gateway-events';
const EVENTS_RULES = [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ }];

function eventsReceiver(): Record<string, object> {
  return {
    k8s_objects: {
      auth_type: 'serviceAccount',
      k8s_leader_elector: 'k8s_leader_elector',
      objects: [{ name: 'events', group: 'events.k8s.io', mode: 'watch' }],
    },
  };
}

function eventsLeaderElector(namespace: string): Record<string, object> {
  return { k8s_leader_elector: { auth_type: 'serviceAccount', lease_name: EVENTS_LEASE, lease_namespace: namespace } };
}

/** LoadBalancer Service where other clusters send their telemetry (backend clusters only). */
export const EXTERNAL_SERVICE = 'otel-gateway-external';

/** Port of the gateway's second tier (trace-ID sharded, tail-sampled) receiver. */
export const LOAD_BALANCED_PORT = 4320;
/** Port of the cross-cluster OTLP receiver (TLS + auth), behind the `otel-gateway-external` Service. */
export const EXTERNAL_OTLP_PORT = 4319;

/** Whether this gateway receives other clusters' telemetry: a backend cluster of a multi-cluster stack. */
export function receivesExternal(ctx: StackContext): boolean {
  return ctx.topology.multiCluster && ctx.topology.rolesOf(ctx.cluster).has('backend');
}

/** Whether this gateway sends to other clusters (and so needs the cross-cluster credentials). */
export function sendsExternal(ctx: StackContext): boolean {
  return ctx.topology.backendClouds.some((cloud) => remoteEndpoint(ctx, cloud) !== undefined);
}

/** Whether traces pass through the trace-ID sharded second tier (needed by tail sampling). */
export function loadBalanced(ctx: StackContext): boolean {
  return ctx.config.scale.loadBalancing || ctx.config.scale.tailSampling.enabled;
}

/** Port of the gateway's service-sharded receiver, where the span_metrics connector gets its spans. */
export const SPAN_METRICS_PORT = 4321;

/**
 * The gateway's sharded receivers (behind the headless {@link LOAD_BALANCED_SERVICE}): spans by
 * trace ID for tail sampling, and by service for span metrics.
 */
export function shardPorts(ctx: StackContext): { name: string; port: number }[] {
  return [
    ...(loadBalanced(ctx) ? [{ name: 'otlp-lb', port: LOAD_BALANCED_PORT }] : []),
    ...(ctx.config.scale.spanMetricsInGateway ? [{ name: 'otlp-spans', port: SPAN_METRICS_PORT }] : []),
  ];
}

/** The cardinality guard: URL paths to route templates, dropped attributes. Undefined when unused. */
export function cardinalityTransform(ctx: StackContext): object | undefined {
  const { urlTemplates, dropAttributes } = ctx.config.cardinality;
  if (!urlTemplates.length && !dropAttributes.length) return undefined;
  const q = (v: string) => JSON.stringify(v);
  const drop = (path: string) => dropAttributes.map((a) => `delete_key(${path}, ${q(a)})`);
  return {
    error_mode: 'ignore',
    // `http.url` is the old semantic convention, `url.full` the current one: rewrite both.
    trace_statements: [
      ...urlTemplates.flatMap((t) => ['url.full', 'http.url'].map((attr) => `replace_pattern(span.attributes[${q(attr)}], ${q(t.pattern)}, ${q(t.template)})`)),
      ...drop('span.attributes'),
    ],
    log_statements: drop('log.attributes'),
    metric_statements: drop('datapoint.attributes'),
  };
}

/** The gateway's collector config, a pure function of the stack context and the props. */
export function gatewayConfig(ctx: StackContext, props: OtelGatewayProps): object {
  const profile = platformProfile(ctx.cluster.cloud);
  const host = (b: GatewayBackend) => `${serviceHost(b.service, props.namespace)}:${b.port}`;
  const isBackend = ctx.topology.rolesOf(ctx.cluster).has('backend');
  const local: LocalBackends = { traces: 'otlp_grpc/tempo', metrics: 'otlp_http/prometheus', logs: 'otlp_http/loki' };
  const cardinality = cardinalityTransform(ctx);
  const inProcessors = ['k8s_attributes', 'resource/cluster', 'resource_detection', ...(cardinality ? ['transform/cardinality'] : [])];
  const clusterAttributes = clusterResourceAttributes(ctx.cluster);
  const routing = needsRouting(ctx);
  const lb = loadBalanced(ctx);
  const external = receivesExternal(ctx);
  const mtls = ctx.config.crossCluster.auth === 'mtls';
  const usesBearer = !mtls && (external || sendsExternal(ctx));

  // Where each signal goes once it has been processed: the routing connector, or the one destination.
  const single = (signal: Signal) => exportersFor(ctx, ctx.topology.defaultCloud, local)[signal];
  const next = (signal: Signal) => (routing ? `routing/${signal}` : single(signal));

  const spanMetrics = ctx.config.scale.spanMetricsInGateway;
  const pipelines: Record<string, Pipeline> = {};
  if (spanMetrics) {
    pipelines['traces/span_metrics'] = { receivers: ['otlp/span_metrics'], exporters: ['span_metrics'] };
    pipelines['metrics/span_metrics'] = { receivers: ['span_metrics'], exporters: [next('metrics')] };
  }
  // Every span also goes, sharded by service, to the replica computing that service's span metrics.
  const toSpanMetrics = spanMetrics ? ['load_balancing/span_metrics'] : [];
  for (const signal of SIGNALS) {
    if (signal === 'traces' && lb) {
      pipelines['traces/in'] = { receivers: ['otlp'], processors: inProcessors, exporters: ['load_balancing/traces', ...toSpanMetrics] };
      pipelines['traces/sampled'] = {
        receivers: ['otlp/load_balanced'],
        processors: ctx.config.scale.tailSampling.enabled ? ['tail_sampling'] : [],
        exporters: [next(signal)],
      };
    } else {
      pipelines[`${signal}/in`] = { receivers: ['otlp'], processors: inProcessors, exporters: [next(signal), ...(signal === 'traces' ? toSpanMetrics : [])] };
    }
    if (routing) {
      for (const cloud of ctx.topology.backendClouds) {
        pipelines[`${signal}/${cloud}`] = { receivers: [`routing/${signal}`], exporters: [exportersFor(ctx, cloud, local)[signal]] };
      }
    }
    // Other clusters already routed their telemetry here: store it, do not route it again.
    if (external) pipelines[`${signal}/external`] = { receivers: ['otlp/external'], exporters: [local[signal]] };
  }
  pipelines['logs/events'] = { receivers: ['k8s_objects'], processors: ['resource/cluster'], exporters: [next('logs')] };

  const { tailSampling } = ctx.config.scale;
  return {
    extensions: {
      health_check: HEALTH_CHECK,
      ...(usesBearer ? { [BEARER_AUTH]: { filename: CROSS_CLUSTER_TOKEN_FILE } } : {}),
      ...eventsLeaderElector(props.namespace),
    },
    receivers: {
      otlp: otlpReceiver(),
      ...eventsReceiver(),
      ...(lb ? { 'otlp/load_balanced': { protocols: { grpc: { endpoint: `\${env:MY_POD_IP}:${LOAD_BALANCED_PORT}` } } } } : {}),
      ...(spanMetrics ? { 'otlp/span_metrics': { protocols: { grpc: { endpoint: `\${env:MY_POD_IP}:${SPAN_METRICS_PORT}` } } } } : {}),
      ...(external
        ? {
            'otlp/external': {
              protocols: {
                grpc: {
                  endpoint: `\${env:MY_POD_IP}:${EXTERNAL_OTLP_PORT}`,
                  tls: {
                    cert_file: `${CROSS_CLUSTER_TLS_DIR}/tls.crt`,
                    key_file: `${CROSS_CLUSTER_TLS_DIR}/tls.key`,
                    ...(mtls ? { client_ca_file: `${CROSS_CLUSTER_TLS_DIR}/ca.crt` } : {}),
                  },
                  ...(mtls ? {} : { auth: { authenticator: BEARER_AUTH } }),
                },
              },
            },
          }
        : {}),
    },
    processors: {
      memory_limiter: MEMORY_LIMITER,
      // Agents already enriched what they forward; this catches data sent straight to the gateway.
      k8s_attributes: k8sAttributesProcessor(),
      // Never override: attributes set by the application or the agent are more specific.
      resource_detection: { detectors: [...profile.detectors], timeout: '5s', override: false },
      'resource/cluster': insertAttributes(clusterAttributes),
      ...(cardinality ? { 'transform/cardinality': cardinality } : {}),
      ...(tailSampling.enabled
        ? {
            tail_sampling: {
              decision_wait: '30s',
              num_traces: 50000,
              policies: [
                { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
                { name: 'slow', type: 'latency', latency: { threshold_ms: parseDuration(tailSampling.slowerThan)! * 1000 } },
                { name: 'sample-rest', type: 'probabilistic', probabilistic: { sampling_percentage: tailSampling.percentage } },
              ],
            },
          }
        : {}),
    },
    ...(routing || spanMetrics
      ? {
          connectors: {
            ...(routing ? Object.fromEntries(SIGNALS.map((signal) => [`routing/${signal}`, routingTable(ctx, signal)])) : {}),
            // Request rate, errors and latency per service, span name and kind, as Tempo's span-metrics processor
            // would; the names Grafana queries follow from the namespace and unit (span-metrics.ts).
            ...(spanMetrics
              ? {
                  span_metrics: {
                    namespace: SPAN_METRICS_CONNECTOR.namespace,
                    histogram: { unit: SPAN_METRICS_CONNECTOR.unit, explicit: { buckets: ['5ms', '25ms', '100ms', '250ms', '1s', '2.5s', '10s'] } },
                    dimensions: [{ name: 'http.response.status_code' }],
                    // Trace ids on the histogram: the latency panel's exemplars link to the traces.
                    exemplars: { enabled: true },
                  },
                }
              : {}),
          },
        }
      : {}),
    exporters: queued(
      {
        ...(isBackend
          ? {
              [local.traces]: { endpoint: host(props.tempo), tls: { insecure: true } },
              [local.logs]: { endpoint: `http://${host(props.loki)}/otlp` },
              [local.metrics]: { endpoint: `http://${host(props.prometheus)}/api/v1/otlp` },
            }
          : {}),
        // No queue settings here: queued() adds them, sized across every exporter.
        ...crossClusterExporters(ctx),
        ...(lb
          ? {
              'load_balancing/traces': {
                // All spans of a trace must reach the same replica for tail sampling to see the whole trace.
                routing_key: 'traceID',
                protocol: { otlp: { tls: { insecure: true } } },
                resolver: { k8s: { service: `${LOAD_BALANCED_SERVICE}.${props.namespace}`, ports: [LOAD_BALANCED_PORT] } },
              },
            }
          : {}),
        ...(spanMetrics
          ? {
              'load_balancing/span_metrics': {
                // All spans of a service reach one replica, so that its span metrics are one series, not one per replica.
                routing_key: 'service',
                protocol: { otlp: { tls: { insecure: true } } },
                resolver: { k8s: { service: `${LOAD_BALANCED_SERVICE}.${props.namespace}`, ports: [SPAN_METRICS_PORT] } },
              },
            }
          : {}),
      },
    ),
    service: collectorService(['health_check', ...(usesBearer ? [BEARER_AUTH] : []), 'k8s_leader_elector'], pipelines),
  };
}

/**
 * Adds a sending queue to every exporter, the gateway's memory limit shared among them. A
 * load_balancing exporter gets one queue of its own, not one per endpoint: its per-endpoint OTLP
 * exporters neither queue nor retry, so replicas do not multiply queues, and a retry goes through
 * the ring again, to the successor of a replica that left.
 */
function queued(exporters: Record<string, object>): Record<string, object> {
  const queue = sendingQueue(GATEWAY_RESOURCES.memoryMiB.limit, Object.keys(exporters).length);
  const perEndpoint = { sending_queue: { enabled: false }, retry_on_failure: { enabled: false } };
  return Object.fromEntries(
    Object.entries(exporters).map(([id, e]) => [
      id,
      id.split('/')[0] === 'load_balancing'
        ? { ...e, ...queue, protocol: { otlp: { ...(e as { protocol: { otlp: object } }).protocol.otlp, ...perEndpoint } } }
        : { ...e, ...queue },
    ]),
  );
}

/** Headless Service of the gateway's second tier; the load_balancing exporter resolves its EndpointSlices. */
export const LOAD_BALANCED_SERVICE = 'otel-gateway-lb';
