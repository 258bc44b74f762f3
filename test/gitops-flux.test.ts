import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synthFlux } from '../charts/flux.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { checkGitopsLayout } from '../src/gitops/check.ts';
import { FLUX_FORCE_ANNOTATION } from '../src/gitops/flux-objects.ts';
import { readGitopsLayout } from '../src/gitops/layout.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import { resolveGitops } from '../src/gitops/settings.ts';
import { synthesize } from '../src/synth.ts';
import { readTree } from './support/tree.ts';

const root = mkdtempSync(join(tmpdir(), 'o11y-flux-'));
let configs = 0;
const writeConfig = (text: string) => {
  const dir = join(root, `config-${++configs}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'o11y.yaml'), text);
  return join(dir, 'o11y.yaml');
};
const FLUX = 'gitops:\n  flavor: flux\n  repoURL: https://git.example.com/acme/deploy.git\n  targetRevision: main\n';
const LOCAL = 'clusters:\n  - { name: local, cloud: onprem, region: dc1, storageClass: standard }\n';
/** The multi-cloud example, beside a copy of its SLO files, with a Flux gitops section. */
const multiCloud = () => {
  const config = writeConfig(`${readFileSync('examples/multi-cloud.yaml', 'utf8')}\n${FLUX}`);
  cpSync('examples/slos', join(dirname(config), 'slos'), { recursive: true });
  return config;
};

const docs = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Manifest).filter(Boolean);
const problemsOf = (dist: string) => checkGitopsLayout(readGitopsLayout(dist)).problems.map((p) => [p.file?.replace(`${dist}/`, ''), p.object, p.message].filter(Boolean).join(': '));

/** Synthesizes a config into a fresh `<tmp>/dist` (the folder name Flux paths start with). */
function synth(config: string): string {
  const dist = join(root, `out-${++configs}`, 'dist');
  synthesize({ configFile: config, outDir: dist });
  return dist;
}

describe('Flux delivery: synthesized layout', () => {
  const dist = synth(writeConfig(`name: o11y\n${LOCAL}${FLUX}`));
  const fluxObjects = docs(join(dist, 'flux', 'local', 'flux.k8s.yaml'));

  it('writes a GitRepository and two Kustomizations per cluster, the stack depending on the namespaces', () => {
    expect(fluxObjects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'source.toolkit.fluxcd.io/v1 GitRepository flux-system/o11y',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/o11y-local-namespaces',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/o11y-local',
    ]);
    const [repo, namespaces, stack] = fluxObjects as [Manifest, Manifest, Manifest];
    expect(repo.spec).toEqual({ interval: '5m', url: 'https://git.example.com/acme/deploy.git', ref: { branch: 'main' } });
    for (const k of [namespaces, stack]) {
      expect(k.spec).toMatchObject({ prune: true, wait: true, sourceRef: { kind: 'GitRepository', name: 'o11y' } });
      expect((k.spec as { timeout: string }).timeout).toMatch(/^\d+m$/);
    }
    expect(namespaces.spec).not.toHaveProperty('dependsOn');
    expect(stack.spec).toMatchObject({ dependsOn: [{ name: 'o11y-local-namespaces' }], path: './dist/flux/layers/local/stack' });
  });

  it('the two layers list every manifest file of dist/local/ exactly once, every Namespace in the first', () => {
    const layer = (name: string) => parse(readFileSync(join(dist, 'flux', 'layers', 'local', name, 'kustomization.yaml'), 'utf8')).resources as string[];
    const listed = [...layer('namespaces'), ...layer('stack')].map((r) => r.replace('../../../../local/', ''));
    const manifests = readdirSync(join(dist, 'local')).filter((f) => f.endsWith('.k8s.yaml')).sort();
    expect([...listed].sort()).toEqual(manifests);
    for (const f of layer('stack')) expect(docs(join(dist, 'flux', 'layers', 'local', 'stack', f)).map((o) => o.kind)).not.toContain('Namespace');
    expect(layer('namespaces').flatMap((f) => docs(join(dist, 'flux', 'layers', 'local', 'namespaces', f)).map((o) => o.kind))).toContain('Namespace');
  });

  it('marks the o11y-check Job for recreation (its pod template is immutable), and only with Flux', () => {
    const job = docs(join(dist, 'local', '50-controller.k8s.yaml')).find((o) => o.kind === 'Job')!;
    expect(job.metadata.annotations?.[FLUX_FORCE_ANNOTATION]).toBe('enabled');
    const argo = synth(writeConfig(`${LOCAL}gitops:\n  repoURL: https://git.example.com/acme/deploy.git\n`));
    const argoJob = docs(join(argo, 'local', '50-controller.k8s.yaml')).find((o) => o.kind === 'Job')!;
    expect(argoJob.metadata.annotations).not.toHaveProperty(FLUX_FORCE_ANNOTATION);
    expect(readdirSync(argo)).toEqual(['argocd', 'local', 'promtool']);
  });

  it('passes o11y gitops check', () => {
    const report = checkGitopsLayout(readGitopsLayout(dist));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ kustomizations: 2, files: 6 });
    expect(report.objects).toBe(readdirSync(join(dist, 'local')).filter((f) => f.endsWith('.k8s.yaml')).flatMap((f) => docs(join(dist, 'local', f))).length);
  });

  it('passes o11y gitops check for the multi-cloud example: one Flux folder per cluster', () => {
    const multi = synth(multiCloud());
    const clusters = readdirSync(multi).filter((d) => !['flux', 'promtool'].includes(d));
    expect(readdirSync(join(multi, 'flux')).sort()).toEqual([...clusters, 'layers'].sort());
    expect(checkGitopsLayout(readGitopsLayout(multi)).problems).toEqual([]);
  });

  it('synthFlux writes nothing for Argo CD or without a gitops section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-flux-none-'));
    expect(synthFlux(resolveGitops(loadConfigFile('o11y.yaml')), [], dir)).toEqual([]);
    expect(synthFlux(resolveGitops(loadConfigFile(writeConfig(`${LOCAL}gitops:\n  repoURL: https://git.example.com/a.git\n`))), [], dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('dist/<cluster>/ as kustomize and Flux read it', () => {
  it.each([
    ['the default config', 'o11y.yaml'],
    ['the multi-cloud example', 'examples/multi-cloud.yaml'],
  ])('%s: every YAML file below a cluster folder is Kubernetes objects only, and its Kustomization lists exactly the manifests', (_, config) => {
    const dist = synth(config);
    const tree = readTree(dist);
    const clusters = readdirSync(dist).filter((d) => !['argocd', 'flux', 'promtool'].includes(d));
    expect(clusters.length).toBeGreaterThan(0);
    for (const cluster of clusters) {
      const files = [...tree.keys()].filter((f) => f.startsWith(`${cluster}/`)).map((f) => f.slice(cluster.length + 1));
      expect(files.filter((f) => f.includes('/')), `${cluster}/ has subfolders`).toEqual([]);
      for (const f of files.filter((f) => /\.ya?ml$/.test(f))) {
        for (const m of docs(join(dist, cluster, f))) expect(typeof m.apiVersion === 'string' && typeof m.kind === 'string', `${cluster}/${f}`).toBe(true);
      }
      const kustomization = parse(tree.get(`${cluster}/Kustomization`)!.toString());
      expect(kustomization).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files.filter((f) => f.endsWith('.k8s.yaml')).sort() });
    }
    expect([...tree.keys()].filter((f) => f.startsWith('promtool/')).length).toBeGreaterThan(0);
  });
});

describe('o11y gitops check on Flux layouts', () => {
  const fresh = () => synth(writeConfig(`name: o11y\n${LOCAL}${FLUX}`));
  const edit = (file: string, change: (value: any) => void) => {
    const all = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    all.forEach((v) => change(v));
    writeFileSync(file, all.map((v) => stringify(v)).join('---\n'));
  };
  const fluxFile = (dist: string) => join(dist, 'flux', 'local', 'flux.k8s.yaml');
  const layerFile = (dist: string, layer: string) => join(dist, 'flux', 'layers', 'local', layer, 'kustomization.yaml');

  it.each<[string, (dist: string) => void, RegExp]>([
    ['a file no layer lists', (d) => edit(layerFile(d, 'stack'), (k) => k.resources.pop()), /local\/50-controller\.k8s\.yaml: not applied by any Flux Kustomization/],
    ['a file both layers list', (d) => edit(layerFile(d, 'namespaces'), (k) => k.resources.push('../../../../local/40-grafana.k8s.yaml')), /duplicate resource: applied by Kustomization flux-system\/o11y-local-namespaces and flux-system\/o11y-local/],
    ['the stack not depending on the namespaces', (d) => edit(fluxFile(d), (o) => delete o.spec.dependsOn), /refers to Namespace observability, applied by Kustomization flux-system\/o11y-local-namespaces, which flux-system\/o11y-local does not depend on/],
    ['a dependsOn cycle', (d) => edit(fluxFile(d), (o) => o.metadata.name === 'o11y-local-namespaces' && (o.spec.dependsOn = [{ name: 'o11y-local' }])), /dependsOn cycle: flux-system\/o11y-local-namespaces -> flux-system\/o11y-local -> flux-system\/o11y-local-namespaces/],
    ['an unknown dependency', (d) => edit(fluxFile(d), (o) => o.metadata.name === 'o11y-local' && (o.spec.dependsOn = [{ name: 'nope' }])), /dependsOn flux-system\/nope, which is not defined beside it/],
    ['an unknown source', (d) => edit(fluxFile(d), (o) => o.kind === 'Kustomization' && (o.spec.sourceRef.name = 'other')), /sourceRef names GitRepository flux-system\/other/],
    ['a GitRepository without ref', (d) => edit(fluxFile(d), (o) => o.kind === 'GitRepository' && delete o.spec.ref), /no spec\.ref: Flux would check out the master branch/],
    ['a layer listing a missing file', (d) => edit(layerFile(d, 'stack'), (k) => k.resources.push('../../../../local/99-gone.k8s.yaml')), /lists \.\.\/\.\.\/\.\.\/\.\.\/local\/99-gone\.k8s\.yaml, which is not a file or kustomization folder of/],
    ['a Job Flux cannot upgrade', (d) => edit(join(d, 'local', '50-controller.k8s.yaml'), (o) => o?.kind === 'Job' && delete o.metadata.annotations[FLUX_FORCE_ANNOTATION]), /Job observability\/o11y-check: a Job's pod template is immutable/],
    ['a path outside DIR', (d) => edit(fluxFile(d), (o) => o.metadata.name === 'o11y-local' && (o.spec.path = './elsewhere/stack')), /path \.\/elsewhere\/stack is not a folder of/],
    ['a plain folder with a subfolder, which Flux reads recursively', (d) => {
      edit(fluxFile(d), (o) => o.metadata.name === 'o11y-local' && (o.spec.path = './dist/local'));
      rmSync(join(d, 'local', 'Kustomization'));
      mkdirSync(join(d, 'local', 'notes'));
    }, /Flux reads .*local\/ recursively \(it has no kustomization\.yaml\): the subfolders notes would be applied too/],
    ['Argo CD and Flux both', (d) => mkdirSync(join(d, 'argocd')), /both argocd\/ and flux\/ exist/],
    ['no delivery folder at all', (d) => rmSync(join(d, 'flux'), { recursive: true }), /no argocd\/ or flux\/ folder in .*: the config has no `gitops:` section/],
  ])('names %s', (_, breakIt, message) => {
    const dist = fresh();
    expect(problemsOf(dist)).toEqual([]);
    breakIt(dist);
    expect(problemsOf(dist).join('\n')).toMatch(message);
  });

  it('accepts one Kustomization that reads a cluster folder directly (through its Kustomization file)', () => {
    const dist = fresh();
    const file = fluxFile(dist);
    const kept = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o.metadata.name !== 'o11y-local-namespaces');
    writeFileSync(file, kept.map((v) => stringify(v)).join('---\n'));
    edit(file, (o) => o.kind === 'Kustomization' && ((o.spec.path = './dist/local'), delete o.spec.dependsOn));
    expect(problemsOf(dist)).toEqual([]);
    expect(checkGitopsLayout(readGitopsLayout(dist))).toMatchObject({ kustomizations: 1, files: 6 });
  });
});

describe('Flux config', () => {
  it.each([
    ['the HEAD default', `${LOCAL}gitops:\n  flavor: flux\n  repoURL: https://git.example.com/a.git\n`, /o11y\.yaml:\d+:\d+ gitops: Flux follows a named branch or reference: set targetRevision/],
    ['an scp-like URL', `${LOCAL}gitops:\n  flavor: flux\n  repoURL: git@github.com:acme/deploy.git\n  targetRevision: main\n`, /gitops\.repoURL: Flux takes ssh:\/\/ URLs, not scp-like ones: write ssh:\/\/git@github\.com\/acme\/deploy\.git/],
    ['Argo CD destinations', `${LOCAL}gitops:\n  flavor: flux\n  repoURL: https://git.example.com/a.git\n  targetRevision: main\n  destinations:\n    local: { name: x }\n`, /gitops\.destinations: destinations are Argo CD's/],
    ['an unknown flavor', `${LOCAL}gitops:\n  flavor: helm\n  repoURL: https://git.example.com/a.git\n`, /gitops\.flavor: "helm" is not one of argocd, flux/],
  ])('refuses %s with a located message and writes nothing', (_, text, message) => {
    const out = join(root, `refused-${++configs}`, 'dist');
    expect(() => synthesize({ configFile: writeConfig(text), outDir: out })).toThrow(message);
    expect(() => readdirSync(out)).toThrow();
  });

  it('a full reference becomes ref.name, a secret name the secretRef', () => {
    const dist = synth(writeConfig(`${LOCAL}gitops:\n  flavor: flux\n  repoURL: ssh://git@github.com/acme/deploy.git\n  targetRevision: refs/tags/v1.2.0\n  fluxNamespace: gitops\n  fluxSecretName: deploy-key\n`));
    const [repo] = docs(join(dist, 'flux', 'local', 'flux.k8s.yaml'));
    expect(repo).toMatchObject({ metadata: { namespace: 'gitops' }, spec: { ref: { name: 'refs/tags/v1.2.0' }, secretRef: { name: 'deploy-key' } } });
  });
});
