import * as k8s from '../imports/k8s.ts';
import { httpProbe, type Resources } from './common.ts';
import { memoryMiB } from '../src/config/quantity.ts';
import type { ClusterConfig } from '../src/model/types.ts';
import { IMAGES } from '../src/model/images.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { container, READ } from './workload.ts';

/** Ports every collector of the stack listens on. */
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
export const COLLECTOR_METRICS_PORT = 8888;
export const HEALTH_PORT = 13133;

/** Binds to the pod IP, not 0.0.0.0 (the receivers' default changed to localhost in v0.116). */
const POD_IP = '${env:MY_POD_IP}';

/** The `otlp` receiver on gRPC and HTTP. */
export function otlpReceiver(): object {
  return {
    protocols: {
      grpc: { endpoint: `${POD_IP}:${OTLP_GRPC_PORT}` },
      http: { endpoint: `${POD_IP}:${OTLP_HTTP_PORT}` },
    },
  };
}

/** Resource attributes known at synth time: the cluster, its region, and its cloud's provider and platform. */
export function clusterResourceAttributes(cluster: ClusterConfig): Record<string, string> {
  return { 'k8s.cluster.name': cluster.name, 'cloud.region': cluster.region, ...platformProfile(cluster.cloud).staticResourceAttributes };
}

/**
 * A `resource` processor that inserts attributes known at synth time (cluster, region, cloud
 * provider and platform). `insert` never overwrites what an application or an agent set; placed
 * before `resource_detection` (which runs with `override: false`), it makes detectors only fill
 * gaps, so routing by `cloud.provider` never depends on an instance metadata service.
 */
export function insertAttributes(attributes: Readonly<Record<string, string>>): object {
  return { attributes: Object.entries(attributes).map(([key, value]) => ({ key, value, action: 'insert' })) };
}

/** Refuse data before the container is OOM-killed; {@link collectorService} puts it first in every pipeline. */
export const MEMORY_LIMITER = { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 };

/** Exporter-side batches (the `batch` processor is headed for deprecation), in items: spans, data points, log records. */
const BATCH = { flush_timeout: '200ms', min_size: 8192, max_size: 16384 };
/** Share of the memory limit that all of a collector's exporter queues, full at once, may take: below memory_limiter's soft limit (80% − 25%). */
const QUEUE_MEMORY_SHARE = 0.5;
/** Assumed size in memory of one queued item (a span with its attributes, a log line, a few data points). */
const ITEM_BYTES = 1024;

/**
 * `sending_queue` and `retry_on_failure` for one of the `queues` exporter queues of a collector
 * whose memory limit is `memoryLimitMiB`. Queues count items, and all of them full at once fit in
 * QUEUE_MEMORY_SHARE of the limit:
 *
 *   queue_size = ⌊limit × QUEUE_MEMORY_SHARE / (queues × ITEM_BYTES)⌋
 *
 * e.g. 1 GiB shared by 3 exporters: 174762 items each. A queue smaller than one batch would turn
 * every full batch away (and the collector refuses `min_size` > `queue_size`), so that is an error.
 */
export function sendingQueue(memoryLimitMiB: number, queues: number): object {
  const queueSize = Math.floor((memoryLimitMiB * 2 ** 20 * QUEUE_MEMORY_SHARE) / (queues * ITEM_BYTES));
  if (queueSize < BATCH.max_size) {
    throw new Error(`a collector limited to ${memoryLimitMiB}Mi cannot hold ${queues} exporter queues of one ${BATCH.max_size}-item batch each`);
  }
  return {
    sending_queue: { enabled: true, sizer: 'items', queue_size: queueSize, batch: BATCH },
    retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '300s' },
  };
}

/** A pipeline as the configs write it: {@link collectorService} adds memory_limiter in front of its processors. */
export interface Pipeline {
  readonly receivers: string[];
  readonly processors?: string[];
  readonly exporters: string[];
}

/**
 * The service section: the collector's own telemetry (Prometheus metrics on the pod IP, scraped by
 * the stack job) and the pipelines, each with memory_limiter first, so that no pipeline can skip it.
 */
export function collectorService(extensions: string[], pipelines: Record<string, Pipeline>): object {
  return {
    extensions,
    telemetry: {
      metrics: { readers: [{ pull: { exporter: { prometheus: { host: POD_IP, port: COLLECTOR_METRICS_PORT } } } }] },
    },
    pipelines: Object.fromEntries(
      Object.entries(pipelines).map(([id, p]) => [id, { receivers: p.receivers, processors: ['memory_limiter', ...(p.processors ?? [])], exporters: p.exporters }]),
    ),
  };
}

export const HEALTH_CHECK = { endpoint: `${POD_IP}:${HEALTH_PORT}` };

/**
 * Attributes `k8s_attributes` extracts. `deployment_name_from_replicaset` is not set: it is
 * deprecated around our pinned version and an unknown key from v0.160 on.
 */
const K8S_METADATA = [
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.node.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.cronjob.name',
  'k8s.job.name',
];

/**
 * The `k8s_attributes` processor. Pods are found by UID (set by the agents' container log parser),
 * then by IP, then by the sending connection; `nodeFilter` limits an agent to its own node's pods.
 */
export function k8sAttributesProcessor(nodeFilter?: { node_from_env_var: string }): object {
  return {
    auth_type: 'serviceAccount',
    passthrough: false,
    ...(nodeFilter ? { filter: nodeFilter } : {}),
    extract: { metadata: K8S_METADATA },
    pod_association: [
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
      { sources: [{ from: 'connection' }] },
    ],
  };
}

/** RBAC for `k8s_attributes`, read-only; ReplicaSets resolve `k8s.deployment.name`. */
export const K8S_ATTRIBUTES_RULES = [
  { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: READ },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
];

export interface CollectorContainerOptions {
  /** The memory limit also sizes GOMEMLIMIT (and, in the configs, the exporter queues). */
  readonly resources: Resources;
  readonly env?: k8s.EnvVar[];
  readonly mounts?: k8s.VolumeMount[];
  readonly securityContext?: k8s.SecurityContext;
  /** Ports beyond OTLP, metrics and health (the gateway's second tier and cross-cluster receiver). */
  readonly extraPorts?: { name: string; containerPort: number }[];
}

/** Share of the memory limit the Go runtime aims to stay under, leaving headroom for what it does not count. */
const GO_MEMORY_SHARE = 0.8;

/** The contrib collector container: pod IP in the environment, health probes, OTLP and metrics ports. */
export function collectorContainer(o: CollectorContainerOptions): k8s.Container {
  return container({
    name: 'otel-collector',
    image: IMAGES.otelCollectorContrib,
    args: ['--config=/conf/config.yaml'],
    env: [
      { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      // Under the container limit, so that the GC works harder before the OOM killer acts, not at the same point.
      { name: 'GOMEMLIMIT', value: `${Math.floor(memoryMiB(o.resources.memory.limit) * GO_MEMORY_SHARE)}MiB` },
      ...(o.env ?? []),
    ],
    ports: [
      { name: 'otlp-grpc', containerPort: OTLP_GRPC_PORT },
      { name: 'otlp-http', containerPort: OTLP_HTTP_PORT },
      { name: 'metrics', containerPort: COLLECTOR_METRICS_PORT },
      { name: 'health', containerPort: HEALTH_PORT },
      ...(o.extraPorts ?? []),
    ],
    resources: o.resources,
    liveness: httpProbe('/', 'health'),
    readiness: httpProbe('/', 'health', { initialDelaySeconds: 5, periodSeconds: 5 }),
    mounts: [{ name: 'config', mountPath: '/conf', readOnly: true }, ...(o.mounts ?? [])],
    securityContext: o.securityContext,
  });
}
