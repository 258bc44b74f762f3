import { exportersFor, routingTable, SIGNALS, type LocalBackends, type RoutingScope, type Signal } from '../../src/routing/gateway.ts';
import type { GatewayFragment } from './fragment.ts';

/** Where a signal enters the routing: its routing connector. */
export function routingEntry(signal: Signal): string {
  return `routing/${signal}`;
}

/**
 * Routing by cloud: per signal a routing connector (src/routing/gateway.ts) and one pipeline per
 * cloud with a backend, ending at that cloud's exporter (the local backends, or the cloud's OTLP
 * endpoint, which other fragments define).
 */
export function routingFragment(scope: RoutingScope, local: LocalBackends): GatewayFragment {
  return {
    name: 'routing',
    connectors: Object.fromEntries(SIGNALS.map((signal) => [routingEntry(signal), routingTable(scope, signal)])),
    pipelines: Object.fromEntries(
      SIGNALS.flatMap((signal) =>
        scope.topology.backendClouds.map((cloud) => [`${signal}/${cloud}`, { receivers: [routingEntry(signal)], exporters: [exportersFor(scope, cloud, local)[signal]] }]),
      ),
    ),
  };
}
