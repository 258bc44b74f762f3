import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * Alibaba Cloud ACK. There is no ACK detector and no `cloud.platform` value for ACK, so the
 * provider and platform are set explicitly; `alibaba_ecs` still fills in region, zone and host.
 * Storage: `alicloud-disk-topology-alltype` (ESSD, falling back to SSD, WaitForFirstConsumer).
 * Object storage: OSS, natively in Loki and through S3 virtual-hosted style in Tempo; RRSA is
 * wired (namespace label + role annotation) but Loki/Tempo OSS access by RRSA is unproven, so
 * OSS needs an AccessKey Secret.
 */
export const alibaba: PlatformProfile = {
  cloudProvider: 'alibaba_cloud',
  detectors: ['env', 'alibaba_ecs'],
  staticResourceAttributes: { 'cloud.provider': 'alibaba_cloud', 'cloud.platform': 'alibaba_cloud_ack' },
  identityEgress: [{ cidr: '100.100.100.200/32', ports: [{ port: 80 }], why: 'ECS metadata service: credentials of the node RAM role' }],
  detectionEgress: [{ cidr: '100.100.100.200/32', ports: [{ port: 80 }], why: 'ECS metadata service read by the alibaba_ecs detector' }],
  defaultStorageClass: 'alicloud-disk-topology-alltype',
  objectStorageTypes: ['oss', 'filesystem'],
  identityKeys: ['alibabaRamRole'],
  identityBinding: (identity) =>
    identity?.alibabaRamRole
      ? {
          ...NO_IDENTITY,
          serviceAccountAnnotations: { 'pod-identity.alibabacloud.com/role-name': identity.alibabaRamRole },
          namespaceLabels: { 'pod-identity.alibabacloud.com/injection': 'on' },
        }
      : NO_IDENTITY,
  otlpServiceAnnotations: { 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type': 'intranet' },
  // Managed control plane: scheduler, controller-manager and etcd are not reachable from the cluster.
  controlPlane: [],
};
