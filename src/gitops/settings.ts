import { InputError } from '../errors.ts';
import { locateInConfig } from '../config/load.ts';
import type { KeyPath } from '../input/yaml-source.ts';
import type { GitopsDestination, GitopsFlavor, GitopsMode, StackConfig } from '../model/types.ts';

/** Argo CD's name for the API server of the cluster it runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** Exactly one way of naming the target cluster, as Argo CD requires. */
export type Destination = { readonly server: string } | { readonly name: string };

export interface GitopsCluster {
  readonly cluster: string;
  readonly destination: Destination;
  /** Repository-relative folder with this cluster's manifests, e.g. `dist/local`. */
  readonly path: string;
}

/** The labels of the delivery tool's objects (`name`: argocd or flux). */
export function gitopsLabels(settings: Pick<GitopsSettings, 'stackName'>, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': settings.stackName,
    'app.kubernetes.io/component': 'gitops',
    'app.kubernetes.io/part-of': settings.stackName,
    'app.kubernetes.io/managed-by': 'cdk8s-o11y',
  };
}

/** The `gitops:` section with every default filled in. */
export interface GitopsSettings {
  readonly flavor: GitopsFlavor;
  readonly stackName: string;
  /** Namespace of the stack's workloads: the Applications' default destination namespace. */
  readonly namespace: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path: string;
  readonly mode: GitopsMode;
  readonly project: string;
  readonly argocdNamespace: string;
  readonly fluxNamespace: string;
  readonly fluxSecretName?: string;
  readonly clusters: readonly GitopsCluster[];
}

/**
 * Fills the defaults that depend on the rest of the config and checks what the schema cannot:
 * destinations name known clusters, each gives exactly one of server or name, and an ApplicationSet
 * (one template) does not mix the two. Returns undefined when there is no `gitops:` section.
 */
export function resolveGitops(config: StackConfig): GitopsSettings | undefined {
  const gitops = config.gitops;
  if (!gitops) return undefined;
  const problems: { path: KeyPath; message: string }[] = [];
  const clusterNames = config.clusters.map((c) => c.name);
  for (const [cluster, dest] of Object.entries(gitops.destinations)) {
    if (!clusterNames.includes(cluster)) {
      problems.push({ path: ['gitops', 'destinations', cluster], message: `"${cluster}" is not a cluster of this stack; clusters: ${clusterNames.join(', ')}` });
    } else if ((dest.server === undefined) === (dest.name === undefined)) {
      problems.push({ path: ['gitops', 'destinations', cluster], message: 'give exactly one of server (API server URL) or name (Argo CD cluster name)' });
    }
  }
  const single = config.clusters.length === 1;
  const destinationOf = (cluster: string): Destination => {
    const given: GitopsDestination | undefined = gitops.destinations[cluster];
    if (given?.server !== undefined) return { server: given.server };
    if (given?.name !== undefined) return { name: given.name };
    return single ? { server: IN_CLUSTER_SERVER } : { name: cluster };
  };
  const clusters = config.clusters.map((c) => ({ cluster: c.name, destination: destinationOf(c.name), path: `${gitops.path}/${c.name}` }));
  if (gitops.flavor === 'flux') problems.push(...fluxProblems(gitops));
  else if (gitops.mode === 'applicationset' && new Set(clusters.map((c) => Object.keys(c.destination)[0])).size > 1) {
    problems.push({ path: ['gitops', 'destinations'], message: 'an ApplicationSet template needs every cluster named the same way: use server for all, name for all, or mode: applications' });
  }
  if (problems.length) throw new InputError(locateInConfig(config.source, problems));
  return {
    flavor: gitops.flavor,
    stackName: config.name,
    namespace: config.namespace,
    repoURL: gitops.repoURL,
    targetRevision: gitops.targetRevision,
    path: gitops.path,
    mode: gitops.mode,
    project: gitops.project ?? config.name,
    argocdNamespace: gitops.argocdNamespace,
    fluxNamespace: gitops.fluxNamespace,
    fluxSecretName: gitops.fluxSecretName,
    clusters,
  };
}

/**
 * What Flux cannot follow: the `HEAD` default (a GitRepository without a ref checks out `master`),
 * scp-like `git@host:path` URLs (Flux takes `ssh://` URLs only), and Argo CD destinations (each
 * cluster's own Flux applies its folder).
 */
function fluxProblems(gitops: NonNullable<StackConfig['gitops']>): { path: KeyPath; message: string }[] {
  const problems: { path: KeyPath; message: string }[] = [];
  if (gitops.targetRevision === 'HEAD') {
    problems.push({ path: ['gitops'], message: 'Flux follows a named branch or reference: set targetRevision, e.g. main or refs/tags/v1.2.0 (HEAD, the default, is Argo CD\'s)' });
  }
  const scp = /^git@([^:/]+):(.+)$/.exec(gitops.repoURL);
  if (scp) problems.push({ path: ['gitops', 'repoURL'], message: `Flux takes ssh:// URLs, not scp-like ones: write ssh://git@${scp[1]}/${scp[2]}` });
  if (Object.keys(gitops.destinations).length) {
    problems.push({ path: ['gitops', 'destinations'], message: 'destinations are Argo CD\'s: with flavor flux, each cluster\'s own Flux applies dist/flux/<cluster>/; remove them' });
  }
  return problems;
}
