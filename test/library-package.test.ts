import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/gitops/manifest.ts';
import { synthesize } from '../src/synth.ts';
import { readTree, treeDifferences } from './support/tree.ts';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'library');
const CUSTOM_CHART = 'edge/60-blackbox.k8s.yaml';

/**
 * What a cdk8s user does, from a scratch folder: `npm pack` the repository (its prepack compiles
 * lib/), install the tarball into a copy of examples/library (cdk8s and constructs from the npm
 * cache), type-check the app against the package's declarations and run it with plain node.
 */
describe('the package, installed from npm pack into a cdk8s app of its own', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'o11y-library-'));
  const app = join(scratch, 'app');
  // Asynchronous, so that the test worker stays responsive while npm works.
  const run = async (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
    (await promisify(execFile)(cmd, args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env }, maxBuffer: 64 * 1024 * 1024 })).stdout;
  let example: Map<string, Buffer>;
  let reference: Map<string, Buffer>;

  beforeAll(async () => {
    const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', scratch], ROOT)) as { filename: string; files: { path: string }[] }[];
    const tarball = join(scratch, packed[0]!.filename);
    // No TypeScript sources in the package: the bin and the library run the compiled lib/.
    expect(packed[0]!.files.map((f) => f.path).filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    cpSync(EXAMPLE, app, { recursive: true });
    await run('npm', ['install', '--prefer-offline', '--no-package-lock', tarball], app);
    await run('node', ['main.mjs'], app, { O11Y_DIST: join(scratch, 'example', 'dist') });
    synthesize({ configFile: join(EXAMPLE, 'o11y.yaml'), outDir: join(scratch, 'reference', 'dist') });
    example = readTree(join(scratch, 'example', 'dist'));
    reference = readTree(join(scratch, 'reference', 'dist'));
  }, 600_000);

  it('installs without tsx and type-checks the app against the published declarations', async () => {
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('tsx');
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--allowJs', '--checkJs', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'main.mjs'];
    await expect(run('node', [tsc, ...flags], app)).resolves.toBe('');
  });

  it('writes the same bytes as `o11y synth` of the equivalent o11y.yaml, plus its own component', () => {
    const differences = treeDifferences(reference, example);
    expect(differences.sort()).toEqual([CUSTOM_CHART, 'edge/Kustomization'].sort());
    expect(parse(example.get('edge/Kustomization')!.toString()).resources).toEqual([...parse(reference.get('edge/Kustomization')!.toString()).resources, '60-blackbox.k8s.yaml']);
  });

  it('the custom component gets the stack labels, restricted pods and a NetworkPolicy from the flow table', () => {
    const objects = parseAllDocuments(example.get(CUSTOM_CHART)!.toString()).map((d) => d.toJS() as Manifest);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'NetworkPolicy', 'Service', 'ServiceAccount']);
    const deployment = objects.find((o) => o.kind === 'Deployment') as Manifest & { spec: any };
    expect(deployment.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'o11y', 'app.kubernetes.io/managed-by': 'cdk8s-o11y' });
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(deployment.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBeUndefined();
    const policy = objects.find((o) => o.kind === 'NetworkPolicy') as Manifest & { spec: any };
    expect(policy.spec.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/name': 'blackbox-exporter' });
    expect(JSON.stringify(policy.spec.ingress)).toContain('"app.kubernetes.io/name":"prometheus"');
    expect(JSON.stringify(policy.spec.ingress)).toContain('9115');
  });

  it("the package's o11y command (lib/cli/, bundled at pack) writes the same bytes as `o11y synth` in process", async () => {
    const out = join(scratch, 'bin', 'dist');
    await run('node', [join(app, 'node_modules', 'cdk8s-o11y', 'bin', 'o11y.js'), 'synth', '--config', join(EXAMPLE, 'o11y.yaml'), '--out', out], app);
    const written = readTree(out);
    expect(written.size).toBeGreaterThan(5);
    expect(treeDifferences(reference, written)).toEqual([]);
  });

  it('lays out the cluster folder as o11y synth does: manifests, Kustomization, promtool files apart', () => {
    expect([...example.keys()].filter((f) => f.startsWith('promtool/edge/rules/')).length).toBeGreaterThan(0);
    expect(readFileSync(join(scratch, 'example', 'dist', 'edge', 'Kustomization'), 'utf8')).toContain('60-blackbox.k8s.yaml');
  });
});
