import { crdScopes, groupOf, isClusterScoped, type Manifest } from './manifest.ts';
import { SYNC_WAVE_ANNOTATION } from './waves.ts';
import { gitopsLabels, type Destination, type GitopsSettings } from './settings.ts';

export const ARGOCD_API_VERSION = 'argoproj.io/v1alpha1';

/** What one cluster's chart synthesizes: the AppProject allows exactly these kinds and namespaces. */
export interface ClusterInventory {
  readonly cluster: string;
  readonly manifests: readonly Manifest[];
}

interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** The file each cluster's Applications read: cdk8s output only, so notes or subfolders never get applied. */
export const MANIFEST_GLOB = '*.k8s.yaml';

/**
 * Retry a failed sync 5 times, waiting 10 s, 20 s, 40 s, 80 s, then 3 min: long enough to ride out
 * an API server or admission webhook restart on a fresh cluster, short enough to surface a real
 * error within about 6 minutes.
 */
const RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } };

/**
 * `CreateNamespace=false`: our Namespace objects carry the Pod Security labels, so Argo CD must not
 * create bare ones first. `PruneLast=true`: remove objects dropped from `dist/` only after the rest
 * is healthy. Large objects add `ServerSideApply=true` themselves (see apply-options.ts).
 */
const SYNC_OPTIONS = ['CreateNamespace=false', 'PruneLast=true'];

const labels = (settings: GitopsSettings) => gitopsLabels(settings, 'argocd');

export function applicationName(settings: GitopsSettings, cluster: string): string {
  return `${settings.stackName}-${cluster}`;
}

/** The Application spec shared by both modes; the ApplicationSet passes template placeholders. */
function applicationSpec(settings: GitopsSettings, path: string, destination: Destination): Record<string, unknown> {
  return {
    project: settings.project,
    source: {
      repoURL: settings.repoURL,
      targetRevision: settings.targetRevision,
      path,
      directory: { recurse: false, include: MANIFEST_GLOB },
    },
    destination: { ...destination, namespace: settings.namespace },
    syncPolicy: {
      automated: { prune: true, selfHeal: true },
      syncOptions: SYNC_OPTIONS,
      retry: RETRY,
    },
  };
}

/** One Application per cluster (`mode: applications`). */
export function buildApplications(settings: GitopsSettings): Manifest[] {
  return settings.clusters.map((c) => ({
    apiVersion: ARGOCD_API_VERSION,
    kind: 'Application',
    metadata: { name: applicationName(settings, c.cluster), namespace: settings.argocdNamespace, labels: labels(settings) },
    spec: applicationSpec(settings, c.path, c.destination),
  }));
}

/**
 * One ApplicationSet with a list generator (`mode: applicationset`). Each element names its cluster
 * and how Argo CD reaches it; the template uses the same spec as `mode: applications`.
 * `resolveGitops` guarantees every element names its destination the same way.
 */
export function buildApplicationSet(settings: GitopsSettings): Manifest {
  const destinationKey = 'server' in settings.clusters[0]!.destination ? 'server' : 'name';
  const elements = settings.clusters.map((c) => ({ cluster: c.cluster, ...c.destination }));
  const destination = (destinationKey === 'server' ? { server: '{{server}}' } : { name: '{{name}}' }) as Destination;
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name: settings.stackName, namespace: settings.argocdNamespace, labels: labels(settings) },
    spec: {
      generators: [{ list: { elements } }],
      template: {
        metadata: { name: applicationName(settings, '{{cluster}}'), labels: labels(settings) },
        spec: applicationSpec(settings, `${settings.path}/{{cluster}}`, destination),
      },
    },
  };
}

/**
 * The AppProject: only our repository, only the namespaces our objects live in on our clusters, and
 * only the kinds we synthesize, cluster-scoped and namespaced listed apart.
 */
export function buildAppProject(settings: GitopsSettings, inventories: readonly ClusterInventory[]): Manifest {
  const all = inventories.flatMap((i) => i.manifests);
  const scopes = crdScopes(all);
  const clusterKinds = new Map<string, GroupKind>();
  const namespacedKinds = new Map<string, GroupKind>();
  for (const m of all) {
    const gk = { group: groupOf(m.apiVersion), kind: m.kind };
    (isClusterScoped(gk.group, gk.kind, scopes) ? clusterKinds : namespacedKinds).set(`${gk.group}/${gk.kind}`, gk);
  }
  const destinations = settings.clusters.flatMap((c) => {
    const manifests = inventories.find((i) => i.cluster === c.cluster)?.manifests ?? [];
    const namespaces = new Set([settings.namespace]);
    for (const m of manifests) if (m.metadata.namespace) namespaces.add(m.metadata.namespace);
    return [...namespaces].sort().map((namespace) => ({ ...c.destination, namespace }));
  });
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: 'AppProject',
    metadata: {
      name: settings.project,
      namespace: settings.argocdNamespace,
      labels: labels(settings),
      // When dist/argocd/ is itself synced by Argo CD (app of apps), the project must exist before its Applications.
      annotations: { [SYNC_WAVE_ANNOTATION]: '-1' },
    },
    spec: {
      description: `Observability stack ${settings.stackName}, synthesized by cdk8s-o11y`,
      sourceRepos: [settings.repoURL],
      destinations,
      clusterResourceWhitelist: sortedKinds(clusterKinds),
      namespaceResourceWhitelist: sortedKinds(namespacedKinds),
    },
  };
}

function sortedKinds(kinds: Map<string, GroupKind>): GroupKind[] {
  return [...kinds.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, gk]) => gk);
}

/** Everything `dist/argocd/` holds for these settings, project first. */
export function buildArgoCdObjects(settings: GitopsSettings, inventories: readonly ClusterInventory[]): Manifest[] {
  const apps = settings.mode === 'applicationset' ? [buildApplicationSet(settings)] : buildApplications(settings);
  return [buildAppProject(settings, inventories), ...apps];
}
