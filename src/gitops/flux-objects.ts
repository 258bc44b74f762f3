import { ApiObject, type Chart } from 'cdk8s';
import type { Manifest } from './manifest.ts';
import { gitopsLabels, type GitopsSettings } from './settings.ts';

/** `dist/flux/`: per cluster `<cluster>/` (what that cluster's Flux applies) and `layers/<cluster>/`. */
export const FLUX_FOLDER = 'flux';
/** Folder of `dist/flux/` with the kustomizations the Flux Kustomizations read. */
export const FLUX_LAYERS_FOLDER = 'layers';
export const FLUX_OBJECTS_FILE = 'flux.k8s.yaml';
export const KUSTOMIZE_FILE = 'kustomization.yaml';
/**
 * The kustomization of `dist/<cluster>/`, named without an extension: kustomize (`kubectl
 * kustomize`, `kubectl apply -k`, Flux) recognizes it, while `kubectl apply -f dist/<cluster>/` reads
 * only `.json`, `.yaml` and `.yml` files and Argo CD's directory source only `*.k8s.yaml`.
 */
export const CLUSTER_KUSTOMIZE_FILE = 'Kustomization';
/** The file names kustomize recognizes as a folder's kustomization. */
export const KUSTOMIZE_FILES = [KUSTOMIZE_FILE, 'kustomization.yml', CLUSTER_KUSTOMIZE_FILE] as const;

export const GIT_REPOSITORY_API_VERSION = 'source.toolkit.fluxcd.io/v1';
export const KUSTOMIZATION_API_VERSION = 'kustomize.toolkit.fluxcd.io/v1';
export const KUSTOMIZE_API_VERSION = 'kustomize.config.k8s.io/v1beta1';

/**
 * Flux applies a changed object with server-side apply; a Job's pod template is immutable, so an
 * upgrade of the `o11y-check` Job would fail. With this annotation Flux deletes and recreates it.
 */
export const FLUX_FORCE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/force';

/** One file of `dist/<cluster>/` and its objects. */
export interface ManifestFile {
  /** File name inside `dist/<cluster>/`, e.g. `00-namespaces.k8s.yaml`. */
  readonly name: string;
  readonly manifests: readonly Manifest[];
}

export interface ClusterFiles {
  readonly cluster: string;
  /** The files of `dist/<cluster>/` in apply order. */
  readonly files: readonly ManifestFile[];
}

/** A layer of one cluster: a kustomization listing some files of `dist/<cluster>/`, and the Flux Kustomization that applies it. */
export interface FluxLayer {
  /** Path of the kustomization file, relative to `dist/flux/`. */
  readonly kustomizationFile: string;
  readonly kustomization: Kustomize;
}

/** A kustomization file listing resources (kustomize.config.k8s.io). */
export interface Kustomize {
  readonly apiVersion: string;
  readonly kind: 'Kustomization';
  readonly resources: readonly string[];
}

/** What `dist/flux/` holds for one cluster. */
export interface FluxCluster {
  readonly cluster: string;
  /** The GitRepository and the Kustomizations, written to `dist/flux/<cluster>/flux.k8s.yaml`. */
  readonly objects: readonly Manifest[];
  readonly layers: readonly FluxLayer[];
}

/**
 * How long Flux waits for a layer to become ready before it reports failure and retries: the
 * namespaces are ready at once; the stack includes Prometheus replaying its WAL and the `o11y-check`
 * Job, which itself gives up after 10 minutes.
 */
const TIMEOUTS = { namespaces: '2m', stack: '15m' } as const;

const labels = (settings: GitopsSettings) => gitopsLabels(settings, 'flux');

/** A full reference (`refs/...`) as is, anything else as a branch. */
function gitRef(targetRevision: string): Record<string, string> {
  return targetRevision.startsWith('refs/') ? { name: targetRevision } : { branch: targetRevision };
}

/**
 * Per cluster: a GitRepository and two Kustomizations, `<stack>-<cluster>-namespaces` (the files
 * that create Namespaces) and `<stack>-<cluster>` (the rest), which depends on it. Both prune, wait
 * for every object they apply to be ready (`wait: true`, so Flux health-checks all of them, Jobs
 * included, and ignores `healthChecks`) and time out. Each layer is a kustomization under
 * `dist/flux/layers/<cluster>/` listing files of `dist/<cluster>/`: Flux builds kustomizations
 * inside its chrooted source, where files outside a kustomization's folder may be listed
 * (fluxcd/pkg kustomize: `LoadRestrictionsNone`), so `dist/<cluster>/` itself stays plain manifests.
 */
export function buildFluxClusters(settings: GitopsSettings, clusters: readonly ClusterFiles[]): FluxCluster[] {
  const meta = (name: string) => ({ name, namespace: settings.fluxNamespace, labels: labels(settings) });
  return clusters.map(({ cluster, files }) => {
    const createsNamespaces = (f: ManifestFile) => f.manifests.some((m) => m.kind === 'Namespace');
    const split = { namespaces: files.filter(createsNamespaces), stack: files.filter((f) => !createsNamespaces(f)) };
    const names = { namespaces: `${settings.stackName}-${cluster}-namespaces`, stack: `${settings.stackName}-${cluster}` };
    const layerDir = (layer: keyof typeof split) => `${FLUX_LAYERS_FOLDER}/${cluster}/${layer}`;
    const layers = (['namespaces', 'stack'] as const).map((layer) => ({
      kustomizationFile: `${layerDir(layer)}/${KUSTOMIZE_FILE}`,
      kustomization: {
        apiVersion: KUSTOMIZE_API_VERSION,
        kind: 'Kustomization' as const,
        // From dist/flux/layers/<cluster>/<layer>/ up to dist/.
        resources: split[layer].map((f) => `../../../../${cluster}/${f.name}`),
      },
    }));
    const kustomization = (layer: keyof typeof split, dependsOn: string[]): Manifest => ({
      apiVersion: KUSTOMIZATION_API_VERSION,
      kind: 'Kustomization',
      metadata: meta(names[layer]),
      spec: {
        ...(dependsOn.length ? { dependsOn: dependsOn.map((name) => ({ name })) } : {}),
        interval: '10m',
        retryInterval: '1m',
        timeout: TIMEOUTS[layer],
        path: `./${settings.path}/${FLUX_FOLDER}/${layerDir(layer)}`,
        prune: true,
        wait: true,
        sourceRef: { kind: 'GitRepository', name: settings.stackName },
      },
    });
    const repository: Manifest = {
      apiVersion: GIT_REPOSITORY_API_VERSION,
      kind: 'GitRepository',
      metadata: meta(settings.stackName),
      spec: {
        interval: '5m',
        url: settings.repoURL,
        ref: gitRef(settings.targetRevision),
        ...(settings.fluxSecretName ? { secretRef: { name: settings.fluxSecretName } } : {}),
      },
    };
    return { cluster, objects: [repository, kustomization('namespaces', []), kustomization('stack', [names.namespaces])], layers };
  });
}

/** The kustomization of `dist/<cluster>/`: its manifest files, in apply order. */
export function clusterKustomization(files: readonly ManifestFile[]): Kustomize {
  return { apiVersion: KUSTOMIZE_API_VERSION, kind: 'Kustomization', resources: files.map((f) => f.name) };
}

/** Marks the chart's Jobs for recreation by Flux (see {@link FLUX_FORCE_ANNOTATION}). */
export function annotateForFlux(chart: Chart): void {
  for (const node of chart.node.findAll()) {
    if (node instanceof ApiObject && node.kind === 'Job') node.metadata.addAnnotation(FLUX_FORCE_ANNOTATION, 'enabled');
  }
}
