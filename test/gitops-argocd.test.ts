import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AppProject, Application, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synthArgoCd } from '../charts/argocd.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { InputError } from '../src/errors.ts';
import { buildAppProject, buildApplicationSet, buildApplications, buildArgoCdObjects } from '../src/gitops/argocd-objects.ts';
import { checkGitopsLayout } from '../src/gitops/check.ts';
import { readGitopsLayout } from '../src/gitops/layout.ts';
import { isClusterScoped, groupOf, type Manifest } from '../src/gitops/manifest.ts';
import { resolveGitops } from '../src/gitops/settings.ts';
import { synthesize } from '../src/synth.ts';
import { COMPONENTS_WITH_WAVES } from '../src/gitops/waves.ts';
import { fixtureStack, settingsFor } from './support/gitops-stack.ts';

const inventory = (clusters: string[]) => clusters.map((cluster) => ({ cluster, manifests: fixtureStack() }));

function validate(m: Manifest): void {
  const model = { AppProject, Application, ApplicationSet }[m.kind as 'AppProject'];
  new model(m as never).validate();
}

describe('Argo CD objects', () => {
  it.each([
    ['applicationset', ['local']],
    ['applicationset', ['eu', 'us', 'ap']],
    ['applications', ['local']],
    ['applications', ['eu', 'us']],
  ] as const)('validate against the Argo CD CRD schemas (%s, %j)', (mode, clusters) => {
    const objects = buildArgoCdObjects(settingsFor([...clusters], { mode }), inventory([...clusters]));
    expect(objects.map((o) => o.kind)).toEqual(['AppProject', ...(mode === 'applicationset' ? ['ApplicationSet'] : clusters.map(() => 'Application'))]);
    for (const o of objects) expect(() => validate(o)).not.toThrow();
  });

  it('the schemas do catch a broken object (the validation above is not vacuous)', () => {
    const [app] = buildApplications(settingsFor(['local']));
    const broken = { ...app!, spec: { ...(app!.spec as object), destination: undefined, project: undefined } };
    expect(() => validate(broken)).toThrow(/destination|project/);
  });

  it('the AppProject lists exactly the kinds synthesized, split by scope, and only our namespaces and repository', () => {
    const project = buildAppProject(settingsFor(['eu', 'us']), inventory(['eu', 'us']));
    const spec = project.spec as Record<string, { group: string; kind: string; name?: string; server?: string; namespace?: string }[]>;
    const kinds = new Set(fixtureStack().map((m) => `${groupOf(m.apiVersion)}/${m.kind}`));
    const listed = [...spec.clusterResourceWhitelist!, ...spec.namespaceResourceWhitelist!].map((k) => `${k.group}/${k.kind}`);
    expect(new Set(listed)).toEqual(kinds);
    expect(listed).toHaveLength(kinds.size);
    for (const k of spec.clusterResourceWhitelist!) expect(isClusterScoped(k.group, k.kind)).toBe(true);
    for (const k of spec.namespaceResourceWhitelist!) expect(isClusterScoped(k.group, k.kind)).toBe(false);
    expect(spec.destinations).toEqual(
      ['eu', 'us'].flatMap((name) => [
        { name, namespace: 'observability' },
        { name, namespace: 'observability-agent' },
      ]),
    );
    expect(spec.sourceRepos).toEqual(['https://git.example.com/acme/deploy.git']);
  });

  it('every Application syncs with prune, self-heal, PruneLast, no namespace creation and bounded retries', () => {
    const settings = settingsFor(['eu', 'us']);
    const specs = [...buildApplications(settings).map((a) => a.spec), (buildApplicationSet(settings).spec as { template: { spec: unknown } }).template.spec];
    for (const spec of specs as { syncPolicy: Record<string, unknown>; source: Record<string, unknown> }[]) {
      expect(spec.syncPolicy).toEqual({
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=false', 'PruneLast=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      });
      expect(spec.source).toMatchObject({ directory: { recurse: false, include: '*.k8s.yaml' } });
      expect(spec).not.toHaveProperty('ignoreDifferences');
    }
  });

  it('the ApplicationSet generates one Application per cluster, named and pointed like mode: applications', () => {
    const settings = settingsFor(['eu', 'us']);
    const set = buildApplicationSet(settings) as Manifest & { spec: { generators: { list: { elements: Record<string, string>[] } }[] } };
    expect(set.spec.generators[0]!.list.elements).toEqual([
      { cluster: 'eu', name: 'eu' },
      { cluster: 'us', name: 'us' },
    ]);
  });

  it('is deterministic: the same input gives the same bytes, whatever the inventory order', () => {
    const a = JSON.stringify(buildArgoCdObjects(settingsFor(['eu', 'us']), inventory(['eu', 'us'])));
    const shuffled = inventory(['eu', 'us']).map((i) => ({ ...i, manifests: [...i.manifests].reverse() }));
    expect(JSON.stringify(buildArgoCdObjects(settingsFor(['eu', 'us']), shuffled))).toBe(a);
  });
});

describe('gitops config', () => {
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'o11y-gitops-config-')), 'o11y.yaml');
    writeFileSync(file, text);
    return file;
  };
  const clusters = (...names: string[]) => `clusters:\n${names.map((n) => `  - { name: ${n}, cloud: onprem, region: dc1, storageClass: standard }\n`).join('')}`;
  /**
   * The config of `names` with this gitops section. It is loaded with the first cluster only, so
   * that multi-cluster rules outside gitops do not matter, and located in the file as written.
   */
  const configFor = (names: string[], gitops: string) => {
    const loaded = loadConfigFile(write(`${clusters(names[0]!)}${gitops}`));
    return { ...loaded, source: write(`${clusters(...names)}${gitops}`), clusters: names.map((name) => ({ ...loaded.clusters[0]!, name })) };
  };

  it('defaults: HEAD, dist, ApplicationSet, project = stack name, in-cluster server for one cluster', () => {
    const settings = resolveGitops(loadConfigFile(write(`name: obs\n${clusters('local')}gitops:\n  repoURL: https://git.example.com/a/b.git\n`)));
    expect(settings).toMatchObject({ targetRevision: 'HEAD', path: 'dist', mode: 'applicationset', project: 'obs', argocdNamespace: 'argocd' });
    expect(settings!.clusters).toEqual([{ cluster: 'local', destination: { server: 'https://kubernetes.default.svc' }, path: 'dist/local' }]);
  });

  it('defaults: Argo CD cluster names equal to ours for several clusters; explicit destinations win', () => {
    const settings = resolveGitops(configFor(['eu', 'us'], 'gitops:\n  repoURL: git@example.com:a/b.git\n  destinations:\n    us: { name: prod-us }\n'));
    expect(settings!.clusters.map((c) => c.destination)).toEqual([{ name: 'eu' }, { name: 'prod-us' }]);
  });

  it('no section, no Argo CD output', () => {
    expect(resolveGitops(loadConfigFile(write(clusters('local'))))).toBeUndefined();
  });

  it.each([
    ['an unknown cluster', ['eu'], 'gitops:\n  repoURL: https://x.example/a.git\n  destinations:\n    moon: { name: x }\n', /o11y\.yaml:6:\d+ gitops\.destinations\.moon: "moon" is not a cluster of this stack; clusters: eu/],
    ['both server and name', ['eu'], `gitops:\n  repoURL: https://x.example/a.git\n  destinations:\n    eu: { name: x, server: "https://y" }\n`, /gitops\.destinations\.eu: give exactly one of server/],
    ['mixed destinations in one ApplicationSet', ['eu', 'us'], `gitops:\n  repoURL: https://x.example/a.git\n  destinations:\n    eu: { server: "https://y" }\n`, /gitops\.destinations: an ApplicationSet template needs every cluster named the same way/],
  ])('rejects %s with a located message', (_name, names, gitops, message) => {
    const config = configFor(names, gitops);
    expect(() => resolveGitops(config)).toThrow(InputError);
    expect(() => resolveGitops(config)).toThrow(message);
  });

  it.each([
    ['argocd', /clusters\[0\]\.name: dist\/argocd\/ holds the Argo CD objects; choose another cluster name/],
    ['flux', /clusters\[0\]\.name: dist\/flux\/ holds the Flux objects/],
    ['promtool', /clusters\[0\]\.name: dist\/promtool\/ holds the rule files and promtool tests/],
  ])('refuses a cluster named %s, with or without a gitops section (a folder of dist/ beside the clusters)', (name, message) => {
    expect(() => loadConfigFile(write(clusters(name)))).toThrow(message);
    expect(() => loadConfigFile(write(`${clusters(name)}gitops:\n  repoURL: https://x.example/a.git\n`))).toThrow(message);
  });

  it('the schema rejects a missing repoURL and an unknown mode', () => {
    expect(() => loadConfigFile(write(`${clusters('eu')}gitops:\n  mode: helm\n`))).toThrow(/gitops: missing required key "repoURL"[\s\S]*gitops\.mode: "helm" is not one of applicationset, applications/);
  });
});

describe('synth with a gitops section', () => {
  const synthTwice = () => {
    const root = mkdtempSync(join(tmpdir(), 'o11y-gitops-synth-'));
    const config = join(root, 'o11y.yaml');
    const base = readFileSync('o11y.yaml', 'utf8').replace(/^slos:.*$/m, '');
    writeFileSync(config, `${base}\ngitops:\n  repoURL: https://git.example.com/acme/deploy.git\n  mode: applications\n`);
    const read = (dir: string) =>
      Object.fromEntries(
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => [relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8')]),
      );
    synthesize({ configFile: config, outDir: join(root, 'a', 'dist') });
    synthesize({ configFile: config, outDir: join(root, 'b', 'dist') });
    return { dist: join(root, 'a', 'dist'), a: read(join(root, 'a', 'dist')), b: read(join(root, 'b', 'dist')) };
  };
  const out = synthTwice();

  it('writes dist/argocd/ and the argocd-cm patch, byte-identical across runs', () => {
    expect(Object.keys(out.a)).toEqual(expect.arrayContaining(['argocd/argocd.k8s.yaml', 'argocd/patches/argocd-cm.yaml']));
    expect(out.b).toEqual(out.a);
    expect(parse(out.a['argocd/patches/argocd-cm.yaml']!)).toMatchObject({ data: { 'application.resourceTrackingMethod': 'annotation' } });
  });

  it('annotates every synthesized object with a sync wave and passes o11y gitops check', () => {
    for (const [file, text] of Object.entries(out.a).filter(([f]) => /^[^/]+\/[^/]+\.k8s\.yaml$/.test(f) && !f.startsWith('argocd/'))) {
      for (const doc of parseAllDocuments(text)) {
        const m = doc.toJS() as Manifest | null;
        if (!m) continue;
        expect(m.metadata.annotations?.['argocd.argoproj.io/sync-wave'], `${file} ${m.kind} ${m.metadata.name}`).toMatch(/^-?\d+$/);
        expect(COMPONENTS_WITH_WAVES.has(m.metadata.labels?.['app.kubernetes.io/component'] ?? ''), `${file} ${m.kind} ${m.metadata.name}: component without a wave`).toBe(true);
      }
    }
    const report = checkGitopsLayout(readGitopsLayout(out.dist));
    expect(report.problems).toEqual([]);
    expect(report.objects).toBeGreaterThan(20);
  });

  it('synthArgoCd writes nothing without a gitops section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-gitops-none-'));
    expect(synthArgoCd(resolveGitops(loadConfigFile('o11y.yaml')), [], dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
