import type { PlatformProfile } from './profile.ts';

/** AWS EKS: the `eks` detector before `ec2`, the order the resource_detection README gives. */
export const aws: PlatformProfile = {
  cloudProvider: 'aws',
  detectors: ['env', 'eks', 'ec2'],
  staticResourceAttributes: {},
};
