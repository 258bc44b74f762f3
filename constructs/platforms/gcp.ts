import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * Google GKE. The `gcp` detector recognises GKE (`cloud.platform=gcp_kubernetes_engine`). Storage:
 * `standard-rwo` (pd-balanced; Hyperdisk-only machine series such as Axion need a hyperdisk class:
 * set `storageClass`). Identity: GKE Workload Identity annotates the ServiceAccount.
 */
export const gcp: PlatformProfile = {
  cloudProvider: 'gcp',
  detectors: ['env', 'gcp'],
  staticResourceAttributes: {},
  defaultStorageClass: 'standard-rwo',
  objectStorageTypes: ['gcs', 'filesystem'],
  identityKeys: ['gcpServiceAccount'],
  identityBinding: (identity) =>
    identity?.gcpServiceAccount ? { ...NO_IDENTITY, serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': identity.gcpServiceAccount } } : NO_IDENTITY,
  otlpServiceAnnotations: { 'networking.gke.io/load-balancer-type': 'Internal' },
};
