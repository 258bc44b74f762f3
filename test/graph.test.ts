import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { loadConfigFile, parseConfig } from '../src/config/load.ts';
import { resolveTopology } from '../src/model/topology.ts';
import { mermaidGraph } from '../src/graph/mermaid.ts';

// `o11y graph`: the Mermaid picture is derived from the config, shows every cluster in its cloud,
// every cloud's route to its backends, the extra and default routes, and is safe to render.

const EXAMPLE = fileURLToPath(new URL('../examples/multi-cloud.yaml', import.meta.url));
const example = loadConfigFile(EXAMPLE);
const graph = mermaidGraph(example);
const lines = graph.trimEnd().split('\n');

/** The cluster ids inside each `subgraph cloud_<cloud>` … `end` block. */
function subgraphs(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const open = /^\s*subgraph (\w+)\[/.exec(line);
    if (open) blocks.set(open[1]!, (current = []));
    else if (/^\s*end$/.test(line)) current = undefined;
    else if (current) current.push(...(/^\s*(cluster_\w+)\[/.exec(line)?.slice(1) ?? []));
  }
  return blocks;
}

describe('mermaidGraph on the multi-cloud example', () => {
  it('is a left-to-right flowchart', () => {
    expect(lines[0]).toBe('flowchart LR');
  });

  it('puts every cluster, with its region and roles, in its cloud box', () => {
    const blocks = subgraphs(graph);
    const topology = resolveTopology(example);
    for (const cluster of example.clusters) {
      const id = `cluster_${cluster.name.replace(/-/g, '_')}`;
      expect(blocks.get(`cloud_${cluster.cloud}`), cluster.name).toContain(id);
      const roles = [...topology.rolesOf(cluster)];
      const label = `${cluster.name}<br/>${cluster.region}${roles.length ? `<br/>roles: ${roles.join(', ')}` : ''}`;
      expect(graph).toContain(`${id}["${label}"]`);
    }
  });

  it("routes each cloud's box to its backends by cloud.provider, on-prem by its absence", () => {
    expect(lines).toEqual(expect.arrayContaining([
      '  cloud_aws -->|"cloud.provider == aws"| backend_aws',
      '  cloud_alibaba -->|"cloud.provider == alibaba_cloud"| backend_alibaba',
      '  cloud_azure -->|"cloud.provider == azure"| backend_azure',
      '  cloud_gcp -->|"cloud.provider == gcp"| backend_gcp',
      '  cloud_onprem -->|"cloud.provider unset"| backend_onprem',
    ]));
    expect(graph).toContain('backend_onprem[("onprem backends<br/>remote otlp.dc1.example.internal:4317")]');
    expect(graph).toContain('backend_aws[("aws backends<br/>Tempo · Loki · Prometheus<br/>in aws-backend")]');
  });

  it('draws the extra routes, the default route and the Grafana that queries every cloud', () => {
    expect(lines).toEqual(expect.arrayContaining([
      '  route_0>"tenant == payments"] -.->|"extra route"| backend_aws',
      '  route_1>"namespace == china-apps"] -.->|"extra route"| backend_alibaba',
      '  unmatched(["no route matches"]) -.->|"default"| backend_onprem',
      '  grafana{{"Grafana in aks-backend"}}',
    ]));
    const queried = lines.filter((l) => l.startsWith('  grafana -.->|"queries"| ')).map((l) => l.split(' ').pop());
    expect(queried).toEqual(['backend_aws', 'backend_alibaba', 'backend_azure', 'backend_gcp', 'backend_onprem']);
  });

  it('uses only plain ids and escapes quotes and angle brackets in labels', () => {
    const config = parseConfig(
      JSON.stringify({
        clusters: [
          { name: 'a-1', cloud: 'aws', region: 'r1', roles: ['backend', 'grafana'], otlpEndpoint: 'otlp.a.example.com:4317' },
          { name: 'g-1', cloud: 'gcp', region: 'r2' },
        ],
        backends: { gcp: { remote: { otlpEndpoint: 'otlp.g.example.com:4317' } } },
        routing: { routes: [{ tenant: 'a "quoted" <b>tenant</b>', cloud: 'gcp' }] },
      }),
      'g.yaml',
    );
    const text = mermaidGraph(config);
    expect(text).toContain('route_0>"tenant == a #quot;quoted#quot; #lt;b#gt;tenant#lt;/b#gt;"]');
    for (const [, label] of text.matchAll(/"([^"]*)"/g)) expect(label!.replaceAll('<br/>', '')).not.toMatch(/[<>"]/);
    // A remote backend without query URLs is not something Grafana reads.
    expect(text).not.toContain('grafana -.->|"queries"| backend_gcp');
    expect(text).toContain('grafana -.->|"queries"| backend_aws');
  });
});

describe('o11y graph', () => {
  it('prints the graph of --config', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await main(['node', 'o11y', 'graph', '--config', EXAMPLE], { stdout, stderr });
    expect(code).toBe(0);
    expect(out).toBe(graph);
  });

  it('exits 2 with a located message on a bad config', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const bad = join(mkdtempSync(join(tmpdir(), 'o11y-graph-')), 'o11y.yaml');
    writeFileSync(bad, 'clusters:\n  - { name: a, cloud: moon, region: r1 }\n');
    const code = await main(['node', 'o11y', 'graph', '--config', bad], { stdout, stderr });
    rmSync(dirname(bad), { recursive: true });
    expect(code).toBe(2);
    expect(err).toContain(`${bad}:2:23 clusters[0].cloud: "moon" is not one of aws, alibaba, azure, gcp, onprem`);
  });
});
