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
  /** Existing Secret with key `alertmanager.yml`; owned by the user, never synthesized. */
  readonly configSecret: string;
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
}
