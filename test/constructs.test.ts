import { describe, expect, it } from 'vitest';
import { alertDelivery, BUILTIN_RECEIVERS } from '../src/alerting/alertmanager-config.ts';
import { archScheduling, stackContext, type ChartContext } from '../constructs/common.ts';
import { grafanaDatasources } from '../constructs/grafana.ts';
import { lokiConfig } from '../constructs/loki.ts';
import { lokiStorage } from '../constructs/object-storage.ts';
import { agentConfig } from '../constructs/otel-agent.ts';
import { sendingQueue } from '../constructs/otel-collector.ts';
import { gatewayConfig, gatewaySettings } from '../constructs/otel-gateway.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import { prometheusConfig, retentionSize, scrapeConfigs } from '../constructs/prometheus.ts';
import { EXEMPLAR_TRACE_ID_LABELS, spanMetricsSeries } from '../src/model/span-metrics.ts';
import { tempoConfig } from '../constructs/tempo.ts';
import { parseConfig } from '../src/config/load.ts';
import { CLOUDS, type ArchSpread, type Cloud } from '../src/model/types.ts';
import { datasourceUids } from '../src/dashboards/datasources.ts';
import { collectorConfigViolations } from './support/manifest-checks.ts';

function context(extra = '', cloud: Cloud = 'onprem'): ChartContext {
  const config = parseConfig(`clusters: [{ name: c1, cloud: ${cloud}, region: r1, storageClass: standard }]\n${extra}`, 'test.yaml');
  return stackContext(config);
}

const backend = (service: string, port: number) => ({ service, port });

describe('retentionSize keeps 85% of the volume for TSDB blocks', () => {
  it.each([
    ['50Gi', '43520MB'],
    ['1Ti', '891289MB'],
    ['512Mi', '435MB'],
    ['1Ki', '1MB'],
  ])('%s → %s', (storage, expected) => expect(retentionSize(storage)).toBe(expected));

  it('refuses a size that is not a binary quantity', () => expect(() => retentionSize('50GB')).toThrow(/not a binary storage quantity/));
});

describe('archScheduling', () => {
  const labels = { 'app.kubernetes.io/name': 'x' };
  it.each<[string, string, boolean, string | undefined, boolean]>([
    // architectures, spread setting, workload spreads, expected whenUnsatisfiable, arm64 toleration
    ['[amd64, arm64]', 'preferred', true, 'ScheduleAnyway', true],
    ['[amd64, arm64]', 'required', true, 'DoNotSchedule', true],
    ['[amd64, arm64]', 'none', true, undefined, true],
    ['[amd64, arm64]', 'required', false, undefined, true],
    ['[amd64]', 'required', true, undefined, false],
    ['[arm64]', 'preferred', true, undefined, true],
  ])('architectures %s, spread %s, multi-replica %s', (archs, spread, multi, when, tolerates) => {
    const ctx = context(`architectures: ${archs}\nspreadAcrossArchitectures: ${spread as ArchSpread}\n`);
    const s = archScheduling(ctx, labels, { spread: multi });
    const term = s.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!;
    expect(term.matchExpressions).toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: [...ctx.architectures] }]);
    expect(s.topologySpreadConstraints?.[0]?.whenUnsatisfiable).toBe(when);
    if (when) expect(s.topologySpreadConstraints![0]!.labelSelector).toEqual({ matchLabels: labels });
    expect(s.tolerations?.some((t) => t.key === 'kubernetes.io/arch' && t.value === 'arm64' && t.effect === 'NoSchedule') ?? false).toBe(tolerates);
  });
});

describe('prometheusConfig', () => {
  const props = {
    namespace: 'observability',
    agentNamespace: 'observability-agent',
    retention: '15d',
    storage: '50Gi',
    ruleConfigMaps: ['prometheus-rules-stack'],
    remoteWrite: [],
    alertmanager: { service: 'alertmanager', headlessService: 'alertmanager-headless', replicas: 3, port: 9093 },
    clients: [],
  };
  type Config = {
    global: { external_labels: Record<string, string> };
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: { job_name: string; kubernetes_sd_configs: { role: string }[]; metrics_path?: string }[];
    rule_files: string[];
  };

  it.each(CLOUDS)('always sets cluster, cloud and region external labels (%s)', (cloud) => {
    const ctx = context('', cloud);
    const config = prometheusConfig(ctx, props) as Config;
    expect(config.global.external_labels).toEqual({ cluster: 'c1', cloud, region: 'r1' });
  });

  it('discovers annotated pods and services, kubelet, cAdvisor and the stack itself', () => {
    const config = prometheusConfig(context(), props) as Config;
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j]));
    // The Kubernetes jobs themselves are checked per cloud in test/kubernetes-scrape.test.ts.
    expect(Object.keys(jobs)).toEqual(expect.arrayContaining(['cadvisor', 'kube-state-metrics', 'kubelet', 'kubernetes-pods', 'kubernetes-service-endpoints', 'o11y-stack']));
    expect(jobs['cadvisor']!.metrics_path).toBe('/metrics/cadvisor');
    expect(jobs['kubernetes-service-endpoints']!.kubernetes_sd_configs[0]!.role).toBe('endpointslice');
  });

  it('sends alerts to every Alertmanager replica and loads every mounted rule file', () => {
    const config = prometheusConfig(context(), props) as Config;
    expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual([
      'alertmanager-0.alertmanager-headless.observability.svc:9093',
      'alertmanager-1.alertmanager-headless.observability.svc:9093',
      'alertmanager-2.alertmanager-headless.observability.svc:9093',
    ]);
    expect(config.rule_files).toEqual(['/etc/prometheus-rules/prometheus-rules-stack/*.yaml']);
  });
});

describe('scrapeConfigs', () => {
  type Job = { job_name: string; honor_labels?: boolean; relabel_configs: { source_labels?: string[]; target_label?: string; action?: string; regex?: string }[] };
  const jobs = scrapeConfigs(context(), { namespace: 'observability', agentNamespace: 'observability-agent' }) as Job[];
  const job = (name: string) => jobs.find((j) => j.job_name === name)!;

  it('labels every generated job\'s series with the cluster they describe', () => {
    for (const name of ['o11y-stack', 'kube-state-metrics', 'kubelet', 'cadvisor', 'node-exporter', 'apiserver', 'kubernetes-pods']) {
      expect(job(name).relabel_configs.at(-1), name).toEqual({ target_label: 'cluster', replacement: context().cluster.name });
    }
  });

  it('scrapes kube-state-metrics in a job of its own that adds no target label of its pod, and the stack job skips it', () => {
    const ksm = job('kube-state-metrics');
    expect(ksm.honor_labels).toBe(true);
    // Only the cluster it describes, which every job adds: nothing of its own pod.
    expect(ksm.relabel_configs.map((r) => r.target_label).filter(Boolean)).toEqual(['cluster']);
    expect(ksm.relabel_configs).toContainEqual({ source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'kube-state-metrics', action: 'keep' });
    expect(job('o11y-stack').relabel_configs).toContainEqual({ source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'kube-state-metrics', action: 'drop' });
  });
});

describe('alertDelivery', () => {
  it('routes every severity to a receiver that exists and reads its URL from the mounted Secret', () => {
    const config = alertDelivery({ watchdogReceiver: false, relayUrl: 'http://alert-relay:8080' }).config as { route: { receiver: string; routes: { receiver: string }[] }; receivers: { name: string; webhook_configs: { url_file: string }[] }[] };
    const names = config.receivers.map((r) => r.name);
    expect(names).toEqual([...BUILTIN_RECEIVERS]);
    for (const r of [config.route.receiver, ...config.route.routes.map((x) => x.receiver)]) expect(names).toContain(r);
    for (const r of config.receivers) expect(r.webhook_configs[0]!.url_file).toBe(`/etc/alertmanager/receivers/${r.name}-url`);
  });
});

describe('Tempo and Loki configs', () => {
  const peers = { writers: [], readers: [] };
  it('Tempo uses scoped overrides only (Tempo 3 refuses the flat format) and drops the removed 2.x blocks', () => {
    const config = tempoConfig(context(), { namespace: 'observability', retention: '336h', storage: '20Gi', prometheus: backend('prometheus', 9090), ...peers }, false) as Record<string, unknown>;
    for (const removed of ['ingester', 'ingester_client', 'compactor', 'metrics_generator_client']) expect(config).not.toHaveProperty(removed);
    expect(config).toHaveProperty('overrides.defaults.compaction.block_retention', '336h');
    expect(config).toHaveProperty('overrides.defaults.metrics_generator.processors', ['service-graphs', 'span-metrics']);
    expect(config).toHaveProperty(['metrics_generator', 'storage', 'remote_write', 0, 'url'], 'http://prometheus.observability.svc:9090/api/v1/write');
  });

  it('Loki uses schema v13 with TSDB, keeps structured metadata for OTLP and enforces retention', () => {
    const config = lokiConfig({ namespace: 'observability', retention: '744h', storage: '20Gi', ...peers }, lokiStorage(context().cluster, undefined, false));
    expect(config).toHaveProperty(['schema_config', 'configs', 0], expect.objectContaining({ store: 'tsdb', schema: 'v13', object_store: 'filesystem' }));
    expect(config).toHaveProperty('limits_config.retention_period', '744h');
    expect(config).toHaveProperty('limits_config.allow_structured_metadata', true);
    expect(config).toHaveProperty('compactor', expect.objectContaining({ retention_enabled: true, delete_request_store: 'filesystem' }));
  });
});

describe('collector configs', () => {
  type Collector = { receivers: object; processors: object; exporters: Record<string, { endpoint: string }>; service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> } };

  it.each(CLOUDS)('the gateway (%s) exports each signal to its backend, memory_limiter first, with current component names', (cloud) => {
    const ctx = context('', cloud);
    const config = gatewayConfig(ctx, {
      ...gatewaySettings(ctx.config),
      namespace: 'observability',
      agentNamespace: 'observability-agent',
      tempo: backend('tempo', 4317),
      loki: backend('loki', 3100),
      prometheus: backend('prometheus', 9090),
    }) as Collector;
    const p = config.service.pipelines;
    expect(p['traces/in']!.exporters).toEqual(['otlp_grpc/tempo']);
    expect(p['logs/in']!.exporters).toEqual(['otlp_http/loki']);
    expect(p['metrics/in']!.exporters).toEqual(['otlp_http/prometheus']);
    expect(config.exporters['otlp_http/loki']!.endpoint).toBe('http://loki.observability.svc:3100/otlp');
    expect(config.exporters['otlp_http/prometheus']!.endpoint).toBe('http://prometheus.observability.svc:9090/api/v1/otlp');
    for (const pipeline of Object.values(p)) expect(pipeline.processors[0]).toBe('memory_limiter');
    expect(collectorConfigViolations(config)).toEqual([]);
    expect(config.processors).toHaveProperty('resource_detection.detectors', [...platformProfile(cloud).detectors]);
  });

  it('the agent reads container logs and kubelet stats, filters metadata to its node and exports only to the gateway', () => {
    const config = agentConfig({ namespace: 'observability-agent', stackNamespace: 'observability', gateway: backend('otel-gateway', 4317) }) as Collector;
    expect(Object.keys(config.receivers).sort()).toEqual(['file_log', 'kubelet_stats', 'otlp']);
    expect(collectorConfigViolations(config)).toEqual([]);
    expect(config.processors).toHaveProperty('k8s_attributes.filter.node_from_env_var', 'K8S_NODE_NAME');
    expect(Object.keys(config.exporters)).toEqual(['otlp_grpc/gateway']);
    expect(config.exporters['otlp_grpc/gateway']!.endpoint).toBe('otel-gateway.observability.svc:4317');
  });
});

describe('sendingQueue', () => {
  const queueSize = (limitMiB: number, queues: number) => (sendingQueue(limitMiB, queues) as { sending_queue: { queue_size: number } }).sending_queue.queue_size;

  it('shares half the memory limit among the queues, at 1 KiB an item', () => {
    expect(queueSize(1024, 1)).toBe(524288);
    expect(queueSize(1024, 4)).toBe(131072);
    expect(queueSize(512, 1)).toBe(262144);
  });

  it('refuses queues that could not hold one 16384-item batch', () => {
    expect(queueSize(1024, 32)).toBe(16384);
    expect(() => sendingQueue(1024, 33)).toThrow(/cannot hold 33 exporter queues/);
  });
});

describe('grafanaDatasources', () => {
  type Datasources = { datasources: { uid: string; url: string; jsonData: Record<string, unknown>; secureJsonData?: Record<string, string> }[] };
  const set = (cloud: string | undefined, remote: boolean) => ({
    cloud,
    prometheus: remote ? `https://prom.${cloud}.example.com` : 'http://prometheus.observability.svc:9090',
    loki: remote ? `https://loki.${cloud}.example.com` : 'http://loki.observability.svc:3100',
    tempo: remote ? `https://tempo.${cloud}.example.com` : 'http://tempo.observability.svc:3200',
    ...(remote ? {} : { alertmanager: 'http://alertmanager.observability.svc:9093' }),
    remote,
  });
  const referencedUids = (ds: object) => [...JSON.stringify(ds).matchAll(/"datasourceUid":"([^"]+)"/g)].map((m) => m[1]!);

  it('single cluster: plain uids, cross-linked metrics, logs and traces through uids that exist', () => {
    const config = grafanaDatasources([set(undefined, false)], '/t', spanMetricsSeries(false)) as Datasources;
    const uids = new Set(config.datasources.map((d) => d.uid));
    expect([...uids].sort()).toEqual(Object.values(datasourceUids()).sort());
    expect(new Set(referencedUids(config))).toEqual(new Set(['tempo', 'loki', 'prometheus']));
    const tempo = config.datasources.find((d) => d.uid === 'tempo')!;
    expect(tempo.jsonData).toHaveProperty('serviceMap.datasourceUid', 'prometheus');
    expect(tempo.jsonData).toHaveProperty('tracesToLogsV2.datasourceUid', 'loki');
    expect(config.datasources.some((d) => d.secureJsonData)).toBe(false);
  });

  it('Tempo finds the span\'s logs by pod and namespace, and drops lokiSearch (Grafana 13 no longer reads it)', () => {
    const tempo = (grafanaDatasources([set(undefined, false)], '/t', spanMetricsSeries(false)) as Datasources).datasources.find((d) => d.uid === 'tempo')!;
    expect(tempo.jsonData).not.toHaveProperty('lokiSearch');
    expect(tempo.jsonData).toHaveProperty('tracesToLogsV2.tags', [
      { key: 'k8s.namespace.name', value: 'k8s_namespace_name' },
      { key: 'k8s.pod.name', value: 'k8s_pod_name' },
    ]);
  });

  it('exemplars link to Tempo under both trace-id labels producers use (traceID from Tempo, trace_id from OTLP)', () => {
    const prometheus = (grafanaDatasources([set(undefined, false)], '/t', spanMetricsSeries(false)) as Datasources).datasources.find((d) => d.uid === 'prometheus')!;
    const destinations = prometheus.jsonData.exemplarTraceIdDestinations as { name: string; datasourceUid: string }[];
    expect(destinations.map((d) => [d.name, d.datasourceUid])).toEqual(EXEMPLAR_TRACE_ID_LABELS.map((name) => [name, 'tempo']));
  });

  it('multi-cloud: one set per cloud, links stay within the cloud, remote ones carry the bearer token', () => {
    const config = grafanaDatasources([set('onprem', false), set('aws', true), set('azure', true)], '/etc/grafana/cross-cluster/token', spanMetricsSeries(false)) as Datasources;
    for (const d of config.datasources) {
      const cloud = d.uid.split('-')[1]!;
      for (const linked of referencedUids(d.jsonData)) expect(linked.endsWith(`-${cloud}`)).toBe(true);
      const remote = cloud !== 'onprem';
      expect(d.secureJsonData?.['httpHeaderValue1']).toBe(remote ? 'Bearer $__file{/etc/grafana/cross-cluster/token}' : undefined);
    }
    expect(config.datasources.filter((d) => (d as { isDefault?: boolean }).isDefault).map((d) => d.uid)).toEqual(['prometheus-onprem']);
    expect(config.datasources.map((d) => d.uid)).not.toContain('alertmanager-aws');
  });
});

describe('gateway sharding', () => {
  type Exporter = { routing_key?: string; resolver?: { k8s: { service: string; ports: number[] } } };
  type Gateway = { exporters: Record<string, Exporter>; connectors?: Record<string, unknown>; service: { pipelines: Record<string, { receivers: string[]; exporters: string[]; processors: string[] }> } };
  const props = { namespace: 'observability', agentNamespace: 'observability-agent', tempo: backend('tempo', 4317), loki: backend('loki', 3100), prometheus: backend('prometheus', 9090) };
  const gateway = (scale: string) => {
    const ctx = context(`scale: ${scale}\n`);
    return gatewayConfig(ctx, { ...props, ...gatewaySettings(ctx.config) }) as Gateway;
  };

  it.each([
    ['{ tailSampling: { enabled: true } }', 'traceID', 4320],
    ['{ spanMetricsInGateway: true }', 'service', 4321],
  ])('%s shards spans by %s to the headless otel-gateway-lb on port %d', (scale, key, port) => {
    const config = gateway(scale);
    const lb = Object.entries(config.exporters).find(([id]) => id.startsWith('load_balancing/'))!;
    expect(lb[1].routing_key).toBe(key);
    expect(lb[1].resolver).toEqual({ k8s: { service: 'otel-gateway-lb.observability', ports: [port] } });
    expect(config.service.pipelines['traces/in']!.exporters).toContain(lb[0]);
  });

  it('span metrics in the gateway: spans → span_metrics connector → metrics export, and Tempo stops computing them', () => {
    const config = gateway('{ spanMetricsInGateway: true }');
    const p = config.service.pipelines;
    expect(config.connectors).toHaveProperty('span_metrics.exemplars.enabled', true);
    expect(p['traces/span_metrics']).toEqual({ receivers: ['otlp/span_metrics'], processors: ['memory_limiter'], exporters: ['span_metrics'] });
    expect(p['metrics/span_metrics']).toEqual({ receivers: ['span_metrics'], processors: ['memory_limiter'], exporters: ['otlp_http/prometheus'] });
    expect(collectorConfigViolations(config)).toEqual([]);
    const tempo = tempoConfig(context(), { namespace: 'observability', retention: '336h', storage: '20Gi', prometheus: backend('prometheus', 9090), spanMetricsInGateway: true }, false);
    expect(tempo).toHaveProperty('overrides.defaults.metrics_generator.processors', ['service-graphs']);
  });

  it('no sharding by default: no load_balancing exporter, no second-tier receivers', () => {
    const config = gateway('{}');
    expect(Object.keys(config.exporters).filter((id) => id.startsWith('load_balancing'))).toEqual([]);
    expect(config.connectors).toBeUndefined();
  });
});
