import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, dataVolumeClaim, emptyDirVolume, metricsScraper, StatefulSet, walReplayProbes, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import type { Peer } from './network-policy.ts';
import { CREDENTIAL_ENV, lokiExpandsEnv, lokiStorage, objectStorageAccess } from './object-storage.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export const LOKI_HTTP_PORT = 3100;

/** Resource attributes that become Loki index labels, on top of Loki's defaults (service.name, k8s.namespace.name, …). */
const EXTRA_INDEX_LABELS = ['cloud.provider', 'k8s.cluster.name'];

export interface LokiProps extends WorkloadProps {
  readonly namespace: string;
  /** How long logs are kept, e.g. `744h`. */
  readonly retention: string;
  /** PVC size for chunks, index and WAL. */
  readonly storage: string;
  /**
   * Who queries it from outside the stack (the user's ingress for a remote Grafana). Stack
   * components that push or query declare those flows themselves.
   * @default none
   */
  readonly remoteReaders?: readonly Peer[];
}

/**
 * Loki 3 single binary (`-target=all`): WAL and index cache on a PVC, chunks on the PVC or in the
 * cluster's object storage (S3, native OSS, Azure Blob, GCS), schema v13 with the TSDB
 * index, native OTLP ingestion at `/otlp/v1/logs`, and retention enforced by the compactor.
 */
export class Loki extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: LokiProps) {
    super(scope, name);
    const id: ComponentId = { app: 'loki', component: 'loki', namespace: props.namespace };
    this.id = id;
    const access = objectStorageAccess(ctx, CREDENTIAL_ENV.loki(ctx.cluster.objectStorage));
    const configText = dumpYaml(lokiConfig(props, lokiStorage(ctx.cluster, access.storage, access.useFederatedToken)));
    serviceAccount(this, ctx, id, access.serviceAccountAnnotations);
    this.configMap = configMap(this, ctx, id, 'loki-config', { 'loki.yaml': configText });
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
              name: 'loki',
              image: IMAGES.loki,
              args: ['-config.file=/etc/loki/loki.yaml', '-target=all', ...(lokiExpandsEnv(access.storage) ? ['-config.expand-env=true'] : [])],
              env: access.env,
              ports: [{ name: 'http-metrics', containerPort: LOKI_HTTP_PORT }],
              resources: props.overrides?.resources ?? defaultResources('loki'),
              mounts: [
                { name: 'config', mountPath: '/etc/loki', readOnly: true },
                { name: 'data', mountPath: '/loki' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
              ...walReplayProbes('http-metrics'),
            }),
          ],
          volumes: [configMapVolume('config', 'loki-config'), emptyDirVolume('tmp', '1Gi')],
        }),
        volumeClaimTemplates: [dataVolumeClaim(ctx, id.app, id.component, props.storage)],
      },
    });
    const ports = [{ name: 'http-metrics', port: LOKI_HTTP_PORT, targetPort: 'http-metrics' }];
    service(this, ctx, id, ports);
    service(this, ctx, id, ports, { name: `${id.app}-headless`, headless: true });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id, access.identityEgress);
    ctx.flows.add(
      ...(props.remoteReaders ?? []).map((from) => ({ from, to: self, ports: [LOKI_HTTP_PORT], why: 'queries from a Grafana in another cluster, through the user\'s ingress' })),
      { from: { app: metricsScraper(ctx), namespace: props.namespace }, to: self, ports: [LOKI_HTTP_PORT], why: 'Prometheus scrapes Loki' },
      ...access.egress(self),
    );
  }
}

/** `loki.yaml` for the single binary, on the given storage (see platforms/object-storage.ts). */
export function lokiConfig(props: LokiProps, storage: { common: object; objectStore: string }): object {
  return {
    auth_enabled: false,
    server: { http_listen_port: LOKI_HTTP_PORT, grpc_listen_port: 9095, log_level: 'info' },
    common: {
      path_prefix: '/loki',
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
      storage: storage.common,
    },
    schema_config: {
      configs: [{ from: '2024-01-01', store: 'tsdb', object_store: storage.objectStore, schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
    },
    limits_config: {
      retention_period: props.retention,
      allow_structured_metadata: true,
      otlp_config: {
        resource_attributes: { attributes_config: [{ action: 'index_label', attributes: EXTRA_INDEX_LABELS }] },
      },
    },
    compactor: {
      working_directory: '/loki/compactor',
      retention_enabled: true,
      delete_request_store: storage.objectStore,
    },
    analytics: { reporting_enabled: false },
  };
}
