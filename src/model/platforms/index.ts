import type { Cloud } from '../types.ts';
import { alibaba } from './alibaba.ts';
import { aws } from './aws.ts';
import { azure } from './azure.ts';
import { gcp } from './gcp.ts';
import { onprem } from './onprem.ts';
import type { PlatformProfile } from './profile.ts';

export type { PlatformProfile } from './profile.ts';

const PROFILES: Record<Cloud, PlatformProfile> = { aws, alibaba, azure, gcp, onprem };

export function platformProfile(cloud: Cloud): PlatformProfile {
  return PROFILES[cloud];
}
