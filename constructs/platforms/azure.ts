import type { PlatformProfile } from './profile.ts';

/** Azure AKS: `aks` (cluster) before `azure` (VM metadata). */
export const azure: PlatformProfile = {
  cloudProvider: 'azure',
  detectors: ['env', 'aks', 'azure'],
  staticResourceAttributes: {},
};
