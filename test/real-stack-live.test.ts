import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { synthesize } from '../src/synth.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { removePodFiles } from './support/pod-files.ts';
import { alertmanagerWithReceivers, mountedConfig, UPSTREAM_ONLY_FLAGS, withFlags, type MountedConfig } from './support/real-engine-checks.ts';
import { remoteWrite } from './support/remote-write.ts';
import { toolPath } from './support/test-tools.ts';
import { until as untilReady } from './support/until.ts';

// The default stack's Prometheus and Alertmanager, running for real with the synthesized config,
// flags and rule files. Rewritten, and only these: data folders, listen addresses, the in-cluster
// Alertmanager address (to loopback), and the flags Debian's build lacks (UPSTREAM_ONLY_FLAGS).
// Receivers post to a webhook this test serves.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-live-'));
synthesize({ configFile: join(ROOT, 'o11y.yaml'), outDir: join(work, 'dist') });
const objs: K8sObject[] = loadManifestDir(join(work, 'dist', 'local'));

interface Notification {
  receiver: string;
  status: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: { labels: Record<string, string>; status: string }[];
}

/** Alertmanager's webhook payloads, by the path the receiver posted to. */
const received: { path: string; body: Notification }[] = [];
let webhook: Server;
let alertmanager: Daemon;
let prometheus: Daemon;
let mountedPrometheus: MountedConfig;

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000) =>
  untilReady(what, probe, { timeoutMs, context: () => `Prometheus:\n${prometheus?.output()}\nAlertmanager:\n${alertmanager?.output()}` });

const api = async <T>(path: string): Promise<T> => ((await (await fetch(`${prometheus.url}${path}`)).json()) as { data: T }).data;

beforeAll(async () => {
  const hookPort = await freePort();
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(body) as Notification });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(hookPort, '127.0.0.1', r));

  const am = alertmanagerWithReceivers(objs, (receiver) => `http://127.0.0.1:${hookPort}/${receiver}`);
  const amPort = await freePort();
  alertmanager = await startDaemon({
    binary: toolPath('alertmanager'),
    tmpPrefix: 'o11y-live-am-',
    url: `http://127.0.0.1:${amPort}`,
    readyPath: '/-/ready',
    args: (dir) => withFlags(am.pod.args, {
      'config.file': am.pod.hostPath(am.file),
      'storage.path': join(dir, 'data'),
      'web.listen-address': `127.0.0.1:${amPort}`,
    }),
  });

  mountedPrometheus = mountedConfig(objs, 'prometheus', 'prometheus');
  const { pod, file } = mountedPrometheus;
  const config = parseYaml(readFileSync(pod.hostPath(file), 'utf8')) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } };
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }];
  writeFileSync(pod.hostPath(file), dumpYaml(config));
  const promPort = await freePort();
  prometheus = await startDaemon({
    binary: toolPath('prometheus'),
    tmpPrefix: 'o11y-live-prometheus-',
    url: `http://127.0.0.1:${promPort}`,
    readyPath: '/-/ready',
    timeoutMs: 120_000,
    args: (dir) => withFlags(pod.args, {
      'config.file': pod.hostPath(file),
      'storage.tsdb.path': join(dir, 'data'),
      'web.listen-address': `127.0.0.1:${promPort}`,
      ...Object.fromEntries(UPSTREAM_ONLY_FLAGS.prometheus!.map((f) => [f, undefined])),
    }),
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

describe.concurrent('the synthesized Prometheus 3 and Alertmanager, running', () => {
  it('loads its config and every feature flag', async () => {
    const runtime = await api<{ reloadConfigSuccess: boolean }>('/api/v1/status/runtimeinfo');
    expect(runtime.reloadConfigSuccess).toBe(true);
    expect(prometheus.output()).not.toMatch(/Unknown option for --enable-feature/);
  });

  it('loads every rule group, and every rule evaluates with health ok', async () => {
    interface Group { name: string; file: string; rules: { name: string; health: string; lastError?: string }[] }
    const expected = objs
      .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'prometheus-rules')
      .flatMap((cm) => Object.values(cm.data as Record<string, string>).flatMap((text) => (parseYaml(text) as { groups: { name: string }[] }).groups.map((g) => g.name)));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const groups = await until('every rule evaluated', async () => {
      const { groups } = await api<{ groups: Group[] }>('/api/v1/rules');
      return groups.length && groups.every((g) => g.rules.every((r) => r.health !== 'unknown')) ? groups : undefined;
    });
    expect(groups.map((g) => g.name).sort()).toEqual([...expected].sort());
    const unhealthy = groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok' || r.lastError).map((r) => `${g.name}/${r.name}: ${r.health} ${r.lastError ?? ''}`));
    expect(unhealthy).toEqual([]);
  });

  it('the Watchdog fires and reaches the default receiver through Alertmanager, grouped as the route promises, with the cluster label', { timeout: 240_000 }, async () => {
    const note = await until('the Watchdog at the webhook', async () => received.find((r) => r.body.commonLabels.alertname === 'Watchdog')?.body);
    expect(note.receiver).toBe('default');
    expect(note.status).toBe('firing');
    expect(note.groupLabels).toEqual({ alertname: 'Watchdog', cluster: 'local' });
    expect(note.commonLabels).toMatchObject({ alertname: 'Watchdog', cluster: 'local', severity: 'none' });
    expect(received.find((r) => r.body.commonLabels.alertname === 'Watchdog')!.path).toBe('/default');
  });

  it('a collector exporter failing spans (and only spans) turns O11yCollectorDroppingData pending, per exporter', { timeout: 240_000 }, async () => {
    const now = Date.now();
    const failed = { __name__: 'otelcol_exporter_send_failed_spans_total', job: 'otel-gateway', exporter: 'otlp/tempo', namespace: 'observability' };
    await remoteWrite(prometheus.url, [{ labels: failed, samples: [[0, now - 120_000], [6000, now - 60_000], [12000, now - 1000]] }]);
    interface Alert { labels: Record<string, string>; state: string }
    const alert = await until('O11yCollectorDroppingData pending', async () => {
      const { alerts } = await api<{ alerts: Alert[] }>('/api/v1/alerts');
      return alerts.find((a) => a.labels.alertname === 'O11yCollectorDroppingData');
    });
    expect(alert.state).toBe('pending');
    expect(alert.labels).toMatchObject({ job: 'otel-gateway', exporter: 'otlp/tempo', severity: 'critical' });
  });

  it('stores exemplars: a trace id remote-written with a sample comes back from query_exemplars', async () => {
    const now = Date.now();
    const bucket = { __name__: 'traces_spanmetrics_latency_bucket', service: 'checkout', le: '0.25' };
    const traceID = '4bf92f3577b34da6a3ce929d0e0e4736';
    await remoteWrite(prometheus.url, [{ labels: bucket, samples: [[3, now - 1000]], exemplars: [{ labels: { traceID }, value: 0.2, timestamp: now - 1000 }] }]);
    type Result = { exemplars: { labels: Record<string, string> }[] }[];
    const query = new URLSearchParams({ query: 'traces_spanmetrics_latency_bucket{service="checkout"}', start: String((now - 60_000) / 1000), end: String((now + 60_000) / 1000) });
    const results = await until('the exemplar', async () => {
      const data = await api<Result>(`/api/v1/query_exemplars?${query}`);
      return data.length ? data : undefined;
    }, 30_000);
    expect(results[0]!.exemplars.map((e) => e.labels)).toEqual([{ traceID }]);
  });

  it('Alertmanager delivers a page to page and inhibits the ticket of the same alert, cluster, namespace and SLO only', async () => {
    const alert = (severity: string, namespace: string, slo = 'checkout-availability') => ({
      labels: { alertname: 'O11yLiveInhibition', cluster: 'local', namespace, severity, sloth_id: slo },
      startsAt: new Date().toISOString(),
    });
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Inhibited: the ticket of the paging SLO. Delivered: a ticket in another namespace, and the
      // ticket of another SLO that shares the alert name.
      body: JSON.stringify([alert('critical', 'shop'), alert('warning', 'shop'), alert('warning', 'billing'), alert('warning', 'shop', 'checkout-latency')]),
    });
    expect(res.status).toBe(200);
    const mine = () => received.filter((r) => r.body.commonLabels.alertname === 'O11yLiveInhibition');
    await until('the page and the uninhibited tickets', async () => (mine().length >= 3 ? true : undefined));
    // One more group interval would have delivered an inhibited ticket late; it must not come.
    await new Promise((r) => setTimeout(r, 5000));
    const delivered = mine().map((r) => `${r.path} ${r.body.alerts.map((a) => `${a.labels.namespace}/${a.labels.sloth_id}/${a.labels.severity}`).sort().join(',')}`).sort();
    expect(delivered).toEqual(['/page shop/checkout-availability/critical', '/ticket billing/checkout-availability/warning', '/ticket shop/checkout-latency/warning']);
  });
});
