import type { ApiObjectMetadata } from 'cdk8s';
import { imageSupply, type ImageSupply } from '../src/config/images.ts';
import { resolveTopology, type Topology } from '../src/model/topology.ts';
import { metricsMode, type AffinityConfig, type Architecture, type ArchSpread, type ClusterConfig, type ComputeResources, type StackConfig } from '../src/model/types.ts';
import * as k8s from '../imports/k8s.ts';
import { FlowTable } from './network-policy.ts';
import { platformProfile } from '../src/model/platforms/index.ts';

/**
 * What every construct needs to know about the stack and the cluster it is synthesized for. Not the
 * config: what a construct needs of it comes through its props, which the charts map from it.
 */
export interface StackContext {
  /** The stack's name: `app.kubernetes.io/part-of` and `instance` of every object. */
  readonly stackName: string;
  /** Node architectures every workload schedules on. */
  readonly architectures: readonly Architecture[];
  readonly spreadAcrossArchitectures: ArchSpread;
  readonly cluster: ClusterConfig;
  readonly topology: Topology;
  /** This cluster's network flows: constructs declare them, the NetworkPolicies come from them. */
  readonly flows: FlowTable;
  /** Where this cluster's pods pull images from (mirror, pull secrets, digests). */
  readonly images: ImageSupply;
  /** Index digests from `images.lock.yaml`, when `images.digests` pins them. */
  readonly imageDigests: Readonly<Record<string, string>>;
}

/** What the charts build from: the constructs' context and the resolved config, which they map to construct props. */
export interface ChartContext extends StackContext {
  readonly config: StackConfig;
}

/** The context of one cluster of a config (the first one unless named), with an empty flow table. */
export function stackContext(config: StackConfig, cluster: ClusterConfig = config.clusters[0]!, topology: Topology = resolveTopology(config)): ChartContext {
  return {
    config,
    stackName: config.name,
    architectures: config.architectures,
    spreadAcrossArchitectures: config.spreadAcrossArchitectures,
    cluster,
    topology,
    flows: new FlowTable(config.networkPolicy),
    images: imageSupply(config, cluster),
    imageDigests: config.imageDigests,
  };
}

/**
 * The app that scrapes metrics in a cluster: Prometheus in a backend cluster (vmagent in the
 * `victoriametrics-cluster` mode), the collector's `otel-scraper` elsewhere. The pods its scrape
 * jobs select let it in (see FlowTable.scrapes).
 */
export function metricsScraper(ctx: StackContext): string {
  if (!ctx.topology.rolesOf(ctx.cluster).has('backend')) return 'otel-scraper';
  return metricsMode(ctx.cluster) === 'victoriametrics-cluster' ? 'vmagent' : 'prometheus';
}

export const MANAGED_BY = 'cdk8s-o11y';
/** Annotation listing Secrets a workload reads that the user owns (never synthesized). */
export const EXTERNAL_SECRETS_ANNOTATION = 'o11y.dev/external-secrets';

/** The labels that select a component's pods: stable across releases, so never a version. */
export function selectorLabels(ctx: StackContext, name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': ctx.stackName };
}

/** The full `app.kubernetes.io/*` label set for an object of a component. */
export function stackLabels(ctx: StackContext, name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(ctx, name),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': ctx.stackName,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/**
 * Metadata with an explicit, readable name (cdk8s would otherwise add a hash suffix).
 * `externalSecrets` lists the user-owned Secrets the object reads, in {@link EXTERNAL_SECRETS_ANNOTATION}.
 */
export function metadata(
  ctx: StackContext,
  opts: { name: string; namespace?: string; app: string; component: string; annotations?: Record<string, string>; externalSecrets?: readonly string[] },
): ApiObjectMetadata {
  const annotations = { ...opts.annotations, ...(opts.externalSecrets?.length ? { [EXTERNAL_SECRETS_ANNOTATION]: opts.externalSecrets.join(',') } : {}) };
  return {
    name: opts.name,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    labels: stackLabels(ctx, opts.app, opts.component),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** CPU and memory requests and limits for a container. */
export type Resources = ComputeResources;

export function resourceRequirements(r: Resources): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(r.cpu.request), memory: k8s.Quantity.fromString(r.memory.request) },
    limits: { cpu: k8s.Quantity.fromString(r.cpu.limit), memory: k8s.Quantity.fromString(r.memory.limit) },
  };
}

/** Container security context meeting Pod Security Standards `restricted`. */
export function restrictedContainerSecurity(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod security context meeting `restricted`, running as the image's own non-root user. */
export function restrictedPodSecurity(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

const ARCH_LABEL = 'kubernetes.io/arch';

/**
 * Scheduling that keeps a workload on the configured node architectures: required node affinity
 * on `kubernetes.io/arch`, a toleration for the common `kubernetes.io/arch=arm64:NoSchedule` taint
 * (EKS, GKE and AKS taint arm64 pools that way), and optionally a spread of replicas across
 * architectures so that a broken image for one of them shows up at once instead of at failover.
 */
export function archScheduling(
  ctx: StackContext,
  podLabels: Record<string, string>,
  opts: { spread: boolean; affinity?: AffinityConfig },
): Pick<k8s.PodSpec, 'affinity' | 'tolerations' | 'topologySpreadConstraints'> {
  const archs = [...ctx.architectures];
  const spread = opts.spread && archs.length > 1 ? ctx.spreadAcrossArchitectures : 'none';
  return {
    affinity: withArchitectures(archs, opts.affinity),
    tolerations: archs.includes('arm64') ? [{ key: ARCH_LABEL, operator: 'Equal', value: 'arm64', effect: 'NoSchedule' }] : undefined,
    topologySpreadConstraints:
      spread === 'none'
        ? undefined
        : [
            {
              topologyKey: ARCH_LABEL,
              maxSkew: 1,
              whenUnsatisfiable: spread === 'required' ? 'DoNotSchedule' : 'ScheduleAnyway',
              labelSelector: { matchLabels: podLabels },
            },
          ],
  };
}

/**
 * The user's affinity with the architecture requirement in it: node selector terms are ORed, so
 * the `kubernetes.io/arch In <architectures>` expression goes into every required term (a term of
 * the user's only narrows it further, on other labels; the config loader refuses arch expressions).
 * Preferred node terms and pod (anti-)affinity are the user's as written.
 */
export function withArchitectures(archs: readonly string[], user?: AffinityConfig): k8s.Affinity {
  const arch = { key: ARCH_LABEL, operator: 'In', values: [...archs] };
  const node = user?.nodeAffinity;
  const userTerms = node?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const terms = userTerms.length
    ? userTerms.map((t) => ({ ...t, matchExpressions: [arch, ...(t.matchExpressions ?? [])] }))
    : [{ matchExpressions: [arch] }];
  const preferred = node?.preferredDuringSchedulingIgnoredDuringExecution;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as k8s.NodeSelectorTerm[] },
      ...(preferred ? { preferredDuringSchedulingIgnoredDuringExecution: preferred as k8s.PreferredSchedulingTerm[] } : {}),
    },
    ...(user?.podAffinity ? { podAffinity: user.podAffinity as k8s.PodAffinity } : {}),
    ...(user?.podAntiAffinity ? { podAntiAffinity: user.podAntiAffinity as k8s.PodAntiAffinity } : {}),
  };
}

/** An HTTP GET probe with conservative timings suited to JVM-free Go services. */
export function httpProbe(path: string, port: string, opts: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } = {}): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(port) },
    initialDelaySeconds: opts.initialDelaySeconds ?? 10,
    periodSeconds: opts.periodSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: opts.failureThreshold ?? 6,
  };
}

/**
 * Probes of a backend that replays its WAL when it starts (Loki, Tempo). `/ready` answers 503 until
 * the replay is done: it only takes the pod out of its Services, and the startup probe gives the
 * replay up to 30 minutes (180 × 10 s). Liveness asks `/metrics`, which the HTTP server serves from
 * its start, replay or not: a liveness probe on `/ready` killed long replays, which restarted longer
 * (grafana/loki#24396).
 */
export function walReplayProbes(port: string): { startup: k8s.Probe; liveness: k8s.Probe; readiness: k8s.Probe } {
  return {
    startup: httpProbe('/ready', port, { failureThreshold: 180 }),
    liveness: httpProbe('/metrics', port),
    readiness: httpProbe('/ready', port),
  };
}

/** Service DNS name inside the cluster, e.g. `prometheus.observability.svc`. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc`;
}

/** Builds a ConfigMap volume that mounts the whole map. */
export function configMapVolume(volume: string, configMap: string): k8s.Volume {
  return { name: volume, configMap: { name: configMap } };
}

export function emptyDirVolume(volume: string, sizeLimit: string): k8s.Volume {
  return { name: volume, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}

/** A PVC template for a StatefulSet, on the cluster's StorageClass (or its cloud's usual one). */
export function dataVolumeClaim(ctx: StackContext, app: string, component: string, size: string): k8s.KubePersistentVolumeClaimProps {
  const storageClassName = ctx.cluster.storageClass ?? platformProfile(ctx.cluster.cloud).defaultStorageClass;
  return {
    metadata: { name: 'data', labels: stackLabels(ctx, app, component) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: k8s.Quantity.fromString(size) } },
    },
  };
}

/**
 * A StatefulSet whose claim templates carry `apiVersion` and `kind`. The API server stores them,
 * and without them in the manifest Argo CD shows the StatefulSet OutOfSync forever
 * (argoproj/argo-cd#11143). The generated types drop unknown fields, so they are added to the JSON.
 */
export class StatefulSet extends k8s.KubeStatefulSet {
  override toJson(): any {
    const json = super.toJson();
    for (const template of json.spec?.volumeClaimTemplates ?? []) Object.assign(template, { apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
    return json;
  }
}
