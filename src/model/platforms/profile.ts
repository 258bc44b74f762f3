import type { IdentityConfig, ObjectStorageType } from '../types.ts';
import type { ControlPlaneJob } from '../../monitoring/metric-catalogue.ts';
import type { PortRef } from '../network.ts';

/** An address outside the pod network that a component needs when egress is strict. */
export interface EgressAllowance {
  readonly cidr: string;
  readonly ports: readonly PortRef[];
  /** Why, in the words of the platform's documentation. */
  readonly why: string;
}

/** What workload identity adds to the objects of a component that reads object storage. */
export interface IdentityBinding {
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Azure: Loki and Tempo must read the projected federated token. */
  readonly useFederatedToken: boolean;
}

/**
 * A control-plane component the scrapers can reach on this cloud, and how. Managed control planes
 * hide theirs (no entry: no job, and no alert that would need one).
 */
export type ControlPlaneScrape =
  /** Through the API server (the `kubernetes` Service), at `path`, with the scraper's token; `rbac` is what reading it needs. */
  | { readonly job: ControlPlaneJob; readonly via: 'apiServer'; readonly path: string; readonly rbac: { readonly apiGroup: string; readonly resource: string } }
  /** On the addresses of the nodes labelled `node-role.kubernetes.io/control-plane`. */
  | { readonly job: ControlPlaneJob; readonly via: 'controlPlaneNodes'; readonly scheme: 'http' | 'https'; readonly port: number };

/** What differs between clouds, resolved per cluster. One small module per cloud implements it. */
export interface PlatformProfile {
  /** OpenTelemetry `cloud.provider` value; undefined on-prem, which has none. */
  readonly cloudProvider?: string;
  /**
   * `resource_detection` detectors for the gateway, in precedence order (the first detector to
   * set an attribute wins). `env` first: what users set explicitly beats what is detected.
   */
  readonly detectors: readonly string[];
  /**
   * `cloud.provider` and `cloud.platform`, known at synth time: the gateway and the agents set them
   * (with `cloud.region` and `k8s.cluster.name`) before any detector runs, so routing by
   * `cloud.provider` never depends on reaching an instance metadata service.
   */
  readonly staticResourceAttributes: Readonly<Record<string, string>>;
  /**
   * With strict egress: what pods using workload identity (Loki, Tempo) must reach to get
   * credentials, besides the cloud's HTTPS endpoints.
   */
  readonly identityEgress: readonly EgressAllowance[];
  /** With strict egress: what the gateway's resource detectors read (instance metadata), to enrich. */
  readonly detectionEgress: readonly EgressAllowance[];
  /** StorageClass of the cloud's managed Kubernetes; undefined on-prem, where the config must name one. */
  readonly defaultStorageClass?: string;
  /** Object storage types Tempo and Loki can use on this cloud. */
  readonly objectStorageTypes: readonly ObjectStorageType[];
  /** Keys of `identity` that mean something on this cloud. */
  readonly identityKeys: readonly (keyof IdentityConfig)[];
  /** Workload identity wiring for a ServiceAccount, from the cluster's `identity`. */
  identityBinding(identity: IdentityConfig | undefined): IdentityBinding;
  /** Annotations for the Service exposing the cross-cluster OTLP endpoint: an internal load balancer. */
  readonly otlpServiceAnnotations: Readonly<Record<string, string>>;
  /** Control-plane components scraped besides the API server (which every cloud exposes). */
  readonly controlPlane: readonly ControlPlaneScrape[];
}

export const NO_IDENTITY: IdentityBinding = { serviceAccountAnnotations: {}, podLabels: {}, namespaceLabels: {}, useFederatedToken: false };
