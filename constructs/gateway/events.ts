import { READ } from '../workload.ts';
import type { GatewayFragment } from './fragment.ts';

/** The lease the event collector's leader election holds: only the replica holding it collects. */
export const EVENTS_LEASE = 'otel-gateway-events';

/**
 * Kubernetes events into Loki: the `k8s_objects` receiver watches events.k8s.io Events in one
 * gateway replica at a time (the `k8s_leader_elector` extension holds {@link EVENTS_LEASE}), so
 * that no event is stored once per replica; they take the cluster attributes and join the logs,
 * delivered like the rest (`deliver`: the routing connector or the logs exporter). The lease's
 * Role (create it, then renew only it) is the gateway's, beside its ClusterRole.
 */
export function eventsFragment(o: { namespace: string; deliver: string; redaction: readonly string[] }): GatewayFragment {
  return {
    name: 'kubernetes-events',
    extensions: { k8s_leader_elector: { auth_type: 'serviceAccount', lease_name: EVENTS_LEASE, lease_namespace: o.namespace } },
    receivers: {
      k8s_objects: { auth_type: 'serviceAccount', k8s_leader_elector: 'k8s_leader_elector', objects: [{ name: 'events', group: 'events.k8s.io', mode: 'watch' }] },
    },
    pipelines: { 'logs/events': { receivers: ['k8s_objects'], processors: ['resource/cluster', ...o.redaction], exporters: [o.deliver] } },
    rbac: [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ }],
  };
}
