import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, metadata, selectorLabels, type StackContext } from './common.ts';
import { API_SERVER_PORTS, type Flow } from './network-policy.ts';
import { collectorContainer, clusterResourceAttributes, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from './otel-collector.ts';
import { memoryMiB } from '../src/config/quantity.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { crossClusterExporters, exportersFor, needsRouting, remoteEndpoint, type RoutingScope, type Signal } from '../src/routing/gateway.ts';
import type { CardinalityConfig, CrossClusterConfig, RoutingConfig, ScaleConfig, StackConfig } from '../src/model/types.ts';
import { clusterRoleFor, configMap, podTemplate, roleFor, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';
import { composeGateway, type GatewayComposition, type GatewayFragment } from './gateway/fragment.ts';
import { intakeFragment } from './gateway/intake.ts';
import { LOCAL_EXPORTERS, localBackendsFragment, type GatewayBackend } from './gateway/local-backends.ts';
import { routingEntry, routingFragment } from './gateway/routing.ts';
import { LOAD_BALANCED_ENTRY, loadBalancedTracesFragment } from './gateway/load-balancing.ts';
import { SPAN_METRICS_ENTRY, spanMetricsFragment } from './gateway/span-metrics.ts';
import { crossClusterReceiveFragment, crossClusterSendFragment } from './gateway/cross-cluster.ts';
import { LOAD_BALANCED_SERVICE } from './gateway/shards.ts';
import { EVENTS_LEASE, eventsFragment } from './gateway/events.ts';
import { redactionFragment } from './gateway/redaction.ts';
import { REDACTION_PROCESSOR, saltEnv, type RedactionPolicy } from '../src/redaction/statements.ts';

export type { GatewayBackend } from './gateway/local-backends.ts';
export { cardinalityTransform } from './gateway/intake.ts';
export { LOAD_BALANCED_PORT } from './gateway/load-balancing.ts';
export { SPAN_METRICS_PORT } from './gateway/span-metrics.ts';
export { EXTERNAL_OTLP_PORT, EXTERNAL_SERVICE } from './gateway/cross-cluster.ts';
export { LOAD_BALANCED_SERVICE } from './gateway/shards.ts';

export interface OtelGatewayProps extends WorkloadProps {
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
  /** How gateways talk to other clusters' gateways (`crossCluster`). */
  readonly crossCluster: CrossClusterConfig;
  /** Extra routes and the default cloud (`routing`). */
  readonly routing: RoutingConfig;
  /** Load balancing, tail sampling, span metrics (`scale`). */
  readonly scale: ScaleConfig;
  /** URL templates and dropped attributes (`cardinality`). */
  readonly cardinality: CardinalityConfig;
  /**
   * What to redact before anything is exported (`redaction`, resolved for the cluster).
   * @default none
   */
  readonly redaction?: RedactionPolicy;
}

/** The gateway's props that come straight from the stack's config sections of the same names. */
export function gatewaySettings(config: Pick<StackConfig, 'crossCluster' | 'routing' | 'scale' | 'cardinality'>): Pick<OtelGatewayProps, 'crossCluster' | 'routing' | 'scale' | 'cardinality'> {
  return { crossCluster: config.crossCluster, routing: config.routing, scale: config.scale, cardinality: config.cardinality };
}

/**
 * The OpenTelemetry Collector gateway: receives OTLP from the node agents, limits memory, adds
 * Kubernetes metadata (by pod IP or UID) and cluster-level resource attributes, and exports traces
 * to Tempo, logs to Loki and metrics to Prometheus, all over OTLP. Its optional features are
 * pipeline fragments (constructs/gateway/); the workload is built from what they need.
 */
export class OtelGateway extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: OtelGatewayProps) {
    super(scope, name);
    const id: ComponentId = { app: 'otel-gateway', component: 'otel-gateway', namespace: props.namespace };
    this.id = id;
    const replicas = props.replicas ?? 2;
    const gateway = composeGatewayOf(ctx, props);
    const configText = dumpYaml(gateway.config);
    const usesKubernetesApi = gateway.rbac.length > 0;

    serviceAccount(this, ctx, id);
    if (usesKubernetesApi) clusterRoleFor(this, ctx, id, gateway.rbac);
    // The one lease the event collector's leader election holds: create it, then read and renew only it.
    roleFor(this, ctx, id, EVENTS_LEASE, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [EVENTS_LEASE], verbs: ['get', 'update', 'patch'] },
    ]);
    this.configMap = configMap(this, ctx, id, 'otel-gateway-config', { 'config.yaml': configText });
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: gateway.externalSecrets }),
      spec: {
        replicas,
        selector: podSelector(ctx, id),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi,
          uid: 10001,
          spreadAcrossArchitectures: replicas > 1,
          configContents: [configText],
          containers: [
            collectorContainer({
              resources: gatewayResources(props),
              env: saltEnv(props.redaction),
              extraPorts: [...gateway.shardPorts, ...gateway.ports].map((p) => ({ name: p.name, containerPort: p.port })),
              mounts: gateway.secretMounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })),
            }),
          ],
          volumes: [configMapVolume('config', 'otel-gateway-config'), ...gateway.secretMounts.map((m) => ({ name: m.volume, secret: { secretName: m.secretName } }))],
        }),
      },
    });
    service(this, ctx, id, [
      { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
      { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
    ]);
    if (gateway.shardPorts.length) {
      service(this, ctx, id, gateway.shardPorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.name })), { name: LOAD_BALANCED_SERVICE, headless: true });
    }
    for (const s of gateway.services) {
      new k8s.KubeService(this, `${s.name}-svc`, {
        metadata: metadata(ctx, { name: s.name, namespace: id.namespace, app: id.app, component: id.component, annotations: { ...s.annotations } }),
        spec: {
          type: 'LoadBalancer',
          selector: selectorLabels(ctx, id.app),
          ports: s.ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.targetPort), protocol: 'TCP' })),
        },
      });
    }
    ctx.flows.register(this, id, gateway.egressAllowances);
    ctx.flows.add(...gatewayFlows(gateway, { app: id.app, namespace: id.namespace }, { acceptsApplications: props.acceptsApplications ?? false }));
  }
}

/** The gateway's flows: who reaches it, then where it connects (declaration order is the policies' rule order). */
function gatewayFlows(gateway: GatewayComposition, self: { app: string; namespace: string }, o: { acceptsApplications: boolean }): Flow[] {
  return [
    ...(o.acceptsApplications ? [{ from: { anyPod: true } as const, to: self, ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], why: 'applications send OTLP to the gateway (no node agents)' }] : []),
    ...(gateway.shardPorts.length ? [{ from: self, to: self, ports: gateway.shardPorts.map((p) => p.port), why: 'spans sharded by trace or service between gateway replicas' }] : []),
    ...gateway.ingress.map((f) => ({ from: f.from, to: self, ports: f.ports, why: f.why })),
    ...gateway.egress.map((f) => ({ from: self, to: f.to, ports: f.ports, why: f.why })),
    ...(gateway.rbac.length ? [{ from: self, to: { apiServer: true } as const, ports: API_SERVER_PORTS, why: 'the collector watches the Kubernetes API (k8s_attributes, load_balancing resolvers, k8s_objects events under a lease)' }] : []),
  ];
}

/** Whether this gateway receives other clusters' telemetry: a backend cluster of a multi-cluster stack. */
export function receivesExternal(ctx: Pick<StackContext, 'topology' | 'cluster'>): boolean {
  return ctx.topology.multiCluster && ctx.topology.rolesOf(ctx.cluster).has('backend');
}

/** Whether this gateway sends to other clusters (and so needs the cross-cluster credentials). */
export function sendsExternal(ctx: RoutingScope): boolean {
  return ctx.topology.backendClouds.some((cloud) => remoteEndpoint(ctx, cloud) !== undefined);
}

/** Whether traces pass through the trace-ID sharded second tier (needed by tail sampling). */
export function loadBalanced(scale: ScaleConfig): boolean {
  return scale.loadBalancing || scale.tailSampling.enabled;
}

/**
 * The fragments that apply to this cluster's gateway, wired to each other: each signal leaves the
 * intake for the routing connector, or for its one destination; traces go through the sharded
 * second tier when load-balanced, and also to the span-metrics tier when it is on. Fragment order
 * is the order of components in the config.
 */
export function gatewayFragments(ctx: StackContext, props: OtelGatewayProps): GatewayFragment[] {
  const profile = platformProfile(ctx.cluster.cloud);
  const { crossCluster, scale, cardinality } = props;
  const scope: RoutingScope = { config: { crossCluster, routing: props.routing }, cluster: ctx.cluster, topology: ctx.topology };
  const routing = needsRouting(scope);
  const lb = loadBalanced(scale);
  const deliver = (signal: Signal) => (routing ? routingEntry(signal) : exportersFor(scope, ctx.topology.defaultCloud, LOCAL_EXPORTERS)[signal]);
  // Everything from outside the gateway is redacted in the pipeline that receives it, before it is forwarded.
  const redaction = props.redaction ? [REDACTION_PROCESSOR] : [];
  const forward: Record<Signal, string[]> = {
    traces: [lb ? LOAD_BALANCED_ENTRY : deliver('traces'), ...(scale.spanMetricsInGateway ? [SPAN_METRICS_ENTRY] : [])],
    metrics: [deliver('metrics')],
    logs: [deliver('logs')],
  };
  const candidates: (GatewayFragment | false)[] = [
    intakeFragment({ detectors: profile.detectors, detectionEgress: profile.detectionEgress, clusterAttributes: clusterResourceAttributes(ctx.cluster), cardinality, redaction, forward }),
    props.redaction !== undefined && redactionFragment(props.redaction),
    eventsFragment({ namespace: props.namespace, deliver: deliver('logs'), redaction }),
    ctx.topology.rolesOf(ctx.cluster).has('backend') && localBackendsFragment({ namespace: props.namespace, tempo: props.tempo, loki: props.loki, prometheus: props.prometheus }),
    sendsExternal(scope) && crossClusterSendFragment({ crossCluster, exporters: crossClusterExporters(scope) }),
    lb && loadBalancedTracesFragment({ namespace: props.namespace, tailSampling: scale.tailSampling, deliver: deliver('traces') }),
    routing && routingFragment(scope, LOCAL_EXPORTERS),
    scale.spanMetricsInGateway && spanMetricsFragment({ namespace: props.namespace, deliver: deliver('metrics') }),
    receivesExternal(ctx) && crossClusterReceiveFragment({ crossCluster, local: LOCAL_EXPORTERS, serviceAnnotations: profile.otlpServiceAnnotations, redaction }),
  ];
  return candidates.filter((f): f is GatewayFragment => f !== false);
}

function composeGatewayOf(ctx: StackContext, props: OtelGatewayProps): GatewayComposition {
  return composeGateway(gatewayFragments(ctx, props), { memoryLimitMiB: memoryMiB(gatewayResources(props).memory.limit) });
}

/** The gateway's collector config, a pure function of the stack context and the props. */
export function gatewayConfig(ctx: StackContext, props: OtelGatewayProps): object {
  return composeGatewayOf(ctx, props).config;
}

function gatewayResources(props: OtelGatewayProps) {
  return props.overrides?.resources ?? defaultResources('otelGateway');
}
