import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { synthesize } from '../src/synth.ts';
import { startDaemon } from './support/daemon.ts';
import { engines } from './support/engines.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, removePodFiles } from './support/pod-files.ts';
import { flagValue, withFlags } from './support/real-engine-checks.ts';
import { vmalertPodArgs, vmModeConfig } from './support/vm-mode.ts';

// The real vmalert with the synthesized flags and notifier config labels alerts as Prometheus mode
// does with its external labels: `cluster`, `cloud` and `region` added to an alert that lacks them,
// an alert's own `cluster` (an apps cluster's, evaluated on its backend) kept. The datasource is a
// loopback Prometheus API answering one series with `cluster` and one without. Negative case:
// vmalert's own `-external.label` overwrites the alert's `cluster`, which the check catches.

const found = engines(import.meta.url, ['vmalert']);

const RULES = `groups:
  - name: labels
    interval: 1s
    rules:
      - { alert: FromAppsCluster, expr: from_apps_cluster }
      - { alert: Unlabelled, expr: vector(1) }
`;

describe.runIf(found)('victoriametrics-cluster: vmalert adds the external labels as Prometheus does', () => {
  let work: string;
  let objects: K8sObject[];
  /** Prometheus mode's `global.external_labels` for the same config. */
  let external: Record<string, string>;
  let server: Server;
  const received: Record<string, string>[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'o11y-vm-labels-'));
    writeFileSync(join(work, 'vm.yaml'), vmModeConfig());
    writeFileSync(join(work, 'prom.yaml'), vmModeConfig().replace('metrics: { mode: victoriametrics-cluster }', 'metrics: { mode: prometheus }'));
    synthesize({ configFile: join(work, 'vm.yaml'), outDir: join(work, 'vm') });
    synthesize({ configFile: join(work, 'prom.yaml'), outDir: join(work, 'prom') });
    objects = loadManifestDir(join(work, 'vm', 'local'));
    const promConfig = loadManifestDir(join(work, 'prom', 'local')).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config') as K8sObject & { data: Record<string, string> };
    external = (parse(promConfig.data['prometheus.yml']!) as { global: { external_labels: Record<string, string> } }).global.external_labels;
    writeFileSync(join(work, 'rules.yaml'), RULES);
    // Datasource and Alertmanager API in one loopback server.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://loopback');
        if (url.pathname.endsWith('/api/v1/query')) {
          const query = url.searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
          const metric = query.includes('from_apps_cluster') ? { __name__: 'from_apps_cluster', cluster: 'apps-a' } : {};
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric, value: [Date.now() / 1000, '1'] }] } }));
          return;
        }
        if (url.pathname === '/api/v2/alerts') received.push(...(JSON.parse(body) as { labels: Record<string, string> }[]).map((a) => a.labels));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    removePodFiles();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The labels of each alert vmalert sends when run with `args` (its rules replaced by the test's). */
  const alertsFrom = async (args: (podArgs: string[]) => string[]) => {
    received.length = 0;
    const loopback = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const podArgs = vmalertPodArgs(layOutPodFiles(objects, 'vmalert', 'vmalert'), loopback).filter((a) => !a.startsWith('-rule='));
    const port = await freePort();
    const vmalert = await startDaemon({
      binary: found!.vmalert,
      tmpPrefix: 'o11y-vmalert-',
      args: () => withFlags(args(podArgs), { rule: join(work, 'rules.yaml'), 'datasource.url': `http://${loopback}`, 'remoteRead.url': undefined, 'remoteWrite.url': undefined, httpListenAddr: `127.0.0.1:${port}` }, '-'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/health',
    });
    try {
      for (let i = 0; i < 300 && new Set(received.map((l) => l.alertname)).size < 2; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await vmalert.stop();
    }
    const byName = Object.fromEntries(received.map((l) => [l.alertname!, l]));
    if (Object.keys(byName).length < 2) throw new Error(`vmalert sent ${JSON.stringify(received)}\n${vmalert.output()}`);
    return byName;
  };
  /** What Prometheus mode sends: its external labels where the alert has none of its own. */
  const problems = (alerts: Record<string, Record<string, string>>) => [
    ...Object.entries(external).filter(([k, v]) => alerts.Unlabelled![k] !== v).map(([k]) => `Unlabelled lacks ${k}=${external[k]}`),
    ...Object.entries({ ...external, cluster: 'apps-a' }).filter(([k, v]) => alerts.FromAppsCluster![k] !== v).map(([k, v]) => `FromAppsCluster has ${k}=${alerts.FromAppsCluster![k]}, not ${v}`),
  ];

  it('adds cluster, cloud and region where the alert lacks them, and keeps an alert\'s own cluster', { timeout: 60_000 }, async () => {
    expect(Object.keys(external).sort()).toEqual(['cloud', 'cluster', 'region']);
    expect(problems(await alertsFrom((args) => args))).toEqual([]);
  });

  it('negative: vmalert\'s -external.label flags overwrite the alert\'s own cluster', { timeout: 60_000 }, async () => {
    const naive = (args: string[]) => {
      // The same Alertmanager targets, without the relabelling.
      const file = flagValue(args, 'notifier.config')!;
      writeFileSync(file, readFileSync(file, 'utf8').replace(/alert_relabel_configs:[\s\S]*$/, ''));
      return [...args, ...Object.entries(external).map(([k, v]) => `-external.label=${k}=${v}`)];
    };
    const alerts = await alertsFrom(naive);
    expect(alerts.FromAppsCluster!.exported_cluster).toBe('apps-a');
    expect(problems(alerts)).toEqual([`FromAppsCluster has cluster=${external.cluster}, not apps-a`]);
  });
});
