import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_RULE_FILE } from '../src/rules/kubernetes/index.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { startNodeExporterScrape } from './support/node-exporter-scrape.ts';

// The node recording rules against the real thing: a real node-exporter (Debian 1.5.0) on this
// machine, scraped by a real Prometheus 3 with the synthesized `node-exporter` job, evaluating the
// synthesized Kubernetes rule file. Every node recording rule yields series for the node, with
// the labels the dashboards select on, and values in their range.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-node-rules-'));
synthesize({ configFile: join(ROOT, 'o11y.yaml'), outDir: join(work, 'dist') });
const objs = loadManifestDir(join(work, 'dist', 'local'));
const ruleFile = readFileSync(join(work, 'dist', 'promtool', 'local', 'rules', KUBERNETES_RULE_FILE), 'utf8');
const NODE = 'node-a';

let scrape: Awaited<ReturnType<typeof startNodeExporterScrape>>;
beforeAll(async () => {
  scrape = await startNodeExporterScrape(objs, { node: NODE, ruleFiles: { [KUBERNETES_RULE_FILE]: ruleFile } });
}, 120_000);
afterAll(async () => {
  await scrape?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${scrape.prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Waits until `expr` returns series (rules need two scrapes for a rate, then an evaluation). */
async function eventually(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    const result = await query(expr);
    if (result.length) return result;
  }
  return [];
}

describe('node recording rules on a real node-exporter scraped by the synthesized job', () => {
  const records = [...ruleFile.matchAll(/^\s+- record: (instance\S*:node_\S+)$/gm)].map((m) => m[1]!);

  it('the rule file has the node-mixin recording rules', () => {
    expect(records).toEqual(expect.arrayContaining(['instance:node_cpu_utilisation:rate5m', 'instance:node_memory_utilisation:ratio', 'instance:node_load1_per_cpu:ratio']));
  });

  it('every node recording rule produces series for the node, with job, instance and node', async () => {
    const empty: string[] = [];
    for (const record of records) {
      const result = await eventually(record);
      if (!result.length) empty.push(record);
      for (const s of result) expect(s.metric, record).toMatchObject({ job: 'node-exporter', node: NODE, instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    }
    expect(empty).toEqual([]);
  });

  it('utilisation ratios are ratios and the CPU count matches the machine', async () => {
    for (const record of ['instance:node_cpu_utilisation:rate5m', 'instance:node_memory_utilisation:ratio']) {
      const [sample] = await eventually(record);
      expect(Number(sample!.value[1]), record).toBeGreaterThanOrEqual(0);
      expect(Number(sample!.value[1]), record).toBeLessThanOrEqual(1);
    }
    const [cpus] = await eventually('instance:node_num_cpu:sum');
    const online = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)!.length;
    expect(Number(cpus!.value[1])).toBe(online);
  });
});
