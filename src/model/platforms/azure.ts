import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * Azure AKS. Detectors: `aks` (cluster) before `azure` (VM metadata). Storage: `managed-csi`.
 * Identity: Azure Workload Identity needs the client-id annotation on the ServiceAccount *and* the
 * `azure.workload.identity/use` label on the pod; Loki and Tempo then use the federated token.
 */
export const azure: PlatformProfile = {
  cloudProvider: 'azure',
  detectors: ['env', 'aks', 'azure'],
  staticResourceAttributes: { 'cloud.provider': 'azure', 'cloud.platform': 'azure.aks' },
  identityEgress: [],
  detectionEgress: [{ cidr: '169.254.169.254/32', ports: [{ port: 80 }], why: 'Azure Instance Metadata Service read by the aks and azure detectors' }],
  defaultStorageClass: 'managed-csi',
  objectStorageTypes: ['azure', 'filesystem'],
  identityKeys: ['azureClientId'],
  identityBinding: (identity) =>
    identity?.azureClientId
      ? {
          ...NO_IDENTITY,
          serviceAccountAnnotations: { 'azure.workload.identity/client-id': identity.azureClientId },
          podLabels: { 'azure.workload.identity/use': 'true' },
          useFederatedToken: true,
        }
      : NO_IDENTITY,
  otlpServiceAnnotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' },
  // Managed control plane: scheduler, controller-manager and etcd are not reachable from the cluster.
  controlPlane: [],
};
