import { NO_IDENTITY, type PlatformProfile } from './profile.ts';

/**
 * On-prem: no metadata service to ask (only what users set in `OTEL_RESOURCE_ATTRIBUTES`), no
 * default StorageClass worth trusting (the config must name one), no workload identity; object
 * storage is a filesystem on PVCs or an S3-compatible store such as MinIO.
 */
export const onprem: PlatformProfile = {
  detectors: ['env'],
  staticResourceAttributes: {},
  identityEgress: [],
  detectionEgress: [],
  objectStorageTypes: ['filesystem', 's3'],
  identityKeys: [],
  identityBinding: () => NO_IDENTITY,
  otlpServiceAnnotations: {},
};
