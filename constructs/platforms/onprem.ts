import type { PlatformProfile } from './profile.ts';

/** On-prem: no cloud metadata service to ask; only what users set through `OTEL_RESOURCE_ATTRIBUTES`. */
export const onprem: PlatformProfile = {
  detectors: ['env'],
  staticResourceAttributes: {},
};
