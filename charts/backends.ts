import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { SIZE_PRESETS } from '../src/config/sizes.ts';
import { Loki } from '../constructs/loki.ts';
import { remoteQueryPeers } from '../constructs/network-policy.ts';
import { metricsEndpoints } from './metrics-endpoints.ts';
import { Tempo } from '../constructs/tempo.ts';

/** Storage backends for traces (Tempo) and logs (Loki). */
export class BackendsChart extends Chart {
  readonly tempo: Tempo;
  readonly loki: Loki;

  constructor(scope: Construct, id: string, ctx: ChartContext) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = ctx;
    const ns = config.namespace;
    const remoteReaders = remoteQueryPeers(ctx);
    this.tempo = new Tempo(this, 'tempo', ctx, {
      namespace: ns,
      retention: config.components.tempo.retention,
      storage: config.components.tempo.storage,
      prometheus: metricsEndpoints(ctx).remoteWrite,
      remoteReaders,
      spanMetricsInGateway: config.scale.spanMetricsInGateway,
      overrides: overridesFor(ctx, 'tempo'),
    });
    this.loki = new Loki(this, 'loki', ctx, {
      namespace: ns,
      retention: config.components.loki.retention,
      storage: config.components.loki.storage,
      limits: SIZE_PRESETS[config.size].lokiLimits,
      remoteReaders,
      overrides: overridesFor(ctx, 'loki'),
    });
  }
}
