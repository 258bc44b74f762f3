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

/** What a cluster holds besides its own agents and gateway (which every cluster runs). */
export const CLUSTER_ROLES = ['backend', 'grafana'] as const;
export type ClusterRole = (typeof CLUSTER_ROLES)[number];

/** Object storage backends; which ones a cloud allows is in its platform profile. */
export const OBJECT_STORAGE_TYPES = ['filesystem', 's3', 'oss', 'azure', 'gcs'] as const;
export type ObjectStorageType = (typeof OBJECT_STORAGE_TYPES)[number];

/** Where Tempo keeps trace blocks and Loki keeps chunks, in a backend cluster. */
export interface ObjectStorageConfig {
  readonly type: ObjectStorageType;
  /** Bucket (s3, oss, gcs) or container (azure) for Tempo. */
  readonly traces?: string;
  /** Bucket (s3, oss, gcs) or container (azure) for Loki. */
  readonly logs?: string;
  /** s3 (MinIO, S3-compatible) and oss: the endpoint host, e.g. `minio.storage:9000`, `oss-cn-hangzhou.aliyuncs.com`. */
  readonly endpoint?: string;
  /** azure: the storage account. */
  readonly storageAccount?: string;
  /** s3 without workload identity, oss: Secret with keys `access-key-id` and `secret-access-key`. */
  readonly credentialsSecret?: string;
  /** s3: plain HTTP to the endpoint (in-cluster MinIO). */
  readonly insecure?: boolean;
}

/** Workload identity for the backends' object storage access; the keys that apply depend on the cloud. */
export interface IdentityConfig {
  /** aws: IAM role for IRSA (ServiceAccount annotation `eks.amazonaws.com/role-arn`). */
  readonly awsRoleArn?: string;
  /** aws: EKS Pod Identity (no annotation; an association you create for the ServiceAccounts). */
  readonly awsPodIdentity?: boolean;
  /** azure: client id of the managed identity (Azure Workload Identity). */
  readonly azureClientId?: string;
  /** gcp: Google service account for GKE Workload Identity. */
  readonly gcpServiceAccount?: string;
  /** alibaba: RAM role for ACK RRSA. */
  readonly alibabaRamRole?: string;
}

export interface ClusterConfig {
  /** DNS label; `dist/<name>/` holds what runs in this cluster. */
  readonly name: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** StorageClass for every PVC; defaults per cloud, required on-prem. */
  readonly storageClass?: string;
  /** `backend`: holds its cloud's Tempo, Loki and Prometheus. `grafana`: holds the global Grafana. */
  readonly roles?: readonly ClusterRole[];
  /** Backend clusters: `host:port` where other clusters reach this cluster's gateway over OTLP/gRPC with TLS. */
  readonly otlpEndpoint?: string;
  readonly identity?: IdentityConfig;
  /** Backend clusters other than the Grafana cluster: where the global Grafana queries this cloud. */
  readonly query?: QueryEndpoints;
  /** Backend clusters: object storage for Tempo and Loki. @default filesystem on PVCs */
  readonly objectStorage?: ObjectStorageConfig;
}

/**
 * HTTPS URLs (behind your ingress and its authentication) where the global Grafana queries a
 * cloud's backends; requests carry the cross-cluster bearer token.
 */
export interface QueryEndpoints {
  readonly prometheus: string;
  readonly loki: string;
  readonly tempo: string;
}

/** A cloud whose backends already exist elsewhere (no backend cluster of ours). */
export interface RemoteBackendConfig {
  /** OTLP/gRPC `host:port` accepting traces, logs and metrics, over TLS. */
  readonly otlpEndpoint: string;
  /** Where Grafana queries them; without it, Grafana does not show this cloud. */
  readonly query?: QueryEndpoints;
}

/** An extra route: telemetry of a tenant or namespace goes to another cloud's backends. */
export interface RouteConfig {
  /** Matches the `tenant` resource attribute. */
  readonly tenant?: string;
  /** Matches the `k8s.namespace.name` resource attribute. */
  readonly namespace?: string;
  readonly cloud: Cloud;
}

export interface RoutingConfig {
  /** Cloud whose backends take what no route matches (and on-prem data, which has no cloud.provider). */
  readonly default?: Cloud;
  readonly routes: readonly RouteConfig[];
}

export const CROSS_CLUSTER_AUTH = ['bearer', 'mtls'] as const;
export type CrossClusterAuth = (typeof CROSS_CLUSTER_AUTH)[number];

/** How gateways talk to other clusters' gateways. Secrets are referenced, never inlined. */
export interface CrossClusterConfig {
  readonly auth: CrossClusterAuth;
  /** Secret with key `token` (bearer auth), in the stack namespace of every cluster. */
  readonly tokenSecret: string;
  /** Secret with `tls.crt`, `tls.key` and `ca.crt` (server TLS; client certificates for mTLS). */
  readonly tlsSecret: string;
}

export interface TailSamplingConfig {
  readonly enabled: boolean;
  /** Traces slower than this are kept. */
  readonly slowerThan: string;
  /** Percentage of the remaining traces kept. */
  readonly percentage: number;
}

export interface ScaleConfig {
  /** Shard the gateway with the `load_balancing` exporter (needed for tail sampling with several replicas). */
  readonly loadBalancing: boolean;
  readonly tailSampling: TailSamplingConfig;
  /**
   * Compute span metrics in the gateways (the `spanmetrics` connector, spans sharded by `service`
   * so that each service's series come from one replica) instead of Tempo's metrics-generator,
   * which then only builds service graphs. Spans the tail sampler drops still count.
   */
  readonly spanMetricsInGateway: boolean;
}

export interface CardinalityConfig {
  /** URL path patterns rewritten into route templates in `url.full`/`http.url`, e.g. `/users/\d+` → `/users/{id}`. */
  readonly urlTemplates: readonly { readonly pattern: string; readonly template: string }[];
  /** Attributes dropped from spans, logs and metric data points. */
  readonly dropAttributes: readonly string[];
  /** Prometheus `metric_relabel_configs` applied to every scrape job. */
  readonly metricRelabelConfigs: readonly Record<string, unknown>[];
}

export const REMOTE_WRITE_KINDS = ['mimir', 'thanos', 'victoriametrics', 'prometheus'] as const;

/** An existing long-term metrics store Prometheus writes to. */
export interface RemoteWriteConfig {
  readonly url: string;
  readonly kind: (typeof REMOTE_WRITE_KINDS)[number];
  /** Secret with key `token`. */
  readonly bearerTokenSecret?: string;
  /** Secret with keys `username` and `password`. */
  readonly basicAuthSecret?: string;
}

export interface PrometheusConfig {
  readonly retention: string;
  readonly storage: string;
  readonly replicas: number;
  readonly scrapeInterval: string;
  /**
   * `configmap`, the only format the bundled Prometheus loads; `prometheus-rule` is refused when the config is loaded
   * (kept in the schema so that the refusal can say why).
   */
  readonly ruleFormat: RuleFormat;
  readonly remoteWrite: readonly RemoteWriteConfig[];
}

export interface AlertmanagerConfig {
  readonly replicas: number;
  /** Existing Secret with webhook URLs in keys `default-url`, `page-url`, `ticket-url`; owned by the user, never synthesized. */
  readonly receiversSecret: string;
  /** The Watchdog goes to its own receiver (`watchdog-url` in the receivers Secret), every minute. @default false */
  readonly watchdogReceiver: boolean;
}

/** A Kubernetes toleration, as the config writes it. */
export interface TolerationConfig {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

export interface CollectorConfig {
  readonly agent: boolean;
  /** Taints the node agents tolerate. @default [{ operator: Exists }]: every node, tainted pools included. */
  readonly agentTolerations: readonly TolerationConfig[];
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

/** SLO files evaluated only by the backends of the named clouds and of the named clusters' clouds. */
export interface SloFilesConfig {
  readonly files: readonly string[];
  readonly clouds?: readonly Cloud[];
  readonly clusters?: readonly string[];
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
  /** SLO files or globs, relative to the config file's folder: for every backend, or scoped. */
  readonly slos: readonly (string | SloFilesConfig)[];
  /** Clouds served by existing remote backends instead of a backend cluster. */
  readonly backends: Readonly<Partial<Record<Cloud, { readonly remote: RemoteBackendConfig }>>>;
  readonly routing: RoutingConfig;
  readonly crossCluster: CrossClusterConfig;
  readonly scale: ScaleConfig;
  readonly cardinality: CardinalityConfig;
  readonly networkPolicy: NetworkPolicyConfig;
  readonly monitoring: MonitoringConfig;
  /** Argo CD delivery of `dist/`; absent means no `dist/argocd/` output. */
  readonly gitops?: GitopsConfig;
}

/** Groups of the Kubernetes rule file (`prometheus-rules-kubernetes`), each switchable off. */
export const KUBERNETES_RULE_GROUPS = ['node', 'workloads', 'resources', 'storage', 'apiserver', 'kubelet', 'coredns', 'etcd', 'control-plane', 'components'] as const;
export type KubernetesRuleGroup = (typeof KUBERNETES_RULE_GROUPS)[number];

export const DEFAULT_RUNBOOK_URL = 'https://github.com/cdk8s-o11y/cdk8s-o11y/blob/main/docs/runbook.md';

/** The `monitoring:` section: what the stack watches in the clusters besides itself. */
export interface MonitoringConfig {
  readonly kubernetes: {
    /** Rule groups left out of `prometheus-rules-kubernetes`. @default [] */
    readonly disabledGroups: readonly KubernetesRuleGroup[];
    /** The runbook the alerts' `runbook_url` points into (`#<alert name in lowercase>`). @default this project's docs/runbook.md */
    readonly runbookUrl: string;
  };
}

/** `open`: egress unrestricted (ingress still is); `strict`: default-deny egress plus the flow table and platform allowances. */
export const EGRESS_MODES = ['open', 'strict'] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];

/** The `networkPolicy:` section: how far the generated NetworkPolicies restrict traffic. */
export interface NetworkPolicyConfig {
  /** @default open */
  readonly egress: EgressMode;
  /**
   * Where kubelets listen (node addresses), for strict egress to port 10250. On Cilium, CIDR rules
   * match node addresses only with `policy-cidr-match-mode: nodes`. @default ['0.0.0.0/0']
   */
  readonly nodeCidrs: readonly string[];
  /** Where the API server's endpoints are, for strict egress. @default ['0.0.0.0/0'] */
  readonly apiServerCidrs: readonly string[];
  /** NodeLocal DNSCache's link-local address, allowed beside kube-dns with strict egress. @default 169.254.20.10 */
  readonly nodeLocalDnsIp: string;
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
