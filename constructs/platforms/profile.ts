import type { IdentityConfig, ObjectStorageType } from '../../src/config/types.ts';

/** What workload identity adds to the objects of a component that reads object storage. */
export interface IdentityBinding {
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Azure: Loki and Tempo must read the projected federated token. */
  readonly useFederatedToken: boolean;
}

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
   * Resource attributes no detector provides on this cloud, inserted (never overwritten) by the
   * gateway, e.g. `cloud.provider` on Alibaba, which has no ACK detector.
   */
  readonly staticResourceAttributes: Readonly<Record<string, string>>;
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
}

export const NO_IDENTITY: IdentityBinding = { serviceAccountAnnotations: {}, podLabels: {}, namespaceLabels: {}, useFederatedToken: false };
