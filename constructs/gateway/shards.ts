import { READ } from '../workload.ts';

/** Headless Service of the gateway's sharded tiers; the load_balancing exporters resolve its EndpointSlices. */
export const LOAD_BALANCED_SERVICE = 'otel-gateway-lb';

/** The load_balancing exporter's k8s resolver watches EndpointSlices. */
export const K8S_RESOLVER_RULES = [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ }];

/** The receiver of a sharded tier, on its own port of the pod IP. */
export function shardReceiver(port: number): object {
  return { protocols: { grpc: { endpoint: `\${env:MY_POD_IP}:${port}` } } };
}

/** A load_balancing exporter to a sharded tier's port on every replica, by `routingKey` (queue settings come from the composition). */
export function shardExporter(routingKey: 'traceID' | 'service', namespace: string, port: number): object {
  return {
    routing_key: routingKey,
    protocol: { otlp: { tls: { insecure: true } } },
    resolver: { k8s: { service: `${LOAD_BALANCED_SERVICE}.${namespace}`, ports: [port] } },
  };
}
