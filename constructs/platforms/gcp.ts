import type { PlatformProfile } from './profile.ts';

/** Google GKE: the `gcp` detector recognises GKE and sets `cloud.platform=gcp_kubernetes_engine`. */
export const gcp: PlatformProfile = {
  cloudProvider: 'gcp',
  detectors: ['env', 'gcp'],
  staticResourceAttributes: {},
};
