import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, dataVolumeClaim, emptyDirVolume, serviceHost, StatefulSet, walReplayProbes, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import type { Peer } from './network-policy.ts';
import { CREDENTIAL_ENV, objectStorageAccess, tempoTraceStorage } from './object-storage.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export const TEMPO_HTTP_PORT = 3200;
export const TEMPO_OTLP_GRPC_PORT = 4317;

export interface TempoProps extends WorkloadProps {
  readonly namespace: string;
  /**
   * The gateways compute span metrics (`scale.spanMetricsInGateway`): the metrics-generator then
   * builds service graphs only. @default false
   */
  readonly spanMetricsInGateway?: boolean;
  /** How long traces are kept, e.g. `336h`. */
  readonly retention: string;
  /** PVC size for the WAL and local blocks. */
  readonly storage: string;
  /** Prometheus that receives span metrics and service graphs (remote write). */
  /** Where span metrics are remote-written: a Service, its port and the write path (`/api/v1/write` when not given). */
  readonly prometheus: { readonly service: string; readonly port: number; readonly path?: string };
  /**
   * Who queries it from outside the stack (the user's ingress for a remote Grafana). Stack
   * components that push or query declare those flows themselves.
   * @default none
   */
  readonly remoteReaders?: readonly Peer[];
}

/**
 * Tempo 3 in monolithic mode (`-target=all`, no Kafka needed): live-store WAL on a PVC, blocks on the PVC or
 * in the cluster's object storage (with workload identity where the cloud has it), and the metrics-generator
 * producing span metrics and service graphs, remote-written to Prometheus with exemplars.
 */
export class Tempo extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: TempoProps) {
    super(scope, name);
    const id: ComponentId = { app: 'tempo', component: 'tempo', namespace: props.namespace };
    this.id = id;
    const access = objectStorageAccess(ctx, CREDENTIAL_ENV.tempo);
    const configText = dumpYaml(tempoConfig(ctx, props, access.useFederatedToken));
    serviceAccount(this, ctx, id, access.serviceAccountAnnotations);
    this.configMap = configMap(this, ctx, id, 'tempo-config', { 'tempo.yaml': configText });
    this.workload = new StatefulSet(this, 'statefulset', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: access.externalSecrets }),
      spec: {
        replicas: 1,
        serviceName: `${id.app}-headless`,
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: 10001,
          spreadAcrossArchitectures: false,
          configContents: [configText],
          extraLabels: access.podLabels,
          containers: [
            container({
              name: 'tempo',
              image: IMAGES.tempo,
              args: ['-config.file=/etc/tempo/tempo.yaml', '-target=all'],
              env: access.env,
              ports: [
                { name: 'http-metrics', containerPort: TEMPO_HTTP_PORT },
                { name: 'otlp-grpc', containerPort: TEMPO_OTLP_GRPC_PORT },
              ],
              resources: props.overrides?.resources ?? defaultResources('tempo'),
              mounts: [
                { name: 'config', mountPath: '/etc/tempo', readOnly: true },
                { name: 'data', mountPath: '/var/tempo' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
              ...walReplayProbes('http-metrics'),
            }),
          ],
          volumes: [configMapVolume('config', 'tempo-config'), emptyDirVolume('tmp', '1Gi')],
        }),
        volumeClaimTemplates: [dataVolumeClaim(ctx, id.app, id.component, props.storage)],
      },
    });
    const ports = [
      { name: 'http-metrics', port: TEMPO_HTTP_PORT, targetPort: 'http-metrics' },
      { name: 'otlp-grpc', port: TEMPO_OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
    ];
    service(this, ctx, id, ports);
    service(this, ctx, id, ports, { name: `${id.app}-headless`, headless: true });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id, access.identityEgress);
    ctx.flows.add(
      ...(props.remoteReaders ?? []).map((from) => ({ from, to: self, ports: [TEMPO_HTTP_PORT], why: 'queries from a Grafana in another cluster, through the user\'s ingress' })),
      { from: self, to: { app: props.prometheus.service, namespace: props.namespace }, ports: [props.prometheus.port], why: 'span metrics and service graphs, remote-written' },
      ...access.egress(self),
    );
  }
}

/** `tempo.yaml` for Tempo 3 monolithic mode: scoped overrides only (the flat format is refused). */
export function tempoConfig(ctx: StackContext, props: TempoProps, useFederatedToken: boolean): object {
  return {
    stream_over_http_enabled: true,
    // On by default: Tempo would report usage to Grafana Labs from every user's cluster.
    usage_report: { reporting_enabled: false },
    server: { http_listen_port: TEMPO_HTTP_PORT, log_level: 'info' },
    // Off by default: without it Go ignores the container's memory limit and Tempo is OOM-killed
    // instead of collecting harder (GOMEMLIMIT at 80% of the cgroup limit).
    memory: { automemlimit_enabled: true },
    distributor: {
      receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${TEMPO_OTLP_GRPC_PORT}` } } } },
    },
    metrics_generator: {
      registry: { external_labels: { source: 'tempo', cluster: ctx.cluster.name } },
      storage: {
        path: '/var/tempo/generator/wal',
        remote_write: [
          { url: `http://${serviceHost(props.prometheus.service, props.namespace)}:${props.prometheus.port}${props.prometheus.path ?? '/api/v1/write'}`, send_exemplars: true },
        ],
      },
    },
    // Tempo 3 keeps recent traces in the live-store's own WAL, and the backend scheduler caches its
    // jobs on disk: named here so that every path Tempo writes is in this file. The live-store's are
    // the upstream defaults; the job cache (256 shard files, reloaded from the bucket when absent)
    // gets its own folder instead of the volume's root.
    live_store: { wal: { path: '/var/tempo/live-store/traces' }, shutdown_marker_dir: '/var/tempo/live-store/shutdown-marker' },
    backend_scheduler: { local_work_path: '/var/tempo/backend-scheduler' },
    storage: {
      trace: {
        wal: { path: '/var/tempo/wal' },
        ...tempoTraceStorage(ctx.cluster, ctx.cluster.objectStorage, useFederatedToken),
      },
    },
    overrides: {
      defaults: {
        // Span metrics come from the gateways instead when they compute them (scale.spanMetricsInGateway).
        metrics_generator: { processors: props.spanMetricsInGateway ? ['service-graphs'] : ['service-graphs', 'span-metrics'] },
        compaction: { block_retention: props.retention },
      },
    },
  };
}
