import type * as k8s from '../imports/k8s.ts';
import type { StackContext } from './common.ts';
import type { Flow, Peer } from './network-policy.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import type { EgressAllowance } from '../src/model/platforms/profile.ts';
import type { ClusterConfig, ObjectStorageConfig } from '../src/model/types.ts';

/**
 * Tempo's and Loki's storage blocks for each object storage type: pure functions of the cluster,
 * its `objectStorage` and whether workload identity gives a federated token (Azure). Keys follow
 * Tempo 3 (`storage.trace`) and Loki 3 (`common.storage`, `schema_config`).
 */

/** Port the stores are reached on, for NetworkPolicy egress; undefined for the filesystem. */
function objectStoragePort(storage: ObjectStorageConfig | undefined): number | undefined {
  if (!storage || storage.type === 'filesystem') return undefined;
  const port = storage.endpoint?.split(':')[1];
  return port ? Number(port) : storage.insecure ? 80 : 443;
}

/** `oss-<region>.aliyuncs.com` unless given: OSS needs virtual-hosted style on the regional endpoint. */
function ossEndpoint(cluster: ClusterConfig, storage: ObjectStorageConfig): string {
  return storage.endpoint ?? `oss-${cluster.region}.aliyuncs.com`;
}

/** Tempo `storage.trace` without the WAL. */
export function tempoTraceStorage(cluster: ClusterConfig, storage: ObjectStorageConfig | undefined, federatedToken: boolean): object {
  switch (storage?.type ?? 'filesystem') {
    case 'filesystem':
      return { backend: 'local', local: { path: '/var/tempo/blocks' } };
    case 's3':
      return {
        backend: 's3',
        s3: storage!.endpoint
          ? // MinIO and other S3-compatible stores: path-style requests.
            { bucket: storage!.traces, endpoint: storage!.endpoint, region: cluster.region, forcepathstyle: true, insecure: storage!.insecure ?? false }
          : { bucket: storage!.traces, endpoint: `s3.${cluster.region}.amazonaws.com`, region: cluster.region },
      };
    case 'oss':
      // Through Tempo's S3 client: path-style requests fail with SecondLevelDomainForbidden on OSS.
      return {
        backend: 's3',
        s3: { bucket: storage!.traces, endpoint: ossEndpoint(cluster, storage!), region: cluster.region, forcepathstyle: false, bucket_lookup_type: 1 },
      };
    case 'azure':
      return { backend: 'azure', azure: { storage_account_name: storage!.storageAccount, container_name: storage!.traces, use_federated_token: federatedToken } };
    case 'gcs':
      return { backend: 'gcs', gcs: { bucket_name: storage!.traces } };
  }
}

/** Loki's `common.storage` and the matching `object_store` name for schema and compactor. */
export function lokiStorage(cluster: ClusterConfig, storage: ObjectStorageConfig | undefined, federatedToken: boolean): { common: object; objectStore: string } {
  switch (storage?.type ?? 'filesystem') {
    case 'filesystem':
      return { common: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } }, objectStore: 'filesystem' };
    case 's3':
      return {
        common: {
          s3: storage!.endpoint
            ? { bucketnames: storage!.logs, endpoint: storage!.endpoint, region: cluster.region, s3forcepathstyle: true, insecure: storage!.insecure ?? false }
            : { bucketnames: storage!.logs, region: cluster.region },
        },
        objectStore: 's3',
      };
    case 'oss':
      // Loki's native OSS client; the keys come from the environment (`-config.expand-env`).
      return {
        common: {
          alibabacloud: {
            bucket: storage!.logs,
            endpoint: ossEndpoint(cluster, storage!),
            access_key_id: '${OSS_ACCESS_KEY_ID}',
            secret_access_key: '${OSS_ACCESS_KEY_SECRET}',
          },
        },
        objectStore: 'alibabacloud',
      };
    case 'azure':
      return { common: { azure: { account_name: storage!.storageAccount, container_name: storage!.logs, use_federated_token: federatedToken } }, objectStore: 'azure' };
    case 'gcs':
      return { common: { gcs: { bucket_name: storage!.logs } }, objectStore: 'gcs' };
  }
}

/** Whether Loki's config holds `${VAR}` references to expand at start-up. */
export function lokiExpandsEnv(storage: ObjectStorageConfig | undefined): boolean {
  return storage?.type === 'oss';
}

/**
 * Environment variables with access keys from the user's Secret (keys `access-key-id`,
 * `secret-access-key`), for stores without workload identity: S3 clients read the AWS_* names,
 * Loki's OSS config reads the OSS_* names.
 */
function objectStorageCredentialEnv(storage: ObjectStorageConfig | undefined, names: { id: string; secret: string }): k8s.EnvVar[] {
  if (!storage?.credentialsSecret) return [];
  const from = (key: string) => ({ secretKeyRef: { name: storage.credentialsSecret!, key } });
  return [
    { name: names.id, valueFrom: from('access-key-id') },
    { name: names.secret, valueFrom: from('secret-access-key') },
  ];
}

/** Variable names each component's client reads its access keys from. */
export const CREDENTIAL_ENV = {
  /** Tempo's S3 client (also used for OSS) reads the standard AWS variables. */
  tempo: { id: 'AWS_ACCESS_KEY_ID', secret: 'AWS_SECRET_ACCESS_KEY' },
  loki: (storage: ObjectStorageConfig | undefined) =>
    storage?.type === 'oss' ? { id: 'OSS_ACCESS_KEY_ID', secret: 'OSS_ACCESS_KEY_SECRET' } : { id: 'AWS_ACCESS_KEY_ID', secret: 'AWS_SECRET_ACCESS_KEY' },
} as const;

/** Everything a component that reads the cluster's object storage adds to its objects. */
export interface ObjectStorageAccess {
  readonly storage: ObjectStorageConfig | undefined;
  readonly useFederatedToken: boolean;
  readonly serviceAccountAnnotations: Record<string, string>;
  readonly podLabels: Record<string, string>;
  /** User-owned Secrets read (the access keys). */
  readonly externalSecrets: string[];
  readonly env: k8s.EnvVar[];
  /** Flows from `self` to the store; none for the filesystem. */
  egress(self: Peer): Flow[];
  /** With strict egress: the platform endpoints workload identity needs (none without object storage). */
  readonly identityEgress: readonly EgressAllowance[];
}

/** Workload identity, access keys and egress for Tempo or Loki in this cluster. */
export function objectStorageAccess(ctx: StackContext, credentialEnv: { id: string; secret: string }): ObjectStorageAccess {
  const storage = ctx.cluster.objectStorage;
  const identity = platformProfile(ctx.cluster.cloud).identityBinding(ctx.cluster.identity);
  const port = objectStoragePort(storage);
  return {
    storage,
    useFederatedToken: identity.useFederatedToken,
    serviceAccountAnnotations: { ...identity.serviceAccountAnnotations },
    podLabels: { ...identity.podLabels },
    externalSecrets: storage?.credentialsSecret ? [storage.credentialsSecret] : [],
    env: objectStorageCredentialEnv(storage, credentialEnv),
    egress: (self) => (port ? [{ from: self, to: { internet: true }, ports: [port], why: `${storage!.type} object storage` }] : []),
    identityEgress: port ? platformProfile(ctx.cluster.cloud).identityEgress : [],
  };
}
