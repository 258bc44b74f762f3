import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';
import { resolveTopology } from '../src/model/topology.ts';
import { runbookMarkdown } from '../src/rules/catalogue.ts';
import { placeSlos } from '../src/slo/placement.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';

// Every alert of every rule file a synthesized stack ships links to a runbook section that the
// same output provisions: the link is parsed and followed into the Grafana dashboard JSON of the
// Grafana cluster's ConfigMaps (or, with monitoring.runbookUrl, into the runbook the user copies).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const tmp = mkdtempSync(join(tmpdir(), 'o11y-runbook-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Alert {
  readonly file: string;
  readonly alert: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}
interface TextPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly options?: { content?: string };
}

/** A variant of the default config in its own folder (its SLO files linked in beside it). */
function variant(name: string, change: (config: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const config = parseYaml(readFileSync(join(ROOT, 'o11y.yaml'), 'utf8')) as Record<string, unknown>;
  change(config);
  symlinkSync(join(ROOT, 'slos'), join(dir, 'slos'));
  writeFileSync(join(dir, 'o11y.yaml'), stringify(config));
  return join(dir, 'o11y.yaml');
}

const CONFIGS: readonly (readonly [string, string])[] = [
  ['o11y.yaml (default)', join(ROOT, 'o11y.yaml')],
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [`examples/${f}`, join(EXAMPLES, f)] as const),
  [
    'Grafana behind an Ingress',
    variant('exposed', (c) => {
      c.networkPolicy = { ingressNamespace: 'ingress-nginx' };
      (c.components as Record<string, Record<string, unknown>>).grafana!.expose = { ingress: { host: 'grafana.example.com', certManagerIssuer: 'letsencrypt' } };
    }),
  ],
];

/** Every alert of every rule file Prometheus loads (the rule ConfigMaps), but the user's own rule files. */
function shippedAlerts(objects: readonly K8sObject[]): Alert[] {
  return objects
    .filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-rules-') && o.metadata.name !== 'prometheus-rules-user')
    .flatMap((o) =>
      Object.entries(o.data as Record<string, string>).flatMap(([file, text]) =>
        (parseYaml(text) as { groups: { rules: (Alert & { alert?: string })[] }[] }).groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ ...r, file: `${o.metadata.name}/${file}` }))),
      ),
    );
}

/** Dashboards by uid in a cluster's Grafana ConfigMaps. */
function dashboards(objects: readonly K8sObject[]): Map<string, { panels: TextPanel[] }> {
  const out = new Map<string, { panels: TextPanel[] }>();
  for (const o of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('grafana-dashboards-'))) {
    for (const text of Object.values(o.data as Record<string, string>)) {
      const json = JSON.parse(text) as { uid: string; panels: TextPanel[] };
      out.set(json.uid, json);
    }
  }
  return out;
}

/** The URL users open Grafana with: its GF_SERVER_ROOT_URL, else a port-forward's. */
function grafanaRoot(objects: readonly K8sObject[]): string {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana')!;
  const containers = (deployment.spec as { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } }).template.spec.containers;
  const env = containers.find((c) => c.name === 'grafana')!.env ?? [];
  const root = env.find((e) => e.name === 'GF_SERVER_ROOT_URL')?.value ?? 'http://localhost:3000/';
  return root.endsWith('/') ? root : `${root}/`;
}

/** The runbook links an SLO file declares itself (they win over the stack's). */
function declaredSloLinks(configFile: string): Set<string> {
  const config = loadConfigFile(configFile);
  const slos = placeSlos(config, resolveTopology(config), {}).all.slos;
  return new Set(slos.flatMap((s) => [s.links.runbook, ...(s.alerting?.alerts ?? []).map((a) => a.annotations.runbook_url)].filter((u): u is string => !!u)));
}

describe.each(CONFIGS)('%s: every alert links to its section of the runbook dashboard', (_, configFile) => {
  const out = join(tmp, `${basename(configFile, '.yaml')}-${Math.random().toString(36).slice(2)}`);
  synthesize({ configFile, outDir: out });
  const clusters = readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'promtool' && e.name !== 'argocd' && e.name !== 'flux');
  const objects = new Map(clusters.map((c) => [c.name, loadManifestDir(join(out, c.name))]));
  const grafanaCluster = [...objects].find(([, objs]) => objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana'))!;
  const boards = dashboards(grafanaCluster[1]);
  const root = grafanaRoot(grafanaCluster[1]);
  const ownLinks = declaredSloLinks(configFile);
  const alerts = [...objects].flatMap(([cluster, objs]) => shippedAlerts(objs).map((a) => ({ ...a, cluster })));

  it('the backends ship the stack, Kubernetes and SLO alerts (the checks below are not vacuous)', () => {
    const files = new Set(alerts.map((a) => a.file.split('/')[0]));
    const config = loadConfigFile(configFile);
    const slos = config.slos.length > 0;
    const victoriaMetrics = config.clusters.some((c) => c.metrics?.mode === 'victoriametrics-cluster');
    expect([...files].sort()).toEqual(['prometheus-rules-kubernetes', ...(slos ? ['prometheus-rules-slo'] : []), 'prometheus-rules-stack', ...(victoriaMetrics ? ['prometheus-rules-victoriametrics'] : [])]);
  });

  it('every alert has a runbook_url that opens its own text panel of the runbook dashboard on the Grafana users open', () => {
    const broken = alerts.flatMap((a) => {
      const where = `${a.cluster} ${a.file} ${a.alert}${a.labels.sloth_id ? ` (${a.labels.sloth_id})` : ''}`;
      const link = a.annotations.runbook_url;
      if (!link) return [`${where}: no runbook_url`];
      if (ownLinks.has(link)) return [];
      if (!link.startsWith(root)) return [`${where}: ${link} is not on Grafana's URL ${root}`];
      const url = new URL(link);
      const uid = /\/d\/([^/]+)/.exec(url.pathname.slice(new URL(root).pathname.length - 1))?.[1];
      const board = uid ? boards.get(uid) : undefined;
      if (!board) return [`${where}: ${link}: no dashboard "${uid}" in the Grafana cluster ${grafanaCluster[0]}`];
      const panel = board.panels.find((p) => `panel-${p.id}` === url.searchParams.get('viewPanel'));
      if (!panel || panel.type !== 'text') return [`${where}: ${link}: no text panel ${url.searchParams.get('viewPanel')} in ${uid}`];
      // An alert's own section, or its SLO's, which lists it among the SLO's alerts.
      const content = panel.options?.content ?? '';
      const own = a.labels.sloth_id ? content.includes(`\`${a.labels.sloth_id}\``) && content.includes(`\`${a.alert}\``) : panel.title === a.alert;
      if (!own) return [`${where}: ${link} opens the section "${panel.title}"`];
      return /\*\*Impact\.\*\*/.test(content) && /\*\*What to check\.\*\*/.test(content) && /\*\*Silence safely\.\*\*/.test(content) ? [] : [`${where}: section "${panel.title}" lacks impact, what to check or silencing`];
    });
    expect(broken).toEqual([]);
  });

  it('the promtool rule files carry the same links as the ConfigMaps', () => {
    const backends = [...objects].filter(([, objs]) => shippedAlerts(objs).length);
    expect(backends.length).toBeGreaterThan(0);
    for (const [cluster, objs] of backends) {
      const dir = join(out, 'promtool', cluster, 'rules');
      const shipped = shippedAlerts(objs).map((a) => a.annotations.runbook_url);
      const files = readdirSync(dir).filter((f) => f !== 'user.rules.yaml');
      const written = files.flatMap((f) => (parseYaml(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: Alert[] }[] }).groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => r.annotations.runbook_url)));
      expect(written.sort()).toEqual(shipped.sort());
    }
  });
});

describe('monitoring.runbookUrl: a runbook of the user\'s', () => {
  const configFile = variant('own-runbook', (c) => {
    c.monitoring = { runbookUrl: 'https://wiki.example.com/o11y/runbook' };
  });
  const out = join(tmp, 'own-runbook-out');
  synthesize({ configFile, outDir: out });
  const alerts = shippedAlerts(loadManifestDir(join(out, 'local')));
  const anchors = new Set([...readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8').matchAll(/^## (\w+)$/gm)].map((m) => m[1]!.toLowerCase()));

  it('every stack and Kubernetes alert links to its section of docs/runbook.md, copied to that URL', () => {
    const plain = alerts.filter((a) => !a.labels.sloth_id);
    expect(plain.length).toBeGreaterThan(60);
    expect(plain.filter((a) => a.annotations.runbook_url !== `https://wiki.example.com/o11y/runbook#${a.alert.toLowerCase()}` || !anchors.has(a.alert.toLowerCase())).map((a) => a.alert)).toEqual([]);
  });
  it('SLO alerts link to their SLO\'s anchor there', () => {
    const slo = alerts.filter((a) => a.labels.sloth_id);
    expect(slo.length).toBeGreaterThan(0);
    expect(slo.filter((a) => a.annotations.runbook_url !== `https://wiki.example.com/o11y/runbook#slo-${a.labels.sloth_id}`).map((a) => a.alert)).toEqual([]);
  });
});

describe('docs/runbook.md', () => {
  it('is generated from the rule definitions (npx tsx scripts/runbook.ts)', () => {
    expect(readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8')).toBe(runbookMarkdown());
  });
});
