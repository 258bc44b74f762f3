import { platformProfile } from './platforms/index.ts';
import type { InputProblem } from '../errors.ts';
import type { YamlSource } from '../input/yaml-source.ts';
import { CLOUDS, metricsMode, type Cloud, type ClusterConfig, type ClusterRole, type ObjectStorageConfig, type ObjectStorageType, type QueryEndpoints, type StackConfig } from './types.ts';

/**
 * The multi-cluster shape of a stack. Every cluster runs node agents and a gateway. Per cloud, one
 * cluster with role `backend` holds that cloud's Tempo, Loki, Prometheus and Alertmanager (or the
 * cloud points at existing `backends.<cloud>.remote` endpoints). One cluster with role `grafana`
 * holds the Grafana that sees every cloud. A lone cluster without roles is both.
 */
export interface Topology {
  rolesOf(cluster: ClusterConfig): ReadonlySet<ClusterRole>;
  /** Where a cloud's telemetry is stored; undefined for a cloud without backends. */
  backendOf(cloud: Cloud): Backend | undefined;
  /** Clouds that have backends, in the canonical order of CLOUDS. */
  readonly backendClouds: readonly Cloud[];
  /** Cloud whose backends take telemetry that no route matches. */
  readonly defaultCloud: Cloud;
  readonly grafanaCluster: ClusterConfig;
  /** More than one cluster: gateways talk across clusters over TLS. */
  readonly multiCluster: boolean;
}

/** Whether a backend cluster runs the `victoriametrics-cluster` metrics mode (its dashboard and its alerts' runbook sections ship then). */
export function victoriaMetricsInUse(clusters: readonly ClusterConfig[], topology: Pick<Topology, 'rolesOf'>): boolean {
  return clusters.some((c) => topology.rolesOf(c).has('backend') && metricsMode(c) === 'victoriametrics-cluster');
}

export type Backend =
  | { readonly kind: 'cluster'; readonly cluster: ClusterConfig }
  | { readonly kind: 'remote'; readonly otlpEndpoint: string; readonly query?: QueryEndpoints };

type TopologyInput = Pick<StackConfig, 'clusters' | 'backends' | 'routing'>;

function defaultRoles(config: TopologyInput): boolean {
  return config.clusters.length === 1 && !config.clusters[0]!.roles;
}

export function resolveTopology(config: TopologyInput): Topology {
  const rolesOf = (c: ClusterConfig): ReadonlySet<ClusterRole> => new Set(defaultRoles(config) ? ['backend', 'grafana'] : (c.roles ?? []));
  const backendOf = (cloud: Cloud): Backend | undefined => {
    const remote = config.backends[cloud]?.remote;
    if (remote) return { kind: 'remote', otlpEndpoint: remote.otlpEndpoint, query: remote.query };
    const cluster = config.clusters.find((c) => c.cloud === cloud && rolesOf(c).has('backend'));
    return cluster ? { kind: 'cluster', cluster } : undefined;
  };
  const backendClouds = CLOUDS.filter((cloud) => backendOf(cloud));
  const grafanaCluster = config.clusters.find((c) => rolesOf(c).has('grafana')) ?? config.clusters[0]!;
  return {
    rolesOf,
    backendOf,
    backendClouds,
    defaultCloud: config.routing.default ?? grafanaCluster.cloud,
    grafanaCluster,
    multiCluster: config.clusters.length > 1,
  };
}

/** Fields each object storage type needs, and those it may also have. */
const OBJECT_STORAGE_FIELDS: Record<ObjectStorageType, { required: (keyof ObjectStorageConfig)[]; optional: (keyof ObjectStorageConfig)[] }> = {
  filesystem: { required: [], optional: [] },
  s3: { required: ['traces', 'logs'], optional: ['endpoint', 'credentialsSecret', 'insecure'] },
  oss: { required: ['traces', 'logs', 'credentialsSecret'], optional: ['endpoint'] },
  azure: { required: ['storageAccount', 'traces', 'logs'], optional: [] },
  gcs: { required: ['traces', 'logs'], optional: [] },
};

/** The rules of {@link Topology} and of the per-cloud settings, as located problems. */
export function topologyProblems(source: YamlSource, config: TopologyInput): InputProblem[] {
  const problems: InputProblem[] = [];
  const topology = resolveTopology(config);
  const at = (path: (string | number)[], message: string) => problems.push(source.problem(path, message));

  config.clusters.forEach((cluster, i) => {
    const profile = platformProfile(cluster.cloud);
    const roles = topology.rolesOf(cluster);
    if (!cluster.storageClass && !profile.defaultStorageClass) {
      at(['clusters', i], `on-prem cluster "${cluster.name}" needs storageClass: there is no default StorageClass to rely on on-prem`);
    }
    for (const key of Object.keys(cluster.identity ?? {}) as (keyof NonNullable<ClusterConfig['identity']>)[]) {
      if (!profile.identityKeys.includes(key)) {
        const allowed = profile.identityKeys.length ? profile.identityKeys.join(', ') : 'nothing (there is no workload identity on-prem)';
        at(['clusters', i, 'identity', key], `does not apply to cloud ${cluster.cloud}; allowed: ${allowed}`);
      }
    }
    const storage = cluster.objectStorage;
    if (storage) {
      const path = ['clusters', i, 'objectStorage'];
      if (!roles.has('backend')) at(path, `only a cluster with role backend stores traces and logs; "${cluster.name}" has none`);
      if (!profile.objectStorageTypes.includes(storage.type)) {
        at([...path, 'type'], `"${storage.type}" is not available on ${cluster.cloud}; allowed: ${profile.objectStorageTypes.join(', ')}`);
      } else {
        const fields = OBJECT_STORAGE_FIELDS[storage.type];
        const missing = fields.required.filter((f) => storage[f] === undefined);
        if (cluster.cloud === 'onprem' && storage.type === 's3' && !storage.endpoint) missing.push('endpoint');
        if (missing.length) at(path, `type ${storage.type} needs ${missing.join(', ')}`);
        for (const key of Object.keys(storage) as (keyof ObjectStorageConfig)[]) {
          if (key !== 'type' && !fields.required.includes(key) && !fields.optional.includes(key)) {
            at([...path, key], `does not apply to type ${storage.type}; allowed: ${[...fields.required, ...fields.optional].join(', ') || 'no other keys'}`);
          }
        }
      }
    }
    if (roles.has('backend')) {
      if (config.backends[cluster.cloud]) {
        at(['clusters', i, 'roles'], `role backend conflicts with backends.${cluster.cloud}.remote: a cloud's telemetry goes to one place`);
      }
      const first = config.clusters.findIndex((c) => c.cloud === cluster.cloud && topology.rolesOf(c).has('backend'));
      if (first !== i) at(['clusters', i, 'roles'], `role backend conflicts with clusters[${first}] ("${config.clusters[first]!.name}"), already the backend of ${cluster.cloud}`);
      if (topology.multiCluster && !cluster.otlpEndpoint) {
        at(['clusters', i], `backend cluster "${cluster.name}" needs otlpEndpoint (host:port), where the other clusters send its cloud's telemetry`);
      }
      if (topology.multiCluster && !roles.has('grafana') && !cluster.query) {
        at(['clusters', i], `backend cluster "${cluster.name}" needs query (prometheus, loki and tempo URLs), where the global Grafana reads its cloud's telemetry`);
      }
    }
  });

  const grafanaClusters = config.clusters.map((c, i) => [c, i] as const).filter(([c]) => topology.rolesOf(c).has('grafana'));
  if (grafanaClusters.length === 0) at(['clusters'], 'no cluster has role grafana; exactly one cluster holds the global Grafana');
  for (const [, i] of grafanaClusters.slice(1)) at(['clusters', i, 'roles'], `role grafana conflicts with clusters[${grafanaClusters[0]![1]}]: exactly one cluster holds the global Grafana`);

  const reported = new Set<Cloud>();
  config.clusters.forEach((cluster, i) => {
    if (topology.backendOf(cluster.cloud) || reported.has(cluster.cloud)) return;
    reported.add(cluster.cloud);
    at(['clusters', i, 'cloud'], `cloud ${cluster.cloud} has no backend: give one of its clusters role backend, or set backends.${cluster.cloud}.remote`);
  });
  const withoutBackend = (cloud: Cloud) => `cloud ${cloud} has no backend; clouds with backends: ${topology.backendClouds.join(', ') || 'none'}`;
  if (config.routing.default && !topology.backendOf(config.routing.default)) at(['routing', 'default'], withoutBackend(config.routing.default));
  config.routing.routes.forEach((route, i) => {
    if (!topology.backendOf(route.cloud)) at(['routing', 'routes', i, 'cloud'], withoutBackend(route.cloud));
  });
  return problems;
}
