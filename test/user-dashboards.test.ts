import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { synthesize } from '../src/synth.ts';
import { loadUserDashboards } from '../src/user/dashboards.ts';
import { loadManifestDir } from './support/load-manifests.ts';

// The user's Grafana dashboards (`dashboards:`): checked at synth (JSON, uid, title, datasource
// references), provisioned from their own ConfigMap into the folder "Custom".

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-user-dashboards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DATASOURCES = [
  { uid: 'prometheus', name: 'Prometheus' },
  { uid: 'loki', name: 'Loki' },
  { uid: 'tempo', name: 'Tempo' },
  { uid: 'alertmanager', name: 'Alertmanager' },
];

let n = 0;
/** Problems of one dashboard text, as `file:line:col path: message` with the temp dir stripped. */
function problemsOf(text: string, reserved: string[] = []): string[] {
  const file = join(work, `d${n++}.json`);
  writeFileSync(file, text);
  try {
    loadUserDashboards([file], DATASOURCES, reserved);
  } catch (e) {
    if (e instanceof InputError) return e.message.split('\n').map((l) => l.replace(`${file}:`, ''));
    throw e;
  }
  return [];
}
const panelWith = (datasource: string, extra = '') => `{
  "uid": "mine",
  "title": "Mine",${extra}
  "panels": [
    {
      "type": "timeseries",
      "datasource": ${datasource}
    }
  ]
}`;

describe('dashboard checks', () => {
  it.each([
    ['a {type, uid} reference to a provisioned datasource', '{ "type": "prometheus", "uid": "prometheus" }'],
    ['a legacy name reference', '"Loki"'],
    ['the default datasource (null)', 'null'],
    ['the built-in Grafana, Mixed and Dashboard datasources', '{ "type": "datasource", "uid": "-- Mixed --" }'],
    ['a variable the dashboard defines', '"${ds}"', '\n  "templating": { "list": [{ "name": "ds", "type": "datasource", "query": "prometheus" }] },'],
    ['the same variable, short form', '{ "uid": "$ds" }', '\n  "templating": { "list": [{ "name": "ds", "type": "datasource", "query": "prometheus" }] },'],
  ])('accepts %s', (_, ref, extra = '') => {
    expect(problemsOf(panelWith(ref, extra))).toEqual([]);
  });

  it('an unknown uid: the file, line, JSON path and the uids allowed', () => {
    expect(problemsOf(panelWith('{ "type": "prometheus", "uid": "prom-main" }'))).toEqual([
      '7:21 panels[0].datasource: unknown datasource uid "prom-main"; provisioned datasource uids: prometheus, loki, tempo, alertmanager',
    ]);
  });

  it("an import input (${DS_…}) that file provisioning would leave unresolved, with the fix", () => {
    const [p, ...rest] = problemsOf(panelWith('"${DS_PROMETHEUS}"', '\n  "__inputs": [{ "name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus" }],'));
    expect(rest).toEqual([]);
    expect(p).toMatch(/^8:21 panels\[0\]\.datasource: refers to variable \$\{DS_PROMETHEUS\}, which the dashboard does not define; DS_PROMETHEUS is an import input \(__inputs\), which file provisioning does not fill in: add a datasource variable named DS_PROMETHEUS/);
  });

  it('targets, variables and the panels of collapsed rows are checked too', () => {
    const text = `{
  "uid": "mine", "title": "Mine",
  "templating": { "list": [{ "name": "job", "type": "query", "datasource": { "uid": "nope-1" } }] },
  "panels": [
    { "type": "row", "collapsed": true, "panels": [
      { "type": "timeseries", "targets": [{ "refId": "A", "datasource": { "uid": "nope-2" } }] }
    ] }
  ]
}`;
    expect(problemsOf(text).map((p) => p.replace(/;.*/, ''))).toEqual([
      '3:76 templating.list[0].datasource: unknown datasource uid "nope-1"',
      '6:73 panels[0].panels[0].targets[0].datasource: unknown datasource uid "nope-2"',
    ]);
  });

  it('invalid JSON: the line and column of the syntax error', () => {
    expect(problemsOf('{\n  "uid": "mine",\n  "title": "Mine",\n}\n')).toEqual([expect.stringMatching(/^4:1 invalid JSON: /)]);
  });

  it('a missing uid or title, an invalid uid, and a uid the stack or another file already uses', () => {
    expect(problemsOf('{ "title": "x" }')).toEqual([expect.stringMatching(/^1:1 uid: missing uid: provisioned dashboards need a stable uid/)]);
    expect(problemsOf('{ "uid": "has space", "title": "x" }')).toEqual([expect.stringMatching(/^1:10 uid: uid "has space" is not allowed/)]);
    expect(problemsOf('{ "uid": "a" }')).toEqual([expect.stringMatching(/^1:1 title: missing title/)]);
    expect(problemsOf('{ "uid": "o11y-stack-health", "title": "x" }', ['o11y-stack-health'])).toEqual([
      '1:10 uid: uid "o11y-stack-health" is already used by a dashboard of the stack; every dashboard needs its own uid',
    ]);
    const a = join(work, 'a.json');
    const b = join(work, 'b.json');
    writeFileSync(a, '{ "uid": "same", "title": "A" }');
    writeFileSync(b, '{ "uid": "same", "title": "B" }');
    expect(() => loadUserDashboards([a, b], DATASOURCES, [])).toThrow(`${b}:1:10 uid: uid "same" is already used by ${a}`);
  });
});

describe('the synthesized Grafana with user dashboards', () => {
  const out = join(work, 'dist');
  let objs: ReturnType<typeof loadManifestDir>;
  beforeAll(() => {
    synthesize({ configFile: join(ROOT, 'test/fixtures/user/o11y.yaml'), outDir: out });
    objs = loadManifestDir(join(out, 'local'));
  });

  it('provisions them from their own ConfigMap, mounted where the "Custom" folder provider reads', () => {
    const providers = parse((objs.find((o) => o.metadata.name === 'grafana-dashboard-providers')!.data as Record<string, string>)['dashboards.yaml']) as {
      providers: { name: string; folder: string; options: { path: string } }[];
    };
    const custom = providers.providers.find((p) => p.folder === 'Custom')!;
    expect(providers.providers.map((p) => p.folder).at(-1)).toBe('Custom');
    expect(providers.providers.filter((p) => p.folder === 'Custom')).toHaveLength(1);
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-dashboards-custom')!;
    expect(Object.keys(cm.data as object)).toEqual(['team-payments.json']);
    expect(JSON.parse((cm.data as Record<string, string>)['team-payments.json']!).title).toBe('Payments');
    const spec = (objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana')!.spec as { template: { spec: { volumes: { name: string; configMap?: { name: string } }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } }).template.spec;
    const volume = spec.volumes.find((v) => v.configMap?.name === 'grafana-dashboards-custom')!;
    expect(spec.containers[0]!.volumeMounts.find((m) => m.name === volume.name)?.mountPath).toBe(custom.options.path);
  });

  it('the default stack provisions no Custom folder', () => {
    const dir = join(work, 'default');
    synthesize({ configFile: join(ROOT, 'o11y.yaml'), outDir: dir });
    const all = loadManifestDir(join(dir, 'local'));
    expect(all.some((o) => o.metadata.name === 'grafana-dashboards-custom')).toBe(false);
  });
});
