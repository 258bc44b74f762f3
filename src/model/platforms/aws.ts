import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * AWS EKS. Detectors: `eks` before `ec2`, the order the resource_detection README gives. Storage:
 * gp3 through the EBS CSI driver (EKS ≥ 1.30 marks no class as default, so name it). Identity:
 * IRSA annotates the ServiceAccount; EKS Pod Identity needs no annotation (an association made
 * outside the cluster). S3 credentials then come from the environment.
 */
export const aws: PlatformProfile = {
  cloudProvider: 'aws',
  detectors: ['env', 'eks', 'ec2'],
  staticResourceAttributes: { 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks' },
  identityEgress: [{ cidr: '169.254.170.23/32', ports: [{ port: 80 }], why: 'EKS Pod Identity agent (credentials for S3); IRSA uses STS over HTTPS' }],
  detectionEgress: [{ cidr: '169.254.169.254/32', ports: [{ port: 80 }], why: 'EC2 instance metadata (IMDS) read by the eks and ec2 detectors' }],
  defaultStorageClass: 'gp3',
  objectStorageTypes: ['s3', 'filesystem'],
  identityKeys: ['awsRoleArn', 'awsPodIdentity'],
  identityBinding: (identity) =>
    identity?.awsRoleArn ? { ...NO_IDENTITY, serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': identity.awsRoleArn } } : NO_IDENTITY,
  otlpServiceAnnotations: {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
  },
  // EKS (1.28+) serves the scheduler's and controller-manager's metrics through the API server
  // (docs.aws.amazon.com/eks/latest/userguide/view-raw-metrics.html); etcd stays hidden.
  controlPlane: [
    { job: 'kube-scheduler', via: 'apiServer', path: '/apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics', rbac: { apiGroup: 'metrics.eks.amazonaws.com', resource: 'ksh/metrics' } },
    { job: 'kube-controller-manager', via: 'apiServer', path: '/apis/metrics.eks.amazonaws.com/v1/kcm/container/metrics', rbac: { apiGroup: 'metrics.eks.amazonaws.com', resource: 'kcm/metrics' } },
  ],
};
