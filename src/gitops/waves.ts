import { COMPONENT_LABEL, groupKind, groupOf, type Manifest } from './manifest.ts';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';

/**
 * Argo CD sync waves, in apply order. Argo CD starts wave N only when every object of the
 * earlier waves is synced and healthy, so each wave may rely on everything before it.
 */
export const SYNC_WAVES = {
  /** Namespaces (they carry the Pod Security labels) and CRDs: everything else lives in or uses them. */
  namespacesAndCrds: 0,
  /** ServiceAccounts, RBAC, ConfigMaps, Secrets, claims and policies: what pods mount or run as. */
  rbacAndConfig: 1,
  /** Loki and Tempo: the collectors and Grafana send to or read from them. */
  storageBackends: 2,
  /** Prometheus, Alertmanager and their rules. */
  metrics: 3,
  /** Node agents, node-exporter, the gateway, the scraper and kube-state-metrics, which feed the backends above. */
  collectors: 4,
  /** Grafana reads every backend. */
  grafana: 5,
  /** The o11y controller checks everything above. */
  controller: 6,
  /** Hooks, such as the PostSync `o11y check` Job (placed by their hook annotation). */
  postSyncCheck: 7,
} as const;

const KIND_WAVES = new Map<string, number>([
  ['/Namespace', SYNC_WAVES.namespacesAndCrds],
  ['apiextensions.k8s.io/CustomResourceDefinition', SYNC_WAVES.namespacesAndCrds],
  ['/ServiceAccount', SYNC_WAVES.rbacAndConfig],
  ['/ConfigMap', SYNC_WAVES.rbacAndConfig],
  ['/Secret', SYNC_WAVES.rbacAndConfig],
  ['/PersistentVolumeClaim', SYNC_WAVES.rbacAndConfig],
  ['/ResourceQuota', SYNC_WAVES.rbacAndConfig],
  ['/LimitRange', SYNC_WAVES.rbacAndConfig],
  ['rbac.authorization.k8s.io/Role', SYNC_WAVES.rbacAndConfig],
  ['rbac.authorization.k8s.io/RoleBinding', SYNC_WAVES.rbacAndConfig],
  ['rbac.authorization.k8s.io/ClusterRole', SYNC_WAVES.rbacAndConfig],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', SYNC_WAVES.rbacAndConfig],
  ['networking.k8s.io/NetworkPolicy', SYNC_WAVES.rbacAndConfig],
  ['scheduling.k8s.io/PriorityClass', SYNC_WAVES.rbacAndConfig],
]);

/** Workload waves; the `namespace` component's objects are foundations, placed by kind above. */
const COMPONENT_WAVES = new Map<string, number>([
  ['loki', SYNC_WAVES.storageBackends],
  ['tempo', SYNC_WAVES.storageBackends],
  ['prometheus', SYNC_WAVES.metrics],
  ['alertmanager', SYNC_WAVES.metrics],
  ['prometheus-rules', SYNC_WAVES.metrics],
  // The victoriametrics-cluster metrics mode: storage, ingestion, queries and rules with Prometheus; its scrapers with the collectors.
  ['metrics-storage', SYNC_WAVES.metrics],
  ['metrics-ingest', SYNC_WAVES.metrics],
  ['metrics-query', SYNC_WAVES.metrics],
  ['rules', SYNC_WAVES.metrics],
  ['metrics-scraper', SYNC_WAVES.collectors],
  ['otel-agent', SYNC_WAVES.collectors],
  ['otel-gateway', SYNC_WAVES.collectors],
  ['otel-scraper', SYNC_WAVES.collectors],
  ['kube-state-metrics', SYNC_WAVES.collectors],
  ['node-exporter', SYNC_WAVES.collectors],
  ['grafana', SYNC_WAVES.grafana],
  ['controller', SYNC_WAVES.controller],
]);

/** Components with a wave of their own; tests check the synth emits no other. */
export const COMPONENTS_WITH_WAVES: ReadonlySet<string> = new Set([...COMPONENT_WAVES.keys(), 'namespace']);

/**
 * A component this table does not know (yet) goes after the backends and Prometheus it most
 * likely sends to, and before Grafana and the controller, which read everything.
 */
const UNKNOWN_COMPONENT_WAVE = SYNC_WAVES.collectors;

/**
 * The sync wave of one object. Hooks go last; then the kind decides for foundations (namespaces,
 * CRDs, RBAC, config) whatever component they belong to; everything else follows its component.
 */
export function syncWaveFor(obj: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>): number {
  if (obj.metadata.annotations?.[HOOK_ANNOTATION]) return SYNC_WAVES.postSyncCheck;
  const byKind = KIND_WAVES.get(groupKind(groupOf(obj.apiVersion), obj.kind));
  if (byKind !== undefined) return byKind;
  return COMPONENT_WAVES.get(obj.metadata.labels?.[COMPONENT_LABEL] ?? '') ?? UNKNOWN_COMPONENT_WAVE;
}

/** Argo CD sync phases in the order they run. `Skip` hooks are never applied. */
const PHASES = ['PreSync', 'Sync', 'PostSync'] as const;
export type SyncPhase = (typeof PHASES)[number];

/**
 * The phase an object is applied in: plain objects in `Sync`, hooks in their (first) hook phase;
 * undefined for objects Argo CD never applies during a sync (`Skip`, `SyncFail`, delete hooks).
 */
export function syncPhaseOf(obj: Pick<Manifest, 'metadata'>): SyncPhase | undefined {
  const hook = obj.metadata.annotations?.[HOOK_ANNOTATION];
  if (!hook) return 'Sync';
  const phases = hook.split(',').map((h) => h.trim());
  return PHASES.find((p) => phases.includes(p));
}

/** Position of (phase, wave) in the sync: smaller runs earlier. */
export function syncOrder(phase: SyncPhase, wave: number): number {
  return PHASES.indexOf(phase) * 1_000_000 + wave;
}

/** The wave written in an object's annotation: 0 when absent (Argo CD's default), undefined when not an integer. */
export function annotatedWave(obj: Pick<Manifest, 'metadata'>): number | undefined {
  const raw = obj.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  if (raw === undefined) return 0;
  return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}
