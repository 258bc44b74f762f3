import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { memoryMiB } from '../src/config/quantity.ts';
import type { TolerationConfig } from '../src/model/types.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { REDACTION_PROCESSOR, redactionTransform, saltEnv, type RedactionPolicy } from '../src/redaction/statements.ts';
import { configMapVolume, serviceHost, type StackContext } from './common.ts';
import { API_SERVER_PORTS, KUBELET_PORT } from './network-policy.ts';
import {
  collectorContainer,
  collectorService,
  HEALTH_CHECK,
  insertAttributes,
  K8S_ATTRIBUTES_RULES,
  k8sAttributesProcessor,
  MEMORY_LIMITER,
  OTLP_GRPC_PORT,
  OTLP_HTTP_PORT,
  otlpReceiver,
  sendingQueue,
} from './otel-collector.ts';
import { clusterRoleFor, configMap, nodeDaemonSet, service, serviceAccount, type ComponentId, defaultResources, type WorkloadProps } from './workload.ts';

/** Host paths the agent mounts; all read-only but the checkpoint folder. */
export const AGENT_HOST_PATHS = {
  podLogs: '/var/log/pods',
  /** file_log offsets survive agent restarts here, so logs are neither lost nor duplicated. */
  checkpoints: '/var/lib/otel-agent',
} as const;

export interface OtelAgentProps extends WorkloadProps {
  /** The agent namespace: PSS `privileged`, because of the host log mounts. */
  readonly namespace: string;
  /** Namespace of the stack (gateway, Prometheus). */
  readonly stackNamespace: string;
  /** The gateway Service the agents export to. */
  readonly gateway: { readonly service: string; readonly port: number };
  /**
   * Attributes known at synth time (`k8s.cluster.name`, `cloud.region`, `cloud.provider`,
   * `cloud.platform`), inserted on everything the agent forwards.
   * @default none
   */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /**
   * Taints the agents tolerate. Logs and kubelet metrics are wanted from every node, tainted pools
   * (GPU, dedicated, infra, control plane) included.
   * @default [{ operator: 'Exists' }]
   */
  readonly tolerations?: readonly TolerationConfig[];
  /**
   * What to redact before anything leaves the node (`redaction`, resolved for the cluster): after
   * the trace context is read from log lines (the file_log operators) and Kubernetes metadata added
   * (exemptions are by namespace), before the export to the gateway.
   * @default none
   */
  readonly redaction?: RedactionPolicy;
}

/**
 * The node agent, a DaemonSet: OTLP on every node (Service with `internalTrafficPolicy: Local`,
 * so applications reach their own node's agent without host ports), container logs from
 * `/var/log/pods` with `file_log` (trace context lifted from the lines), node/pod/container metrics
 * from the kubelet, Kubernetes metadata limited to the node's own pods. It exports everything to
 * the gateway.
 *
 * This is the stack's one Pod Security exception: reading other pods' log files needs root and a
 * hostPath. It runs with every capability dropped, a read-only root filesystem and read-only log
 * mounts, in a namespace of its own.
 */
export class OtelAgent extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: OtelAgentProps) {
    super(scope, name);
    const id: ComponentId = { app: 'otel-agent', component: 'otel-agent', namespace: props.namespace };
    this.id = id;
    const configText = dumpYaml(agentConfig(props));
    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, [...K8S_ATTRIBUTES_RULES, { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get'] }]);
    this.configMap = configMap(this, ctx, id, 'otel-agent-config', { 'config.yaml': configText });
    this.workload = nodeDaemonSet(this, ctx, id, {
      overrides: props.overrides,
      serviceAccountName: id.app,
      usesKubernetesApi: true,
      uid: 0,
      configContents: [configText],
      securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: props.tolerations?.map((t) => ({ ...t })),
      containers: [
        collectorContainer({
          resources: agentResources(props),
          env: [
            { name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'K8S_NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            ...saltEnv(props.redaction),
          ],
          mounts: [
            { name: 'pod-logs', mountPath: AGENT_HOST_PATHS.podLogs, readOnly: true },
            { name: 'checkpoints', mountPath: AGENT_HOST_PATHS.checkpoints },
          ],
          // Root only to read log files owned by root; no capability, no escalation.
          securityContext: {
            runAsUser: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        }),
      ],
      volumes: [
        configMapVolume('config', 'otel-agent-config'),
        { name: 'pod-logs', hostPath: { path: AGENT_HOST_PATHS.podLogs, type: 'Directory' } },
        { name: 'checkpoints', hostPath: { path: AGENT_HOST_PATHS.checkpoints, type: 'DirectoryOrCreate' } },
      ],
    });
    service(this, ctx, id, [
      { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
      { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
    ], { internalTrafficPolicy: 'Local' });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: { anyPod: true }, to: self, ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], why: 'applications send OTLP to the agent on their node' },
      { from: self, to: { app: props.gateway.service, namespace: props.stackNamespace }, ports: [props.gateway.port], why: 'the agent forwards everything to the gateway' },
      { from: self, to: { nodes: true }, ports: [KUBELET_PORT], why: 'kubelet_stats reads the kubelet on its node' },
      { from: self, to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'k8s_attributes watches pods' },
    );
  }
}

/** Where the trace context parsers put what they find, until the trace_parser has read it. */
const TRACE_CAPTURE = 'attributes.trace_context';
/**
 * A trace or span id after its key and `:` or `=`, quoted or not: JSON (`"trace_id": "…"`), logfmt
 * (`trace_id=…`), `trace-id: …`, in any case and spelling (`traceId`, `traceID`, `TraceId`, `trace-id`).
 * The key must not end a longer name (`xtrace_id`, `parent_span_id`, `parent-span-id`): the collector's
 * regexp (Go's RE2) has no lookbehind, so the character before the key is matched instead.
 */
const keyValue = (key: 'trace' | 'span', digits: number) =>
  `(?:^|[^\\w-])(?i:${key}[_-]?id)["']?\\s*[:=]\\s*["']?(?P<${key}_id>[0-9a-fA-F]{${digits}})\\b`;

/**
 * Stanza operators, after the container parser, that give container log lines the trace context
 * OTLP logs carry, so that logs read from files link to their traces too. Each regex_parser
 * captures into {@link TRACE_CAPTURE} (a line without a match passes unchanged); one trace_parser
 * then sets the record's trace id, span id and flags (a trace block resets all three, so only one
 * may run), and the captures are removed so that Loki does not store them twice.
 */
export const TRACE_CONTEXT_OPERATORS: readonly object[] = [
  ...(['trace', 'span'] as const).map((key) => ({
    type: 'regex_parser',
    id: `${key}-id-field`,
    regex: keyValue(key, key === 'trace' ? 32 : 16),
    parse_to: TRACE_CAPTURE,
    on_error: 'send_quiet',
  })),
  {
    type: 'regex_parser',
    id: 'traceparent',
    // W3C Trace Context, version 00: 00-<trace id>-<parent span id>-<flags>.
    regex: `\\b00-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})-(?P<trace_flags>[0-9a-f]{2})\\b`,
    parse_to: TRACE_CAPTURE,
    on_error: 'send_quiet',
  },
  {
    type: 'trace_parser',
    id: 'trace-context',
    trace_id: { parse_from: `${TRACE_CAPTURE}.trace_id` },
    span_id: { parse_from: `${TRACE_CAPTURE}.span_id` },
    trace_flags: { parse_from: `${TRACE_CAPTURE}.trace_flags` },
  },
  { type: 'remove', id: 'trace-context-capture', field: TRACE_CAPTURE, if: `${TRACE_CAPTURE} != nil` },
];

/** The agent's collector config, a pure function of the props. */
export function agentConfig(props: OtelAgentProps): object {
  const attributes = props.resourceAttributes ?? {};
  const processors = ['k8s_attributes', ...(Object.keys(attributes).length ? ['resource/cluster'] : []), ...(props.redaction ? [REDACTION_PROCESSOR] : [])];
  // The stack's collectors log their export failures: collected, they would fail, log and loop again.
  const collectors: [namespace: string, app: string][] = [
    [props.namespace, 'otel-agent'],
    [props.stackNamespace, props.gateway.service],
    [props.stackNamespace, 'otel-scraper'],
  ];
  return {
    extensions: {
      health_check: HEALTH_CHECK,
      file_storage: { directory: `${AGENT_HOST_PATHS.checkpoints}/file_storage`, create_directory: true },
    },
    receivers: {
      otlp: otlpReceiver(),
      file_log: {
        include: [`${AGENT_HOST_PATHS.podLogs}/*/*/*.log`],
        exclude: collectors.map(([namespace, app]) => `${AGENT_HOST_PATHS.podLogs}/${namespace}_${app}-*/*/*.log`),
        start_at: 'end',
        include_file_path: true,
        include_file_name: false,
        storage: 'file_storage',
        operators: [{ type: 'container', id: 'container-parser' }, ...TRACE_CONTEXT_OPERATORS],
      },
      kubelet_stats: {
        collection_interval: '30s',
        auth_type: 'serviceAccount',
        endpoint: 'https://${env:K8S_NODE_IP}:10250',
        // Kubelet serving certificates are self-signed on most distributions.
        insecure_skip_verify: true,
        metric_groups: ['node', 'pod', 'container', 'volume'],
      },
    },
    processors: {
      memory_limiter: MEMORY_LIMITER,
      k8s_attributes: k8sAttributesProcessor({ node_from_env_var: 'K8S_NODE_NAME' }),
      ...(Object.keys(attributes).length ? { 'resource/cluster': insertAttributes(attributes) } : {}),
      ...(props.redaction ? { [REDACTION_PROCESSOR]: redactionTransform(props.redaction) } : {}),
    },
    exporters: {
      'otlp_grpc/gateway': {
        endpoint: `${serviceHost(props.gateway.service, props.stackNamespace)}:${props.gateway.port}`,
        tls: { insecure: true },
        ...sendingQueue(memoryMiB(agentResources(props).memory.limit), 1),
      },
    },
    service: collectorService(['health_check', 'file_storage'], {
      traces: { receivers: ['otlp'], processors, exporters: ['otlp_grpc/gateway'] },
      metrics: { receivers: ['otlp', 'kubelet_stats'], processors, exporters: ['otlp_grpc/gateway'] },
      logs: { receivers: ['otlp', 'file_log'], processors, exporters: ['otlp_grpc/gateway'] },
    }),
  };
}

function agentResources(props: OtelAgentProps) {
  return props.overrides?.resources ?? defaultResources('otelAgent');
}
