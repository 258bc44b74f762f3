import { parseDuration } from '../../src/duration.ts';
import type { TailSamplingConfig } from '../../src/model/types.ts';
import type { GatewayFragment } from './fragment.ts';
import { K8S_RESOLVER_RULES, shardExporter, shardReceiver } from './shards.ts';

/** Port of the gateway's second tier (trace-ID sharded, tail-sampled) receiver. */
export const LOAD_BALANCED_PORT = 4320;
/** Where traces enter the second tier. */
export const LOAD_BALANCED_ENTRY = 'load_balancing/traces';

export interface LoadBalancedTracesInputs {
  /** Namespace of the gateway (and of its headless Service). */
  readonly namespace: string;
  readonly tailSampling: TailSamplingConfig;
  /** Where sampled traces go: an exporter or connector another fragment defines. */
  readonly deliver: string;
}

/**
 * Trace-ID load balancing: every span of a trace reaches the same replica, whose `traces/sampled`
 * pipeline tail-samples (when enabled) whole traces: errors, slow ones, a share of the rest.
 */
export function loadBalancedTracesFragment({ namespace, tailSampling, deliver }: LoadBalancedTracesInputs): GatewayFragment {
  return {
    name: 'load balancing',
    receivers: { 'otlp/load_balanced': shardReceiver(LOAD_BALANCED_PORT) },
    processors: tailSampling.enabled
      ? {
          tail_sampling: {
            decision_wait: '30s',
            num_traces: 50000,
            policies: [
              { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
              { name: 'slow', type: 'latency', latency: { threshold_ms: parseDuration(tailSampling.slowerThan)! * 1000 } },
              { name: 'sample-rest', type: 'probabilistic', probabilistic: { sampling_percentage: tailSampling.percentage } },
            ],
          },
        }
      : {},
    // All spans of a trace must reach the same replica for tail sampling to see the whole trace.
    exporters: { [LOAD_BALANCED_ENTRY]: shardExporter('traceID', namespace, LOAD_BALANCED_PORT) },
    pipelines: {
      'traces/sampled': { receivers: ['otlp/load_balanced'], processors: tailSampling.enabled ? ['tail_sampling'] : [], exporters: [deliver] },
    },
    shardPorts: [{ name: 'otlp-lb', port: LOAD_BALANCED_PORT }],
    rbac: K8S_RESOLVER_RULES,
  };
}
