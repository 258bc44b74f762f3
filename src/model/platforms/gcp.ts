import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * Google GKE. The `gcp` detector recognises GKE (`cloud.platform=gcp_kubernetes_engine`). Storage:
 * `standard-rwo` (pd-balanced; Hyperdisk-only machine series such as Axion need a hyperdisk class:
 * set `storageClass`). Identity: GKE Workload Identity annotates the ServiceAccount.
 */
export const gcp: PlatformProfile = {
  cloudProvider: 'gcp',
  detectors: ['env', 'gcp'],
  staticResourceAttributes: { 'cloud.provider': 'gcp', 'cloud.platform': 'gcp_kubernetes_engine' },
  identityEgress: [
    { cidr: '169.254.169.254/32', ports: [{ port: 80 }], why: 'GKE metadata server: Workload Identity tokens for GCS' },
    { cidr: '169.254.169.252/32', ports: [{ port: 988 }], why: 'GKE metadata server on GKE Dataplane V2 (GKE documents this egress for network policies)' },
  ],
  detectionEgress: [{ cidr: '169.254.169.254/32', ports: [{ port: 80 }], why: 'GCE metadata server read by the gcp detector' }],
  defaultStorageClass: 'standard-rwo',
  objectStorageTypes: ['gcs', 'filesystem'],
  identityKeys: ['gcpServiceAccount'],
  identityBinding: (identity) =>
    identity?.gcpServiceAccount ? { ...NO_IDENTITY, serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': identity.gcpServiceAccount } } : NO_IDENTITY,
  otlpServiceAnnotations: { 'networking.gke.io/load-balancer-type': 'Internal' },
  // Managed control plane: scheduler, controller-manager and etcd are not reachable from the cluster.
  controlPlane: [],
};
