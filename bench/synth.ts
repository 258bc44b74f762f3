import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { stackConfig } from './multicloud.ts';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Wall time of a cold `cdk8s synth -o DIR` (a fresh process, as a user runs it: npx, the cdk8s CLI,
 * tsx, config, every cluster), median of `runs`. Without a config file, the embedded default.
 */
export function coldSynthSeconds(configFile: string | undefined, outDir: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
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
  const runs = 5;
  try {
    const twenty = join(dir, 'twenty.yaml');
    writeFileSync(twenty, stringify(stackConfig(20)));
    return [
      { name: 'cold `cdk8s synth`, default config (1 cluster, 4 SLOs)', value: coldSynthSeconds(undefined, join(dir, 'out-default'), runs), unit: 's', target: '≤ 3 s', note: `median of ${runs}` },
      { name: 'cold `cdk8s synth`, 20 clusters on 5 clouds', value: coldSynthSeconds(twenty, join(dir, 'out-20'), runs), unit: 's', note: `median of ${runs}` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
