import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = 5;

/** A config of `n` clusters spread over the clouds in `clouds`. */
export function manyClusterConfig(n: number, clouds: readonly string[]): string {
  const clusters = Array.from({ length: n }, (_, i) => {
    const cloud = clouds[i % clouds.length]!;
    return `  - { name: c${String(i).padStart(3, '0')}, cloud: ${cloud}, region: r${i % 7}, storageClass: standard }`;
  });
  return ['name: o11y', 'clusters:', ...clusters, ''].join('\n');
}

/** Wall time of a cold `cdk8s synth` (a fresh process, as a user runs it), median of RUNS. */
function coldSynthSeconds(configFile: string | undefined, outDir: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    execFileSync('npx', ['cdk8s', 'synth', '-o', outDir], {
      cwd: ROOT,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...(configFile ? { O11Y_CONFIG: configFile } : {}) },
      stdio: 'ignore',
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-bench-synth-'));
  try {
    const twenty = join(dir, 'twenty.yaml');
    writeFileSync(twenty, manyClusterConfig(20, ['onprem']));
    return [
      { name: 'cold `cdk8s synth`, default config (1 cluster)', value: coldSynthSeconds(undefined, join(dir, 'out-default')), unit: 's', target: '≤ 3 s' },
      { name: 'cold `cdk8s synth`, 20 clusters', value: coldSynthSeconds(twenty, join(dir, 'out-20')), unit: 's', note: `median of ${RUNS}` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
