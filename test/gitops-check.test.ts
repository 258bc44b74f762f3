import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { buildArgoCdObjects } from '../src/gitops/argocd-objects.ts';
import { checkGitopsLayout } from '../src/gitops/check.ts';
import { readGitopsLayout } from '../src/gitops/layout.ts';
import { referencesOf } from '../src/gitops/references.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import { fileNameOf, fixtureStack, settingsFor, withWave, writeDist } from './support/gitops-stack.ts';
import { parseManifests } from './support/load-manifests.ts';
import { prng } from './support/prng.ts';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stream = (write: (s: string) => void) => ({ write: (s: string) => (write(s), true) }) as unknown as NodeJS.WritableStream;
  const code = await main(['node', 'o11y', ...args], { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)) });
  return { code, out, err };
}

const problemsOf = (dist: string) => checkGitopsLayout(readGitopsLayout(dist)).problems.map((p) => [p.file, p.object, p.message].filter(Boolean).join(': '));


/** A parsed YAML object the broken-layout cases may change anywhere. */
type Loose = Record<string, any>;
const edit = (file: string, change: (m: Loose) => void) => {
  const m = parse(readFileSync(file, 'utf8'));
  change(m);
  writeFileSync(file, stringify(m));
};

describe('o11y gitops check on good layouts', () => {
  it.each(['applicationset', 'applications'] as const)('passes a single-cluster stack (%s)', async (mode) => {
    const dist = writeDist({ local: fixtureStack() }, settingsFor(['local'], { mode }));
    mkdirSync(join(dist, 'local', 'promtool'));
    writeFileSync(join(dist, 'local', 'promtool', 'rules.yaml'), 'groups: []\n');
    const { code, out } = await cli('gitops', 'check', dist);
    expect(out).toMatch(/^ok: 1 Application\(s\), 33 file\(s\), 33 object\(s\)/);
    expect(code).toBe(0);
  });

  it('passes several clusters with the same object names (different destinations are no duplicates)', () => {
    const dist = writeDist({ eu: fixtureStack(), us: fixtureStack() }, settingsFor(['eu', 'us']));
    expect(problemsOf(dist)).toEqual([]);
  });

  it('passes the shared manifest fixture once its objects carry waves', () => {
    const stack = parseManifests(readFileSync('test/fixtures/manifests/good-stack.yaml', 'utf8')) as unknown as Manifest[];
    const dist = writeDist({ local: stack.map(withWave) }, settingsFor(['local']));
    expect(problemsOf(dist)).toEqual([]);
  });

  it('warns, without failing, about claim templates the API server completes', async () => {
    const stack = fixtureStack().map((m) =>
      m.kind === 'StatefulSet' && m.metadata.name === 'loki' ? { ...m, spec: { ...(m.spec as object), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } } : m,
    );
    const { code, out } = await cli('gitops', 'check', writeDist({ local: stack }, settingsFor(['local'])));
    expect(out).toMatch(/warning: .*StatefulSet observability\/loki: spec\.volumeClaimTemplates\[data\] lacks apiVersion: v1 and kind: PersistentVolumeClaim/);
    expect(out.match(/^warning:/gm)).toHaveLength(1);
    expect(code).toBe(0);
  });

  it('prints JSON with -o json', async () => {
    const dist = writeDist({ local: fixtureStack() }, settingsFor(['local']));
    const { code, out } = await cli('gitops', 'check', dist, '-o', 'json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, problems: [], warnings: [], applications: 1, files: 33, objects: 33 });
  });
});

describe('o11y gitops check rejects broken layouts with exit 1 and names the problem', () => {
  const local = (dist: string, m: Pick<Manifest, 'kind' | 'metadata'>) => join(dist, 'local', `${m.kind}.${m.metadata.name}.k8s.yaml`);
  const cases: [string, (dist: string) => void, RegExp][] = [
    ['a stray file', (d) => writeFileSync(join(d, 'local', 'notes.yaml'), 'a: 1\n'), /local\/notes\.yaml: not covered by any Application/],
    ['a cluster folder without Application', (d) => (mkdirSync(join(d, 'extra')), writeFileSync(join(d, 'extra', 'x.k8s.yaml'), stringify(fixtureStack()[0]))), /extra\/: not covered by any Application/],
    [
      'a ConfigMap moved after its Deployment',
      (d) => edit(local(d, { kind: 'ConfigMap', metadata: { name: 'grafana-config' } }), (m) => (m.metadata.annotations['argocd.argoproj.io/sync-wave'] = '9')),
      /Deployment observability\/grafana: spec\.template\.spec\.volumes\[config\]\.configMap refers to ConfigMap observability\/grafana-config from a later sync wave \(9 > 5\)/,
    ],
    [
      'the same object in two files',
      (d) => writeFileSync(join(d, 'local', 'copy.k8s.yaml'), readFileSync(local(d, { kind: 'Service', metadata: { name: 'loki' } }))),
      /Service observability\/loki: duplicate resource on https:\/\/kubernetes\.default\.svc: also in .*local\/Service\.loki\.k8s\.yaml/,
    ],
    ['an invalid name', (d) => edit(local(d, { kind: 'Service', metadata: { name: 'tempo' } }), (m) => (m.metadata.name = 'Tempo_UI')), /Service observability\/Tempo_UI: metadata\.name "Tempo_UI" is not a valid DNS label/],
    ['a namespaced object without namespace', (d) => edit(local(d, { kind: 'ServiceAccount', metadata: { name: 'loki' } }), (m) => delete m.metadata.namespace), /ServiceAccount loki: metadata\.namespace is missing/],
    ['a missing Namespace', (d) => rmSync(local(d, { kind: 'Namespace', metadata: { name: 'observability-agent' } })), /refers to Namespace observability-agent, which no manifest of Application o11y-local creates/],
    ['a non-integer wave', (d) => edit(local(d, { kind: 'Service', metadata: { name: 'loki' } }), (m) => (m.metadata.annotations['argocd.argoproj.io/sync-wave'] = 'early')), /sync-wave "early" is not an integer/],
    [
      'a kind the AppProject does not list',
      (d) => edit(join(d, 'argocd', 'AppProject.o11y.k8s.yaml'), (m) => (m.spec.namespaceResourceWhitelist = m.spec.namespaceResourceWhitelist.filter((k: { kind: string }) => k.kind !== 'StatefulSet'))),
      /StatefulSet observability\/loki: AppProject o11y does not list apps\/StatefulSet in namespaceResourceWhitelist/,
    ],
    [
      'a namespace the AppProject does not allow',
      (d) => edit(join(d, 'argocd', 'AppProject.o11y.k8s.yaml'), (m) => (m.spec.destinations = m.spec.destinations.filter((x: { namespace: string }) => x.namespace !== 'observability-agent'))),
      /DaemonSet observability-agent\/otel-agent: AppProject o11y does not allow namespace observability-agent/,
    ],
    ['an Application path to nowhere', (d) => renameSync(join(d, 'local'), join(d, 'other')), /Application o11y-local reads dist\/local, but local\/ does not exist/],
    [
      'an instance label equal to the Application name',
      (d) => edit(local(d, { kind: 'Service', metadata: { name: 'grafana' } }), (m) => (m.metadata.labels['app.kubernetes.io/instance'] = 'o11y-local')),
      /label app\.kubernetes\.io\/instance=o11y-local equals the Application name/,
    ],
    [
      'an Application that recurses into promtool/',
      (d) => edit(join(d, 'argocd', 'ApplicationSet.o11y.k8s.yaml'), (m) => (m.spec.template.spec.source.directory.recurse = true)),
      /Application o11y-local recurses into .*local\//,
    ],
    [
      'an ApplicationSet placeholder without value',
      (d) => edit(join(d, 'argocd', 'ApplicationSet.o11y.k8s.yaml'), (m) => (m.spec.template.spec.destination.server = '{{url}}')),
      /\{\{url\}\} has no value/,
    ],
    ['an included file that is not a Kubernetes object', (d) => writeFileSync(join(d, 'local', 'values.k8s.yaml'), 'a: 1\n'), /local\/values\.k8s\.yaml: line 1:1: not a Kubernetes object/],
    [
      'a named hook that would run once',
      (d) => edit(local(d, { kind: 'Job', metadata: { name: 'o11y-check' } }), (m) => delete m.metadata.annotations['argocd.argoproj.io/hook-delete-policy']),
      /Job observability\/o11y-check: a hook with a fixed name runs on the first sync only/,
    ],
    ['no Argo CD objects', (d) => { for (const f of readdirSync(join(d, 'argocd'))) rmSync(join(d, 'argocd', f), { recursive: true }); }, /no Application or ApplicationSet found/],
    ['no argocd/ folder: the config had no gitops section', (d) => rmSync(join(d, 'argocd'), { recursive: true }), /no argocd\/ or flux\/ folder in .*: the config has no `gitops:` section/],
  ];

  it.each(cases)('%s', async (_name, breakIt, expected) => {
    const dist = writeDist({ local: fixtureStack() }, settingsFor(['local']));
    breakIt(dist);
    const { code, out } = await cli('gitops', 'check', dist);
    expect(out).toMatch(expected);
    expect(out).toMatch(/FAILED: \d+ problem\(s\)/);
    expect(code).toBe(1);
  });
});

describe('o11y gitops check: usage and unreadable input exit 2', () => {
  it('without DIR', async () => {
    expect((await cli('gitops', 'check')).code).toBe(2);
  });
  it('with a DIR that does not exist', async () => {
    const { code, err } = await cli('gitops', 'check', '/nonexistent/dist');
    expect(code).toBe(2);
    expect(err).toMatch(/\/nonexistent\/dist is not a folder/);
  });
  it('with a file that is not YAML, naming file and line', async () => {
    const dist = writeDist({ local: fixtureStack() }, settingsFor(['local']));
    writeFileSync(join(dist, 'local', 'bad.k8s.yaml'), 'kind: ConfigMap\napiVersion: v1\nmetadata: [\n');
    const { code, err } = await cli('gitops', 'check', dist);
    expect(code).toBe(2);
    expect(err).toMatch(/bad\.k8s\.yaml:\d+:\d+ invalid YAML/);
  });
  it('with an unknown output format', async () => {
    expect((await cli('gitops', 'check', '.', '-o', 'xml')).code).toBe(2);
  });
});

describe('properties of the check (random layouts, fixed seeds)', () => {
  it('coverage: exactly the files the Applications do not include are reported', () => {
    const random = prng(7);
    for (let round = 0; round < 15; round++) {
      const dist = writeDist({ local: fixtureStack() }, settingsFor(['local'], { mode: round % 2 ? 'applications' : 'applicationset' }));
      const files = readdirSync(join(dist, 'local'));
      const hidden = files.filter(() => random() < 0.15);
      for (const f of hidden) renameSync(join(dist, 'local', f), join(dist, 'local', f.replace(/\.k8s\.yaml$/, '.yaml')));
      const uncovered = problemsOf(dist).filter((p) => p.includes('not covered'));
      expect(uncovered.sort()).toEqual(hidden.map((f) => `${join(dist, 'local', f.replace(/\.k8s\.yaml$/, '.yaml'))}: not covered by any Application (it matches no directory.include)`).sort());
    }
  });

  it('duplicates: each object copied into another file is reported once, naming both files', () => {
    const random = prng(11);
    for (let round = 0; round < 15; round++) {
      const stack = fixtureStack().filter((m) => !m.metadata.annotations?.['argocd.argoproj.io/hook']);
      const dist = writeDist({ local: stack }, settingsFor(['local']));
      const copied = stack.filter(() => random() < 0.2);
      copied.forEach((m, i) => writeFileSync(join(dist, 'local', `zz-copy-${i}.k8s.yaml`), stringify(m)));
      const duplicates = problemsOf(dist).filter((p) => p.includes('duplicate resource'));
      expect(duplicates).toHaveLength(copied.length);
      copied.forEach((m, i) => expect(duplicates.some((p) => p.includes(`zz-copy-${i}.k8s.yaml`) && p.includes(fileNameOf(m)))).toBe(true));
    }
  });

  it('duplicates: the same cluster managed by two Applications is reported for every object', () => {
    const stack = fixtureStack().filter((m) => !m.metadata.annotations?.['argocd.argoproj.io/hook']);
    const settings = settingsFor(['eu', 'us'], { mode: 'applications' });
    const same = { ...settings, clusters: settings.clusters.map((c) => ({ ...c, destination: { name: 'prod' } })) };
    const dist = writeDist({ eu: stack, us: stack }, same, buildArgoCdObjects(same, [{ cluster: 'eu', manifests: stack }, { cluster: 'us', manifests: stack }]));
    const duplicates = problemsOf(dist).filter((p) => p.includes('also managed by Application o11y-eu'));
    expect(duplicates).toHaveLength(stack.length);
  });

  it('waves: raising any referenced object above its referrer is reported for exactly that reference', () => {
    const random = prng(3);
    const stack = fixtureStack();
    const key = (m: Pick<Manifest, 'kind' | 'metadata'>) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
    const referenced = new Set(stack.flatMap((m) => referencesOf(m).map((r) => `${r.target.kind}/${r.target.namespace}/${r.target.name}`)));
    const targets = stack.filter((m) => referenced.has(key(m)));
    expect(targets.length).toBeGreaterThanOrEqual(20);
    for (let round = 0; round < 12; round++) {
      const target = targets[Math.floor(random() * targets.length)]!;
      const moved = stack.map((m) => (key(m) === key(target) ? { ...m, metadata: { ...m.metadata, annotations: { ...m.metadata.annotations, 'argocd.argoproj.io/sync-wave': '6' } } } : m));
      const dist = writeDist({ local: moved }, settingsFor(['local']));
      const reported = problemsOf(dist);
      const describe = `${target.kind} ${target.metadata.namespace ? `${target.metadata.namespace}/` : ''}${target.metadata.name}`;
      expect(reported.length, describe).toBeGreaterThan(0);
      for (const p of reported) expect(p).toContain(`refers to ${describe} from a later sync wave (6 >`);
    }
  });
});
