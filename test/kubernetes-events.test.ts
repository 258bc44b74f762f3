import { describe, expect, it } from 'vitest';
import { stackContext } from '../constructs/common.ts';
import { EVENTS_LEASE } from '../constructs/gateway/events.ts';
import { gatewayConfig, gatewaySettings } from '../constructs/otel-gateway.ts';
import { parseConfig } from '../src/config/load.ts';
import { collectorConfigViolations } from './support/manifest-checks.ts';

// Kubernetes events into Loki through the gateway. The collector binary does not exist here: the
// component types and keys are checked against the contrib sources the 0.159 reference points at
// (shared/reference/otel-collector-0.159-components.json lists both modules, without their config),
// read at these files:
//   receiver/k8sobjectsreceiver/internal/metadata/generated_status.go: Type "k8s_objects", DeprecatedType "k8sobjects"
//   receiver/k8sobjectsreceiver/config.schema.yaml: auth_type (k8sconfig.api_config), k8s_leader_elector,
//     objects[].{name, group, mode, namespaces, field_selector, label_selector, interval, exclude_watch_type, ...}
//   extension/k8sleaderelector/internal/metadata/generated_status.go: Type "k8s_leader_elector"
//   extension/k8sleaderelector/README.md and config.schema.yaml: auth_type, lease_name and lease_namespace required;
//     lease_duration, renew_deadline, retry_period optional
const K8S_OBJECTS_KEYS = ['auth_type', 'k8s_leader_elector', 'objects', 'error_mode', 'include_initial_state', 'storage', 'context'];
const OBJECT_KEYS = ['name', 'group', 'mode', 'namespaces', 'field_selector', 'label_selector', 'interval', 'exclude_watch_type', 'resource_version', 'exclude_namespaces', 'persist_resource_version'];
const LEADER_ELECTOR_REQUIRED = ['auth_type', 'lease_name', 'lease_namespace'];
const LEADER_ELECTOR_KEYS = [...LEADER_ELECTOR_REQUIRED, 'lease_duration', 'renew_deadline', 'retry_period', 'context'];
const AUTH_TYPES = ['none', 'serviceAccount', 'kubeConfig', 'tls'];

interface Pipeline { receivers: string[]; processors: string[]; exporters: string[] }
interface GatewayConfig {
  receivers: Record<string, Record<string, unknown> & { objects?: Record<string, unknown>[] }>;
  extensions: Record<string, Record<string, unknown>>;
  service: { extensions: string[]; pipelines: Record<string, Pipeline> };
}

const props = { namespace: 'observability', agentNamespace: 'observability-agent', tempo: { service: 'tempo', port: 4317 }, loki: { service: 'loki', port: 3100 }, prometheus: { service: 'prometheus', port: 9090 } };

describe.each([
  ['a single cluster', 'clusters: [{ name: local, cloud: onprem, region: dc1, storageClass: standard }]\n'],
  [
    'a workload cluster of a multi-cloud stack',
    `clusters:
  - { name: apps, cloud: aws, region: eu-west-1 }
  - { name: backend, cloud: aws, region: eu-west-1, roles: [backend, grafana], otlpEndpoint: "otlp.example.com:4317" }
`,
  ],
])('the gateway of %s collects Kubernetes events', (_, yaml) => {
  const ctx = stackContext(parseConfig(yaml, 'o11y.yaml'));
  const config = gatewayConfig(ctx, { ...props, ...gatewaySettings(ctx.config) }) as GatewayConfig;

  it('with the k8s_objects receiver watching events.k8s.io Events, under the leader elector', () => {
    const receiver = config.receivers.k8s_objects!;
    expect(Object.keys(receiver).filter((k) => !K8S_OBJECTS_KEYS.includes(k))).toEqual([]);
    expect(AUTH_TYPES).toContain(receiver.auth_type);
    expect(receiver.objects).toEqual([{ name: 'events', group: 'events.k8s.io', mode: 'watch' }]);
    for (const o of receiver.objects!) expect(Object.keys(o).filter((k) => !OBJECT_KEYS.includes(k))).toEqual([]);
    expect(receiver.k8s_leader_elector).toBe('k8s_leader_elector');
  });

  it('one replica at a time: the elector holds one lease in the stack namespace and is enabled', () => {
    const elector = config.extensions.k8s_leader_elector!;
    expect(LEADER_ELECTOR_REQUIRED.filter((k) => elector[k] === undefined)).toEqual([]);
    expect(Object.keys(elector).filter((k) => !LEADER_ELECTOR_KEYS.includes(k))).toEqual([]);
    expect(elector).toMatchObject({ auth_type: 'serviceAccount', lease_name: EVENTS_LEASE, lease_namespace: 'observability' });
    expect(config.service.extensions).toContain('k8s_leader_elector');
  });

  it('into the logs, routed like every other log record, with the cluster\'s attributes', () => {
    const withEvents = Object.entries(config.service.pipelines).filter(([, p]) => p.receivers.includes('k8s_objects'));
    expect(withEvents.map(([id]) => id)).toEqual(['logs/events']);
    const events = withEvents[0]![1];
    const otlpLogs = config.service.pipelines['logs/in']!;
    expect(events.exporters).toEqual(otlpLogs.exporters);
    expect(events.processors).toEqual(['memory_limiter', 'resource/cluster']);
    expect(collectorConfigViolations(config)).toEqual([]);
  });
});
