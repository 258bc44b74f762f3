import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth.ts';
import type { Daemon } from './support/daemon.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { startNodeExporterScrape } from './support/node-exporter-scrape.ts';

// The node dashboard against the real thing: a real node-exporter (Debian 1.5.0) on this machine,
// scraped by a real Prometheus 3 with the synthesized `node-exporter` job, whose Kubernetes service
// discovery is replaced by a static target carrying the meta labels discovery would give the
// synthesized DaemonSet's pod (so the job's own relabelling keeps it and sets `node`). Every panel
// query, with the variables set as Grafana would set them from this Prometheus, returns data.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-node-dashboard-'));
synthesize({ configFile: join(ROOT, 'o11y.yaml'), outDir: join(work, 'dist') });
const objs = loadManifestDir(join(work, 'dist', 'local'));
const NODE = 'node-a';

const data = (name: string) => (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as K8sObject & { data: Record<string, string> }).data;
const dashboard = JSON.parse(data('grafana-dashboards-kubernetes-nodes')['k8s-node.json']!) as {
  templating: { list: { name: string; type: string; query: { query: string } }[] };
  panels: { title: string; targets?: { refId: string; expr: string }[] }[];
};

let scrape: Awaited<ReturnType<typeof startNodeExporterScrape>>;
let prometheus: Daemon;

beforeAll(async () => {
  scrape = await startNodeExporterScrape(objs, { node: NODE });
  prometheus = scrape.prometheus;
}, 120_000);

afterAll(async () => {
  await scrape?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function api<T>(path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${prometheus.url}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
  return body.data;
}

/** Grafana's `label_values(<selector>, <label>)`: the label's values on the selector's series. */
const labelValues = (selector: string, label: string) => api<string[]>(`/api/v1/label/${label}/values`, { 'match[]': selector });

const substitute = (expr: string, values: Record<string, string>) =>
  expr.replace(/\$\{(\w+)\}|\$([A-Za-z_]\w*)/g, (whole, braced?: string, bare?: string) => {
    const v = values[(braced ?? bare)!];
    if (v === undefined) throw new Error(`no value for ${whole}`);
    return v;
  });

describe('the node dashboard on a real node-exporter scraped by the synthesized job', () => {
  it('the job keeps the target and labels its series with the node', async () => {
    const deadline = Date.now() + 30_000;
    let nodes: string[] = [];
    while (!nodes.length && Date.now() < deadline) {
      nodes = await labelValues('node_uname_info', 'node');
      if (!nodes.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(nodes).toEqual([NODE]);
  });

  it('every panel query returns data, with the variables Grafana would offer', async () => {
    const variables = Object.fromEntries(dashboard.templating.list.filter((v) => v.type === 'query').map((v) => [v.name, /^label_values\((.*), (\w+)\)$/.exec(v.query.query)!]));
    // The cluster selector: its values on this Prometheus, or All (`.*`) when the series carry none.
    const clusters = await labelValues(variables.cluster![1]!, 'cluster');
    const cluster = clusters[0] ?? '.*';
    const nodes = await labelValues(substitute(variables.node![1]!, { cluster }), variables.node![2]!);
    expect(nodes).toEqual([NODE]);
    // A rate window holding several of the 1s scrapes, as Grafana's $__rate_interval would.
    const values = { cluster, node: nodes[0]!, __rate_interval: '10s' };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `"${p.title}" ${t.refId}`, expr: substitute(t.expr, values) })));
    expect(queries.length).toBeGreaterThan(25);
    const deadline = Date.now() + 60_000;
    let empty: string[] = [];
    do {
      if (empty.length) await new Promise((r) => setTimeout(r, 1000));
      empty = [];
      for (const q of queries) {
        const result = await api<{ result: unknown[] }>('/api/v1/query', { query: q.expr });
        if (!result.result.length) empty.push(`${q.where}: ${q.expr}`);
      }
    } while (empty.length && Date.now() < deadline);
    expect(empty).toEqual([]);
  }, 120_000);
});
