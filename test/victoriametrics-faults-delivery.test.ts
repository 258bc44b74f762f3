import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spanMetricsSeries, SPAN_METRICS_CONNECTOR } from '../src/model/span-metrics.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { exportMetrics, type ResourceMetrics } from './support/otlp-metrics.ts';
import { removePodFiles } from './support/pod-files.ts';
import { alertmanagerWithReceivers, withFlags } from './support/real-engine-checks.ts';
import { toolPath } from './support/test-tools.ts';
import { until } from './support/until.ts';
import { selectQuery, startVmAlert, startVmCluster, type VmCluster } from './support/vm-cluster.ts';
import { synthesizeVmMode } from './support/vm-mode.ts';

// What reaches the victoriametrics-cluster mode from outside and what leaves it, on loopback with
// the synthesized flags and configs: OTLP metrics posted as the gateway's exporter is configured
// are found through vmselect under the names Grafana queries; the synthesized vmalert pair notifies
// a real Alertmanager on the synthesized config (receivers pointed at a loopback webhook), which
// delivers the Watchdog once, with one vmalert killed.

const found = engines(import.meta.url, ['vminsert', 'vmselect', 'vmstorage', 'vmalert']);

describe.runIf(found)('victoriametrics-cluster: OTLP in, alerts out', () => {
  const bin = found!;
  let work: string;
  let objects: K8sObject[];
  let cluster: VmCluster;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-delivery-'));
    objects = synthesizeVmMode(work);
    cluster = await startVmCluster(bin, objects, work);
  });
  afterAll(async () => {
    await cluster?.stop();
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The gateway's metrics exporter, as synthesized: the one `otlp_http` exporter of its metrics pipeline. */
  const gatewayMetricsExporter = () => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'otel-gateway-config')!;
    const config = parse((cm.data as Record<string, string>)['config.yaml']!) as {
      exporters: Record<string, { endpoint: string; encoding?: string }>;
      service: { pipelines: Record<string, { exporters: string[] }> };
    };
    const names = Object.entries(config.service.pipelines).filter(([p]) => p.startsWith('metrics')).flatMap(([, p]) => p.exporters);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^otlp_http\//);
    return config.exporters[names[0]!]!;
  };

  /** A span-metrics batch as the gateway's `span_metrics` connector emits it, for service `service`. */
  const spanMetrics = (service: string): ResourceMetrics => {
    const point = { 'service.name': service, 'span.name': 'GET /cart', 'span.kind': 'SPAN_KIND_SERVER', 'status.code': 'STATUS_CODE_UNSET' };
    return {
      resource: { 'service.name': service, 'k8s.cluster.name': 'local', 'cloud.region': 'dc1', 'host.arch': 'amd64' },
      metrics: [
        { kind: 'sum', name: `${SPAN_METRICS_CONNECTOR.namespace}.calls`, points: [{ attributes: point, value: 42 }] },
        { kind: 'histogram', name: `${SPAN_METRICS_CONNECTOR.namespace}.duration`, unit: SPAN_METRICS_CONNECTOR.unit, bounds: [0.1, 1], points: [{ attributes: point, counts: [3, 2, 1], sum: 2.5 }] },
      ],
    };
  };
  // A minute old: vmselect does not show the newest 30 s (its latency offset).
  const timeNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  const post = (insert: Daemon, service: string) => {
    const exporter = gatewayMetricsExporter();
    // The exporter's defaults: protobuf, gzip (what `exportMetrics` sends).
    expect(exporter.encoding ?? 'proto').toBe('proto');
    return exportMetrics(`${insert.url}${new URL(exporter.endpoint).pathname}`, [spanMetrics(service)], timeNs - 60_000_000_000n, timeNs);
  };
  const series = (query: string) => until(query, async () => {
    const answer = await selectQuery(cluster.selects[0]!, query);
    return answer.result.length ? answer.result : undefined;
  }, { timeoutMs: 60_000 });

  it('OTLP metrics posted as the gateway exports them are found under the names Grafana queries', { timeout: 180_000 }, async () => {
    const names = spanMetricsSeries(true);
    await post(cluster.inserts[0]!, 'checkout');
    const [calls] = await series(`${names.calls}{${names.serviceLabel}="checkout"}`);
    expect(calls!.values[0]![1]).toBe('42');
    // The promoted resource attributes become labels, Prometheus-named; the others do not.
    expect(calls!.metric).toMatchObject({ span_name: 'GET /cart', k8s_cluster_name: 'local', cloud_region: 'dc1' });
    expect(Object.keys(calls!.metric).filter((l) => l.includes('.') || l === 'host_arch')).toEqual([]);
    const buckets = await series(`${names.latencyBucket}{${names.serviceLabel}="checkout"}`);
    expect(Object.fromEntries(buckets.map((b) => [b.metric.le, b.values[0]![1]]))).toEqual({ '0.1': '3', '1': '5', '+Inf': '6' });

    // Negative: without -opentelemetry.usePrometheusNaming the same batch lands under its OTLP name, not Grafana's.
    const plain = await cluster.startInsert({ 'opentelemetry.usePrometheusNaming': undefined });
    await cluster.allNodesReachable(plain);
    await post(plain, 'plain');
    await series(`{__name__="${SPAN_METRICS_CONNECTOR.namespace}.calls"}`);
    expect((await selectQuery(cluster.selects[0]!, `${names.calls}{${names.serviceLabel}="plain"}`)).result).toEqual([]);
  });

  interface Notification {
    receiver: string;
    groupLabels: Record<string, string>;
    alerts: { labels: Record<string, string>; status: string }[];
  }

  it('a real Alertmanager delivers the Watchdog of two vmalerts once, with one of them killed; replicas that differ are not deduplicated', { timeout: 600_000 }, async () => {
    const received: Notification[] = [];
    const webhook: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as Notification);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
    const am = alertmanagerWithReceivers(objects, (receiver) => `${hook}/${receiver}`);
    const amPort = await freePort();
    const startAlertmanager = () => startDaemon({
      binary: toolPath('alertmanager'),
      tmpPrefix: 'o11y-vm-am-',
      url: `http://127.0.0.1:${amPort}`,
      readyPath: '/-/ready',
      args: (dir) => withFlags(am.pod.args, { 'config.file': am.pod.hostPath(am.file), 'storage.path': join(dir, 'data'), 'web.listen-address': `127.0.0.1:${amPort}` }),
    });
    const daemons: Daemon[] = [];
    const startAlert = async (name: string, flags: Record<string, string> = {}) => {
      const d = await startVmAlert(bin.vmalert, objects, { select: cluster.selects[0]!, insert: cluster.inserts[0]!, notifier: `http://127.0.0.1:${amPort}`, name, flags });
      daemons.push(d);
      return d;
    };
    /** Alerts a vmalert has delivered to Alertmanager so far. */
    const sent = async (d: Daemon) => (await (await fetch(`${d.url}/metrics`)).text()).split('\n')
      .filter((l) => l.startsWith('vmalert_alerts_sent_total')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    const watchdogs = () => received.filter((n) => n.groupLabels.alertname === 'Watchdog');
    const context = () => `Alertmanager:\n${daemons[0]?.output()}\nreceived: ${JSON.stringify(received.map((n) => n.groupLabels))}`;
    /** The Watchdog alerts Alertmanager holds (one per distinct label set). */
    const held = async () => ((await (await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts?filter=${encodeURIComponent('alertname="Watchdog"')}`)).json()) as unknown[]).length;
    try {
      daemons.push(await startAlertmanager());
      const [a, b] = [await startAlert('a'), await startAlert('b')];
      await until('both vmalerts sending', async () => ((await sent(a)) > 0 && (await sent(b)) > 0 ? true : undefined), { timeoutMs: 120_000, context });
      // Both replicas' alerts are one alert to Alertmanager.
      expect(await held()).toBe(1);
      await a.kill();
      const [note] = await until('the Watchdog at the webhook', () => (watchdogs().length ? watchdogs() : undefined), { timeoutMs: 120_000, context });
      expect(note!.receiver).toBe('default');
      // Grouped as in Prometheus mode: the notifier file fills in the cluster label.
      expect(note!.groupLabels).toEqual({ alertname: 'Watchdog', cluster: 'local' });
      expect(note!.alerts.map((x) => x.status)).toEqual(['firing']);
      // The survivor keeps it alive: still one alert, and no second notification for the group.
      const after = await sent(b);
      await until('vmalert b sending again', async () => ((await sent(b)) > after ? true : undefined), { timeoutMs: 120_000, context });
      expect(await held()).toBe(1);
      expect(watchdogs()).toHaveLength(1);

      // Negative: a replica with a label of its own sends an alert Alertmanager cannot merge.
      const c = await startAlert('c', { 'external.label': 'replica=c' });
      await until('vmalert c sending', async () => ((await sent(c)) > 0 ? true : undefined), { timeoutMs: 120_000, context });
      expect(await held()).toBe(2);
    } finally {
      for (const d of daemons.reverse()) await d.stop();
      await new Promise((r) => webhook.close(r));
    }
  });
});
