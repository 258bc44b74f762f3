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
  /** Per-component pod settings for this cluster only, over those under `components`. */
  readonly components?: ClusterComponentsConfig;
  /** Image supply for this cluster, key by key over the top-level `images`. */
  readonly images?: ImagesConfig;
  /** Backend clusters: how metrics are stored and rules evaluated. @default `{ mode: 'prometheus' }` */
  readonly metrics?: MetricsConfig;
  /** Redaction for this cluster, key by key over the top-level `redaction`. */
  readonly redaction?: RedactionConfig;
}

/**
 * How a backend cluster stores metrics: `prometheus` (one Prometheus, the default) or
 * `victoriametrics-cluster` (vmstorage, vminsert, vmselect, an HA vmagent pair, vmalert).
 */
export const METRICS_MODES = ['prometheus', 'victoriametrics-cluster'] as const;
export type MetricsMode = (typeof METRICS_MODES)[number];

export interface MetricsConfig {
  readonly mode: MetricsMode;
  /**
   * `host:port` where the Grafana cluster's global vmselect reaches this backend's vmselect
   * cluster-native port (8401), on your private network: the protocol has no authentication or TLS.
   * Needed with `components.victoriametrics.globalSelect` on a victoriametrics-cluster backend other
   * than the Grafana cluster.
   */
  readonly clusternativeEndpoint?: string;
}

/** A backend cluster's metrics mode. */
export function metricsMode(cluster: Pick<ClusterConfig, 'metrics'>): MetricsMode {
  return cluster.metrics?.mode ?? 'prometheus';
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

/** What a redaction rule does with a match (README, "Redaction"). */
export interface RedactionActionConfig {
  /** @default mask */
  readonly action?: 'mask' | 'hash' | 'drop';
  /** `mask`: characters of the match kept at its end (e.g. 4 for a card). @default 0 */
  readonly keepLast?: number;
  /** `drop`: the attribute keys deleted when their value matches. */
  readonly keys?: readonly string[];
}

/**
 * `redaction` (top level, and per cluster key by key over it): personal data and secrets rewritten
 * in the node agents and the gateways before anything is exported. Off unless `enabled`.
 */
export interface RedactionConfig {
  /** @default false */
  readonly enabled?: boolean;
  /** The default preset set (every preset but `ip`), masked. @default true */
  readonly defaults?: boolean;
  /** Presets by name, with their action (over the defaults). */
  readonly presets?: Readonly<Record<string, RedactionActionConfig>>;
  /** Custom RE2 patterns, run after the presets. */
  readonly patterns?: readonly (RedactionActionConfig & { readonly name: string; readonly pattern: string })[];
  /** The Secret key holding the salt of `hash`. */
  readonly salt?: SecretKeyRef;
  /** Where values are redacted. @default every scope */
  readonly scopes?: readonly string[];
  /** Allow-list mode: only these keys survive in log, span and span event attributes. */
  readonly allowedKeys?: readonly string[];
  /**
   * Per namespace: `exempt: true` leaves it untouched (explicitly, one namespace at a time);
   * `patterns` are that namespace's own, after everyone's.
   */
  readonly namespaces?: Readonly<Record<string, { readonly exempt?: boolean; readonly patterns?: RedactionConfig['patterns'] }>>;
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
  /**
   * Refused when the config is loaded (kept in the schema so that the refusal can say why): the
   * server's web config would demand credentials from the stack's own callers, which carry none yet.
   */
  readonly expose?: AuthenticatedExposeConfig;
}

export interface AlertmanagerConfig {
  readonly replicas: number;
  /** PVC size per replica for silences and the notification log. @default 1Gi */
  readonly storage: string;
  /** Existing Secret with webhook URLs in keys `default-url`, `page-url`, `ticket-url`; owned by the user, never synthesized. */
  readonly receiversSecret: string;
  /** The Watchdog goes to its own receiver (`watchdog-url` in the receivers Secret), every minute. @default false */
  readonly watchdogReceiver: boolean;
  /**
   * Refused when the config is loaded (kept in the schema so that the refusal can say why): the
   * server's web config would demand credentials from the stack's own callers, which carry none yet.
   */
  readonly expose?: AuthenticatedExposeConfig;
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
  /** The node agents; `agent: true | false` in the config is `{ enabled }`. */
  readonly agent: { readonly enabled: boolean } & PodOverridesConfig;
  /** Taints the node agents tolerate. @default [{ operator: Exists }]: every node, tainted pools included. */
  readonly agentTolerations: readonly TolerationConfig[];
  readonly gateway: { readonly replicas: number } & PodOverridesConfig;
  /** The collector that scrapes cluster metrics in a cluster without Prometheus. */
  readonly scraper: PodOverridesConfig;
}

export interface TempoConfig {
  readonly retention: string;
  readonly storage: string;
}

export interface LokiConfig {
  readonly retention: string;
  readonly storage: string;
}

export const GRAFANA_DATABASE_TYPES = ['postgres', 'mysql'] as const;

/** An external database for Grafana's state (users, API tokens, annotations, UI-made dashboards and alerts). */
export interface GrafanaDatabaseConfig {
  readonly type: (typeof GRAFANA_DATABASE_TYPES)[number];
  /** `host:port`. */
  readonly host: string;
  /** Database name. */
  readonly name: string;
  readonly user: string;
  /** The password, read from a mounted file, never from the manifests. */
  readonly passwordSecret: SecretKeyRef;
  /** postgres: disable, require or verify-full; mysql: true, false or skip-verify. @default require (postgres), true (mysql) */
  readonly sslMode?: string;
}

/** Single sign-on through Grafana's generic OAuth client against an OpenID Connect provider. */
export interface GrafanaOidcConfig {
  /** The provider's issuer URL; the endpoints are derived from it for known layouts (Keycloak, Okta, Microsoft Entra). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: SecretKeyRef;
  /** @default ['openid', 'email', 'profile'] */
  readonly scopes: readonly string[];
  /** Button label on the login page. @default SSO */
  readonly name: string;
  /** JMESPath over the ID token / userinfo returning Admin, Editor or Viewer, e.g. `contains(groups[*], 'sre') && 'Admin' || 'Viewer'`. */
  readonly roleAttributePath?: string;
  /** Deny login when roleAttributePath yields no role (instead of the Viewer default). @default false */
  readonly roleAttributeStrict: boolean;
  /** Only members of these groups may log in. */
  readonly allowedGroups: readonly string[];
  /** JMESPath to the user's groups. @default groups */
  readonly groupsAttributePath: string;
  /** Only e-mail addresses of these domains may log in. */
  readonly allowedDomains: readonly string[];
  /** Override the derived endpoints (required for issuers of an unknown layout). */
  readonly authUrl?: string;
  readonly tokenUrl?: string;
  readonly apiUrl?: string;
}

/** An Ingress (networking.k8s.io/v1) in front of a Service. */
export interface IngressExposeConfig {
  /** IngressClass name. @default the cluster's default class */
  readonly className?: string;
  readonly host: string;
  /** Existing TLS Secret (`tls.crt`, `tls.key`) for the host. */
  readonly tlsSecret?: string;
  /** cert-manager ClusterIssuer that issues the TLS Secret (`<app>-tls`). */
  readonly certManagerIssuer?: string;
  /** Namespace of the ingress controller's pods, admitted by the NetworkPolicy. @default networkPolicy.ingressNamespace */
  readonly controllerNamespace?: string;
  /** Extra annotations, e.g. the controller's authentication annotations. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A Gateway API HTTPRoute (gateway.networking.k8s.io/v1) attached to an existing Gateway. */
export interface HttpRouteExposeConfig {
  readonly gateway: { readonly name: string; readonly namespace: string };
  readonly host: string;
  /** Namespace of the gateway's data-plane pods, admitted by the NetworkPolicy. @default the Gateway's namespace */
  readonly controllerNamespace?: string;
}

/** Exactly one of `ingress` or `httpRoute`. */
export interface ExposeConfig {
  readonly ingress?: IngressExposeConfig;
  readonly httpRoute?: HttpRouteExposeConfig;
}

/**
 * Exposure of Prometheus or Alertmanager, which have no login of their own: an Ingress whose
 * annotations make the controller authenticate every request, over TLS.
 */
export interface AuthenticatedExposeConfig {
  readonly ingress: IngressExposeConfig;
}

export interface GrafanaConfig {
  /** Existing Secret with keys `admin-user` and `admin-password`: the local admin, kept for break-glass access. */
  readonly adminSecret: string;
  /** Replicas; more than 1 needs an external database. @default 1 */
  readonly replicas: number;
  /** PersistentVolume size for the SQLite database and plugins (without an external database). @default 10Gi */
  readonly storage: string;
  readonly database?: GrafanaDatabaseConfig;
  readonly oidc?: GrafanaOidcConfig;
  /** Plugins installed at start, each `id@version`. */
  readonly plugins: readonly string[];
  readonly expose?: ExposeConfig;
}

export interface ComponentsConfig {
  readonly prometheus: PrometheusConfig & PodOverridesConfig;
  readonly alertmanager: AlertmanagerConfig & PodOverridesConfig;
  readonly collector: CollectorConfig;
  readonly tempo: TempoConfig & PodOverridesConfig;
  readonly loki: LokiConfig & PodOverridesConfig;
  readonly grafana: GrafanaConfig & PodOverridesConfig;
  readonly kubeStateMetrics: PodOverridesConfig;
  readonly controller: PodOverridesConfig;
  readonly victoriametrics: VictoriaMetricsConfig;
}

/** Stack sizes: each sets every component's resources, and the backends' retention and storage, together. */
export const SIZES = ['small', 'medium', 'large'] as const;
export type Size = (typeof SIZES)[number];

/** CPU and memory requests and limits of one container, as Kubernetes quantities. */
export interface ComputeResources {
  readonly cpu: { readonly request: string; readonly limit: string };
  readonly memory: { readonly request: string; readonly limit: string };
}

/** `resources` as the config writes it (Kubernetes style); what is left out comes from `size`. */
export interface ResourcesConfig {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** An environment variable the user adds to a component's container: a plain value or a Secret key, never a literal secret. */
export type ExtraEnvConfig =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string; readonly optional?: boolean } } };

export interface NodeSelectorRequirementConfig {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  readonly values?: readonly string[];
}

export interface NodeSelectorTermConfig {
  readonly matchExpressions?: readonly NodeSelectorRequirementConfig[];
  readonly matchFields?: readonly NodeSelectorRequirementConfig[];
}

/** A Kubernetes affinity, as the config writes it; merged with the stack's architecture affinity, never replacing it. */
export interface AffinityConfig {
  readonly nodeAffinity?: {
    readonly requiredDuringSchedulingIgnoredDuringExecution?: { readonly nodeSelectorTerms: readonly NodeSelectorTermConfig[] };
    readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly { readonly weight: number; readonly preference: NodeSelectorTermConfig }[];
  };
  readonly podAffinity?: Readonly<Record<string, unknown>>;
  readonly podAntiAffinity?: Readonly<Record<string, unknown>>;
}

/** Per-component settings of a workload's pods (issue 13): under each component, and per cluster in `clusters[].components`. */
export interface PodOverridesConfig {
  readonly resources?: ResourcesConfig;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly TolerationConfig[];
  readonly affinity?: AffinityConfig;
  readonly priorityClassName?: string;
  readonly podAnnotations?: Readonly<Record<string, string>>;
  readonly podLabels?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
  readonly extraEnv?: readonly ExtraEnvConfig[];
}

/** `clusters[].components`: the same per-component settings as under `components`, for one cluster; they win over the stack-wide ones. */
export interface ClusterComponentsConfig {
  readonly prometheus?: PodOverridesConfig;
  readonly alertmanager?: PodOverridesConfig;
  readonly grafana?: PodOverridesConfig;
  readonly loki?: PodOverridesConfig;
  readonly tempo?: PodOverridesConfig;
  readonly collector?: { readonly agent?: PodOverridesConfig; readonly gateway?: PodOverridesConfig; readonly scraper?: PodOverridesConfig };
  readonly kubeStateMetrics?: PodOverridesConfig;
  readonly controller?: PodOverridesConfig;
  readonly victoriametrics?: { readonly [K in VictoriaMetricsComponent | 'vmselectGlobal']?: PodOverridesConfig };
}

/** The workloads of the `victoriametrics-cluster` metrics mode. */
export const VICTORIAMETRICS_COMPONENTS = ['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'vmalert'] as const;
export type VictoriaMetricsComponent = (typeof VICTORIAMETRICS_COMPONENTS)[number];
/** The app of the global vmselect in the Grafana cluster (`components.victoriametrics.globalSelect`): its job label too. */
export const GLOBAL_VMSELECT = 'vmselect-global';
/** The replication factor of the `victoriametrics-cluster` mode (the stack's; the VmCluster construct takes another): vmselect answers with one less storage node failing. */
export const VM_REPLICATION_FACTOR = 2;

/** `components.victoriametrics`: per-component settings of the `victoriametrics-cluster` mode. */
export type VictoriaMetricsConfig = { readonly [K in VictoriaMetricsComponent]: PodOverridesConfig & { readonly replicas: number } } & {
  /**
   * One more vmselect, in the Grafana cluster, reading every victoriametrics-cluster backend's
   * vmselect (multi-level): the datasource `Prometheus (global)`. Its replicas and overrides are
   * `vmselectGlobal`'s. @default false
   */
  readonly globalSelect: boolean;
  /** The global vmselect's replicas and overrides (`clusters[].components.victoriametrics.vmselectGlobal` in the Grafana cluster). */
  readonly vmselectGlobal: PodOverridesConfig & { readonly replicas: number };
};

/**
 * Where images come from (issue 13). `registry` rewrites every image to a mirror:
 * `<registry>/<prefix>/<repository>:<tag>`, where the prefix is `pathPrefixes[<source registry>]`,
 * else the source registry host itself (`quay.io`, `docker.io`, …).
 */
export interface ImagesConfig {
  /** Mirror host with an optional path, e.g. `harbor.example.com/mirror`. @default the images' own registries */
  readonly registry?: string;
  /** Path under `registry` per source registry host, e.g. `{ quay.io: quay, docker.io: docker-hub }` (ECR pull-through cache). */
  readonly pathPrefixes?: Readonly<Record<string, string>>;
  /** Existing `kubernetes.io/dockerconfigjson` Secrets, in every stack namespace, added to every pod's imagePullSecrets. */
  readonly pullSecrets?: readonly string[];
  /** Pin every image by the digest of its multi-arch index, from `images.lock.yaml` beside the config. @default false */
  readonly digests?: boolean;
}

/** SLO files evaluated only by the backends of the named clouds and of the named clusters' clouds. */
/**
 * An entry of a config list of input files (`slos`, `rules`, `dashboards`, `scrape.monitors`): a
 * file or glob relative to the config's folder, which must match a file, or `{ files, optional: true }`
 * for files that may not exist (a glob that may match nothing).
 */
export type InputFilesEntry = string | { readonly files: readonly string[]; readonly optional?: boolean };

export interface SloFilesConfig {
  readonly files: readonly string[];
  /** The files may not exist (a glob may match nothing). @default false */
  readonly optional?: boolean;
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
  /** Resources of every component and the backends' retention and storage, together. @default medium */
  readonly size: Size;
  readonly components: ComponentsConfig;
  /** Where images come from; per cluster in `clusters[].images`. */
  readonly images: ImagesConfig;
  /**
   * Index digests by source image reference, read from `images.lock.yaml` beside the config when a
   * cluster pins digests; empty otherwise.
   */
  readonly imageDigests: Readonly<Record<string, string>>;
  /** SLO files or globs, relative to the config file's folder: for every backend, or scoped. Each must match a file unless `optional: true`. */
  readonly slos: readonly (string | SloFilesConfig)[];
  /** Clouds served by existing remote backends instead of a backend cluster. */
  readonly backends: Readonly<Partial<Record<Cloud, { readonly remote: RemoteBackendConfig }>>>;
  readonly routing: RoutingConfig;
  readonly crossCluster: CrossClusterConfig;
  readonly scale: ScaleConfig;
  readonly cardinality: CardinalityConfig;
  /** Off when absent. */
  readonly redaction?: RedactionConfig;
  readonly networkPolicy: NetworkPolicyConfig;
  /** Argo CD delivery of `dist/`; absent means no `dist/argocd/` output. */
  readonly gitops?: GitopsConfig;
  /** Where alerts go; absent means the built-in webhook receivers `default`, `page` and `ticket`. */
  readonly alerting?: AlertingConfig;
  /** Prometheus rule files or globs of the user's, relative to the config file's folder: loaded by every backend's Prometheus. */
  readonly rules: readonly InputFilesEntry[];
  /** Grafana dashboard JSON files or globs of the user's, relative to the config file's folder: provisioned in the folder `Custom`. */
  readonly dashboards: readonly InputFilesEntry[];
  readonly scrape: ScrapeTargetsConfig;
  readonly monitoring: MonitoringConfig;
}

/** Groups of the Kubernetes rule file (`prometheus-rules-kubernetes`), each switchable off. */
export const KUBERNETES_RULE_GROUPS = ['node', 'workloads', 'resources', 'storage', 'apiserver', 'kubelet', 'coredns', 'etcd', 'control-plane', 'components'] as const;
export type KubernetesRuleGroup = (typeof KUBERNETES_RULE_GROUPS)[number];

/** The `monitoring:` section: what the stack watches in the clusters besides itself, and where its alerts' runbook is. */
export interface MonitoringConfig {
  /**
   * A runbook of your own that every alert's `runbook_url` points into: `<runbookUrl>#<alert name in
   * lowercase>`, `#slo-<sloth_id>` for SLO alerts (an SLO's own runbook link wins).
   * @default the stack's Grafana dashboard "Runbook", at Grafana's URL
   */
  readonly runbookUrl?: string;
  readonly kubernetes: {
    /** Rule groups left out of `prometheus-rules-kubernetes`. @default [] */
    readonly disabledGroups: readonly KubernetesRuleGroup[];
  };
}

/** Receiver types Alertmanager serves itself, and the robots the alert relay serves. */
export const ALERTMANAGER_RECEIVER_TYPES = ['slack', 'pagerduty', 'email', 'msteamsv2', 'wechat', 'telegram', 'opsgenie', 'webhook'] as const;
export const RELAYED_RECEIVER_TYPES = ['dingtalk', 'feishu', 'wecom'] as const;
export type RelayedReceiverType = (typeof RELAYED_RECEIVER_TYPES)[number];

/** One named receiver with one or more integrations; every credential is a {@link SecretKeyRef}. */
export interface ReceiverConfig {
  readonly name: string;
  readonly slack?: { readonly url: SecretKeyRef; readonly channel?: string; readonly sendResolved?: boolean };
  /** PagerDuty Events API v2. `url` overrides the events endpoint (e.g. the EU service region). */
  readonly pagerduty?: { readonly routingKey: SecretKeyRef; readonly url?: string; readonly severity?: string; readonly sendResolved?: boolean };
  readonly email?: { readonly to: string; readonly from: string; readonly smarthost: string; readonly username?: string; readonly password?: SecretKeyRef; readonly requireTls?: boolean; readonly sendResolved?: boolean };
  readonly msteamsv2?: { readonly url: SecretKeyRef; readonly sendResolved?: boolean };
  readonly wechat?: { readonly apiSecret: SecretKeyRef; readonly corpId: string; readonly agentId: string; readonly toUser?: string; readonly toParty?: string; readonly toTag?: string; readonly sendResolved?: boolean };
  readonly telegram?: { readonly botToken: SecretKeyRef; readonly chatId: number; readonly sendResolved?: boolean };
  readonly opsgenie?: { readonly apiKey: SecretKeyRef; readonly url?: string; readonly sendResolved?: boolean };
  readonly webhook?: { readonly url: SecretKeyRef; readonly sendResolved?: boolean };
  /** DingTalk group robot; signed requests ("加签") unless `signed: false`. */
  readonly dingtalk?: { readonly url: SecretKeyRef; readonly signed?: boolean; readonly signingSecret?: SecretKeyRef; readonly sendResolved?: boolean };
  /** Feishu/Lark custom bot; signed when `signingSecret` is set. */
  readonly feishu?: { readonly url: SecretKeyRef; readonly signingSecret?: SecretKeyRef; readonly sendResolved?: boolean };
  /** WeCom (企业微信) group robot; the robot's key is in its URL. */
  readonly wecom?: { readonly url: SecretKeyRef; readonly sendResolved?: boolean };
}

/** Grouping and timing a route sets for itself and its children. */
export interface RouteTiming {
  readonly groupBy?: readonly string[];
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
}

export interface AlertRouteConfig extends RouteTiming {
  /** Alertmanager matchers, e.g. `severity="page"`, `team=~"db|infra"`. */
  readonly matchers?: readonly string[];
  /** @default the parent's receiver */
  readonly receiver?: string;
  /** Keep matching the routes after this one. @default false */
  readonly continue?: boolean;
  readonly muteTimeIntervals?: readonly string[];
  readonly activeTimeIntervals?: readonly string[];
  readonly routes?: readonly AlertRouteConfig[];
}

export interface InhibitRuleConfig {
  readonly sourceMatchers: readonly string[];
  readonly targetMatchers: readonly string[];
  /** Labels that must be equal on source and target (an absent label counts as equal). */
  readonly equal: readonly string[];
}

/** One Alertmanager `time_interval` entry; every field optional, as in Alertmanager. */
export interface TimeRangeConfig {
  readonly times?: readonly { readonly startTime: string; readonly endTime: string }[];
  readonly weekdays?: readonly string[];
  readonly daysOfMonth?: readonly string[];
  readonly months?: readonly string[];
  readonly years?: readonly string[];
  /** IANA time zone, e.g. Asia/Shanghai. @default UTC */
  readonly location?: string;
}

export interface TimeIntervalConfig {
  readonly name: string;
  readonly intervals: readonly TimeRangeConfig[];
}

/** The `alerting:` section: receivers and the routing tree of the stack's Alertmanager. */
export interface AlertingConfig {
  /** Receivers; the names `default`, `page`, `ticket` and `watchdog` replace the built-in webhook receivers. */
  readonly receivers: readonly ReceiverConfig[];
  /** Timing of the root route (whose receiver is `default`). */
  readonly root?: RouteTiming;
  /** Child routes of the root. @default page → `page`, ticket → `ticket` */
  readonly routes?: readonly AlertRouteConfig[];
  /** @default a page inhibits the ticket of the same alert, cluster, namespace and SLO */
  readonly inhibitRules?: readonly InhibitRuleConfig[];
  readonly timeIntervals: readonly TimeIntervalConfig[];
  /**
   * Notification template files (`templates:` in the file: paths relative to its folder), read when
   * the config is loaded and mounted into Alertmanager.
   */
  readonly templates: readonly NotificationTemplate[];
}

/** A notification template file the user provides, by its file name. */
export interface NotificationTemplate {
  readonly name: string;
  readonly content: string;
}

/** The `scrape:` section: scrape targets of the user's, beside the generated jobs. */
export interface ScrapeTargetsConfig {
  /** Raw Prometheus `scrape_configs` entries, appended to the generated jobs (each needs a unique `job_name`). */
  readonly extraConfigs: readonly Record<string, unknown>[];
  /** Files or globs (relative to the config file's folder) of ServiceMonitor and PodMonitor objects, converted into scrape configs at synth. */
  readonly monitors: readonly InputFilesEntry[];
  /** With `networkPolicy.egress: strict`: where the scrapers may connect besides pods and kubelets (targets of `extraConfigs` outside the pod network). */
  readonly egress: readonly ScrapeEgressConfig[];
}

/** An address block and its TCP ports the scrapers may reach. */
export interface ScrapeEgressConfig {
  readonly cidr: string;
  readonly ports: readonly number[];
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
  /** Namespace of the ingress controller, admitted to exposed components only. */
  readonly ingressNamespace?: string;
}

/** How Argo CD gets the stack: one ApplicationSet (list generator) or one Application per cluster. */
export const GITOPS_MODES = ['applicationset', 'applications'] as const;
/** Who applies `dist/`: Argo CD (`dist/argocd/`) or Flux (`dist/flux/`). */
export const GITOPS_FLAVORS = ['argocd', 'flux'] as const;
export type GitopsFlavor = (typeof GITOPS_FLAVORS)[number];
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
  /** @default argocd */
  readonly flavor: GitopsFlavor;
  /** Git repository that holds the committed `dist/`. */
  readonly repoURL: string;
  /**
   * Branch, tag or commit Argo CD follows. Flux follows a branch (a plain name) or a full reference
   * (`refs/tags/v1`, `refs/heads/main`); `HEAD` means the repository's default branch to Argo CD
   * only, so Flux needs one named. @default HEAD
   */
  readonly targetRevision: string;
  /** Repository-relative folder holding `<cluster>/` folders. @default dist */
  readonly path: string;
  /** @default applicationset */
  readonly mode: GitopsMode;
  /** AppProject name. @default the stack name */
  readonly project?: string;
  /** Namespace Argo CD runs in, where its Applications and AppProject live. @default argocd */
  readonly argocdNamespace: string;
  /** Namespace Flux runs in, where its GitRepository and Kustomizations live. @default flux-system */
  readonly fluxNamespace: string;
  /** Flux only: a Secret in `fluxNamespace` with the Git credentials (the GitRepository's `secretRef`). */
  readonly fluxSecretName?: string;
  /**
   * Per cluster name. @default one cluster: the in-cluster server `https://kubernetes.default.svc`;
   * several: `{ name: <cluster name> }`.
   */
  readonly destinations: Readonly<Record<string, GitopsDestination>>;
}

/** A file in a Secret the user owns (never synthesized): the Secret's name and the key of the file. */
export interface SecretKeyRef {
  readonly secret: string;
  readonly key: string;
}
