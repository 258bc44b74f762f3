/** A port a network flow uses; what NetworkPolicies and platform allowances are made of. */
export interface PortRef {
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP';
}
