import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { buildArgoCdObjects } from '../src/gitops/argocd-objects.ts';
import { SERVER_SIDE_APPLY_MIN_BYTES } from '../src/gitops/apply-options.ts';
import { checkGitopsLayout } from '../src/gitops/check.ts';
import { readGitopsLayout } from '../src/gitops/layout.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import { resolveGitops } from '../src/gitops/settings.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { synthesize } from '../src/synth.ts';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = 10;

/** Median wall time of reading and checking `dist`, in milliseconds. */
function checkMillis(dist: string): { ms: number; objects: number; problems: number } {
  const times: number[] = [];
  let report = checkGitopsLayout(readGitopsLayout(dist));
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    report = checkGitopsLayout(readGitopsLayout(dist));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(times), objects: report.objects, problems: report.problems.length };
}

function manifestsIn(dir: string, files: readonly string[]): Manifest[] {
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest)).filter(Boolean);
}

export async function run(): Promise<BenchResult[]> {
  const root = mkdtempSync(join(tmpdir(), 'o11y-bench-gitops-'));
  try {
    const config = join(root, 'o11y.yaml');
    const base = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8').replace(/^slos:.*$/m, '');
    writeFileSync(config, `${base}\ngitops:\n  repoURL: https://git.example.com/acme/deploy.git\n`);
    const dist = join(root, 'one', 'dist');
    const { files } = synthesize({ configFile: config, outDir: dist });
    const one = checkMillis(dist);

    // 20 clusters: copies of the synthesized cluster under 20 names, with their Argo CD objects.
    const local = loadConfigFile(config).clusters[0]!;
    const clusterFiles = files.filter((f) => f.startsWith(`${local.name}/`) && f.endsWith('.k8s.yaml')).map((f) => f.slice(local.name.length + 1));
    const manifests = manifestsIn(join(dist, local.name), clusterFiles);
    const many = join(root, 'many', 'dist');
    const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const name of names) cpSync(join(dist, local.name), join(many, name), { recursive: true });
    const settings = resolveGitops({ ...loadConfigFile(config), clusters: names.map((name) => ({ ...local, name })) })!;
    mkdirSync(join(many, 'argocd'));
    const argocd = buildArgoCdObjects(settings, names.map((cluster) => ({ cluster, manifests })));
    writeFileSync(join(many, 'argocd', 'argocd.k8s.yaml'), argocd.map((m) => stringify(m)).join('---\n'));
    const twenty = checkMillis(many);

    const sizes = manifests.map((m) => Buffer.byteLength(JSON.stringify(m), 'utf8'));
    const largest = Math.max(...sizes);
    return [
      { name: '`o11y gitops check` (read + check), default config, 1 cluster', value: one.ms, unit: 'ms', note: `${one.objects} objects, ${one.problems} problems, median of ${RUNS}` },
      { name: '`o11y gitops check` (read + check), 20 clusters', value: twenty.ms, unit: 'ms', note: `${twenty.objects} objects, ${twenty.problems} problems, median of ${RUNS}` },
      {
        name: 'largest synthesized object (JSON)',
        value: largest / 1024,
        unit: 'KiB',
        target: `server-side apply from ${SERVER_SIDE_APPLY_MIN_BYTES / 1024} KiB`,
        note: `${sizes.filter((s) => s >= SERVER_SIDE_APPLY_MIN_BYTES).length} of ${sizes.length} objects get ServerSideApply=true`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
