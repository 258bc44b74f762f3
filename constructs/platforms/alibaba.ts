import type { PlatformProfile } from './profile.ts';

/**
 * Alibaba Cloud ACK. There is no ACK detector and no `cloud.platform` value for ACK, so the
 * provider and platform are set explicitly; `alibaba_ecs` still fills in region, zone and host.
 */
export const alibaba: PlatformProfile = {
  cloudProvider: 'alibaba_cloud',
  detectors: ['env', 'alibaba_ecs'],
  staticResourceAttributes: { 'cloud.provider': 'alibaba_cloud', 'cloud.platform': 'alibaba_cloud_ack' },
};
