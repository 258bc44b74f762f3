/** The resolved stack configuration: `o11y.yaml` after validation, with every default filled in. */

export const CLOUDS = ['aws', 'alibaba', 'azure', 'gcp', 'onprem'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** How replicas of one workload are spread over node architectures. */
export const ARCH_SPREADS = ['none', 'preferred', 'required'] as const;
export type ArchSpread = (typeof ARCH_SPREADS)[number];

/** Where generated Prometheus rules go: plain rule files in a ConfigMap, or prometheus-operator objects. */
export const RULE_FORMATS = ['configmap', 'prometheus-rule'] as const;
export type RuleFormat = (typeof RULE_FORMATS)[number];

export interface ClusterConfig {
  /** DNS label; `dist/<name>/` holds what runs in this cluster. */
  readonly name: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** StorageClass for every PVC; unset means the cluster's default StorageClass. */
  readonly storageClass?: string;
}

export interface PrometheusConfig {
  readonly retention: string;
  readonly storage: string;
  readonly replicas: number;
  readonly scrapeInterval: string;
  readonly ruleFormat: RuleFormat;
}

export interface AlertmanagerConfig {
  readonly replicas: number;
  /** Existing Secret with webhook URLs in keys `default-url`, `page-url`, `ticket-url`; owned by the user, never synthesized. */
  readonly receiversSecret: string;
}

export interface CollectorConfig {
  readonly agent: boolean;
  readonly gateway: { readonly replicas: number };
}

export interface TempoConfig {
  readonly retention: string;
  readonly storage: string;
}

export interface LokiConfig {
  readonly retention: string;
  readonly storage: string;
}

export interface GrafanaConfig {
  /** Existing Secret with keys `admin-user` and `admin-password`. */
  readonly adminSecret: string;
}

export interface ComponentsConfig {
  readonly prometheus: PrometheusConfig;
  readonly alertmanager: AlertmanagerConfig;
  readonly collector: CollectorConfig;
  readonly tempo: TempoConfig;
  readonly loki: LokiConfig;
  readonly grafana: GrafanaConfig;
}

export interface StackConfig {
  /** The file the config came from (for messages), or `<embedded>`. */
  readonly source: string;
  /** Stack name: the value of `app.kubernetes.io/part-of`. */
  readonly name: string;
  /** Namespace of every workload but the node agents. */
  readonly namespace: string;
  /** Namespace of the node agents, which need host paths (PSS `privileged`). */
  readonly agentNamespace: string;
  readonly architectures: readonly Architecture[];
  readonly spreadAcrossArchitectures: ArchSpread;
  readonly clusters: readonly ClusterConfig[];
  readonly components: ComponentsConfig;
  /** SLO file globs, relative to the config file's folder. */
  readonly slos: readonly string[];
  /** Argo CD delivery of `dist/`; absent means no `dist/argocd/` output. */
  readonly gitops?: GitopsConfig;
}

/** How Argo CD gets the stack: one ApplicationSet (list generator) or one Application per cluster. */
export const GITOPS_MODES = ['applicationset', 'applications'] as const;
export type GitopsMode = (typeof GITOPS_MODES)[number];

/** Where Argo CD deploys one cluster's manifests: exactly one of `server` or `name`. */
export interface GitopsDestination {
  /** API server URL as registered in Argo CD, e.g. `https://kubernetes.default.svc`. */
  readonly server?: string;
  /** Cluster name as registered in Argo CD (`argocd cluster list`). */
  readonly name?: string;
}

/**
 * The `gitops:` section. Defaults that depend on the rest of the config (project, destinations)
 * are filled in by `resolveGitops` in src/gitops/settings.ts.
 */
export interface GitopsConfig {
  /** Git repository that holds the committed `dist/`. */
  readonly repoURL: string;
  /** Branch, tag or commit Argo CD follows. @default HEAD */
  readonly targetRevision: string;
  /** Repository-relative folder holding `<cluster>/` folders. @default dist */
  readonly path: string;
  /** @default applicationset */
  readonly mode: GitopsMode;
  /** AppProject name. @default the stack name */
  readonly project?: string;
  /** Namespace Argo CD runs in, where its Applications and AppProject live. @default argocd */
  readonly argocdNamespace: string;
  /**
   * Per cluster name. @default one cluster: the in-cluster server `https://kubernetes.default.svc`;
   * several: `{ name: <cluster name> }`.
   */
  readonly destinations: Readonly<Record<string, GitopsDestination>>;
}
