import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { stackConfig } from './multicloud.ts';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Wall time of a cold `cdk8s synth -o DIR` (a fresh process, as a user runs it: npx, the cdk8s CLI,
 * tsx, config, every cluster), median of `runs`. Without a config file, the embedded default.
 * `root`: the project tree to run it in (another commit's, for a before/after comparison).
 */
export function coldSynthSeconds(configFile: string | undefined, outDir: string, runs: number, root = ROOT): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync('npx', ['cdk8s', 'synth', '-o', outDir], {
      cwd: root,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...(configFile ? { O11Y_CONFIG: configFile } : {}) },
      stdio: 'ignore',
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

/**
 * Wall time of `o11y synth` refusing a malformed config (exit 2, CLI start-up included): the
 * slowest of several kinds of bad input, each the median of `runs`.
 */
function slowestRefusalSeconds(dir: string, runs: number): number {
  const valid = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8');
  const depth = 10_000;
  const bad: Record<string, string> = {
    'unknown-key': `${valid}colour: blue\n`,
    'wrong-enum': valid.replace('cloud: onprem', 'cloud: moon'),
    'deep-flow-nesting': `name: ${'['.repeat(depth)}${']'.repeat(depth)}\n`,
    'alias-bomb': `a: &a [${Array(9).fill('"x"').join(',')}]\n${'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`).join('\n')}\n`,
  };
  let slowest = 0;
  for (const [name, text] of Object.entries(bad)) {
    const file = join(dir, `${name}.yaml`);
    const out = join(dir, `${name}-out`);
    writeFileSync(file, text);
    mkdirSync(out);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/o11y.js'), 'synth', '--config', file, '--out', out], { cwd: ROOT, stdio: 'ignore' });
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (r.status !== 2) throw new Error(`${name}: expected exit 2, got ${r.status}`);
    }
    slowest = Math.max(slowest, median(times));
  }
  return slowest;
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
      { name: '`o11y synth` refusing a malformed config (unknown key, bad enum, deep nesting, alias bomb)', value: slowestRefusalSeconds(dir, runs), unit: 's', target: '< 2 s', note: `slowest kind, median of ${runs} each, CLI start-up included` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
