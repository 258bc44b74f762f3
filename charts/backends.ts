import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { StackContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { Loki } from '../constructs/loki.ts';
import { remoteQueryPeers } from '../constructs/network-policy.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { Tempo } from '../constructs/tempo.ts';

/** Storage backends for traces (Tempo) and logs (Loki). */
export class BackendsChart extends Chart {
  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const ns = config.namespace;
    const remoteReaders = remoteQueryPeers(ctx);
    new Tempo(this, 'tempo', ctx, {
      namespace: ns,
      retention: config.components.tempo.retention,
      storage: config.components.tempo.storage,
      prometheus: { service: 'prometheus', port: PROMETHEUS_PORT },
      remoteReaders,
      overrides: overridesFor(ctx, 'tempo'),
    });
    new Loki(this, 'loki', ctx, {
      namespace: ns,
      retention: config.components.loki.retention,
      storage: config.components.loki.storage,
      remoteReaders,
      overrides: overridesFor(ctx, 'loki'),
    });
  }
}
