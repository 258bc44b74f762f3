import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { COMPILED_CLI, FLOOR_APP } from './library.ts';
import { stackConfig } from './multicloud.ts';
import { median, type BenchResult } from './types.ts';

// Issue 23: start-up as users meet it. Every figure is a whole process, measured interleaved with
// its floor in the same run (medians), so a busy machine slows both alike.

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = 7;

/** Wall seconds of one process; a non-zero exit is allowed only where `expectStatus` says so. */
function timed(cmd: string, args: string[], opts: { cwd?: string; expectStatus?: number; env?: Record<string, string> } = {}): number {
  const { cwd = ROOT, expectStatus = 0, env = {} } = opts;
  const start = process.hrtime.bigint();
  const run = spawnSync(cmd, args, { cwd, stdio: 'ignore', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== expectStatus) throw new Error(`${cmd} ${args.join(' ')} exited ${run.status}, expected ${expectStatus}`);
  return seconds;
}

/** Runs each measure RUNS times, alternating, and returns the medians. */
function interleaved(measures: Record<string, () => number>): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, m] of Object.entries(measures)) times[k]!.push(m());
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export async function run(): Promise<BenchResult[]> {
  execFileSync('npm', ['run', 'build:lib'], { cwd: ROOT, stdio: 'ignore' });
  const out = mkdtempSync(join(tmpdir(), 'o11y-bench-startup-'));
  // Inside the repository, so that `cdk8s` resolves from its node_modules.
  const trivial = join(ROOT, '.bench', 'trivial');
  mkdirSync(trivial, { recursive: true });
  writeFileSync(join(trivial, 'floor.mjs'), FLOOR_APP);
  // The same app in TypeScript under the same cdk8s.yaml runner as ours.
  writeFileSync(join(trivial, 'main.ts'), FLOOR_APP.replace('process.argv[2]', "process.env.CDK8S_OUTDIR ?? 'dist'"));
  writeFileSync(join(trivial, 'cdk8s.yaml'), `language: typescript\napp: node ${join(ROOT, 'bin/ts-run.js')} main.ts\n`);
  const bad = join(out, 'bad.yaml');
  writeFileSync(bad, 'clusters:\n  - name: a\n    cloud: mars\n');
  const npx = 'npx';
  try {
    const t = interleaved({
      floor: () => timed(process.execPath, [join(trivial, 'floor.mjs'), join(out, 'floor')]),
      compiled: () => timed(process.execPath, [COMPILED_CLI, 'synth', '--out', join(out, 'compiled')]),
      npxTrivial: () => timed(npx, ['--offline', 'node', 'bin/ts-run.js', join(trivial, 'main.ts')], { env: { CDK8S_OUTDIR: join(out, 'npx-trivial') } }),
      npxO11y: () => timed(npx, ['--offline', 'o11y', 'synth', '--out', join(out, 'npx')]),
      cdk8sTrivial: () => timed(npx, ['--offline', 'cdk8s', 'synth', '-o', join(out, 'cdk8s-trivial')], { cwd: trivial }),
      cdk8sO11y: () => timed(npx, ['--offline', 'cdk8s', 'synth', '-o', join(out, 'cdk8s')]),
      malformed: () => timed(process.execPath, ['bin/o11y.js', 'synth', '--config', bad, '--out', join(out, 'bad')], { expectStatus: 2 }),
    });
    const clusters: Record<number, number> = {};
    for (const size of [10, 25, 50]) {
      const file = join(out, `o11y-${size}.yaml`);
      writeFileSync(file, stringify(stackConfig(size)));
      clusters[size] = median(Array.from({ length: 3 }, () => timed(process.execPath, [COMPILED_CLI, 'synth', '--config', file, '--out', join(out, `c${size}`)])));
    }
    const perCluster = (clusters[50]! - clusters[10]!) / 40;
    return [
      { name: 'floor: a one-Deployment cdk8s chart synthesized by `node`', value: t.floor!, unit: 's', note: `median of ${RUNS}, whole process` },
      { name: 'compiled `o11y synth` (lib/cli/, as the npm package runs it), default config', value: t.compiled!, unit: 's', note: 'config validator from its V8 code cache (all runs but the first)' },
      { name: 'compiled `o11y synth` ÷ floor', value: t.compiled! / t.floor!, unit: '×', target: '≤ 2×', note: 'same run, interleaved' },
      { name: '`npx o11y synth` in the checkout', value: t.npxO11y!, unit: 's' },
      { name: 'the trivial app as a TypeScript entry through npx and bin/ts-run.js', value: t.npxTrivial!, unit: 's' },
      { name: '`npx o11y synth` ÷ trivial app run the same way', value: t.npxO11y! / t.npxTrivial!, unit: '×', target: '≤ 2×' },
      { name: '`npx cdk8s synth` in the checkout', value: t.cdk8sO11y!, unit: 's' },
      { name: '`npx cdk8s synth` of the trivial app under the same cdk8s.yaml runner', value: t.cdk8sTrivial!, unit: 's' },
      { name: '`npx cdk8s synth` ÷ trivial app', value: t.cdk8sO11y! / t.cdk8sTrivial!, unit: '×', target: '≤ 2×' },
      { name: '`o11y synth` refusing a malformed config (checkout)', value: t.malformed!, unit: 's', target: '< 1 s' },
      ...[10, 25, 50].map((n) => ({ name: `compiled \`o11y synth\`, ${n} clusters on 5 clouds`, value: clusters[n]!, unit: 's', target: n === 50 ? '≤ 5 s' : undefined, note: 'median of 3' })),
      { name: 'marginal cost per cluster (10 → 50)', value: perCluster, unit: 's', note: `fixed part ${(clusters[10]! - 10 * perCluster).toFixed(2)} s; linear if 25 clusters ≈ ${(clusters[10]! + 15 * perCluster).toFixed(2)} s` },
    ];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
