import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** What the npm package's `o11y` runs (bin/o11y.js without sources): the CLI bundled by `npm run build:lib`. */
export const COMPILED_CLI = 'lib/cli/entry.js';

/** The floor: a trivial cdk8s app (one chart, one Deployment) synthesized by plain node. */
export const FLOOR_APP = `import { ApiObject, App, Chart } from 'cdk8s';
const app = new App({ outdir: process.argv[2] });
const labels = { app: 'web' };
new ApiObject(new Chart(app, 'web'), 'web', {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
});
app.synth();
`;

/** Wall time of a whole process, in seconds. */
function timed(args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Cold `o11y synth` of the default config with the compiled build (lib/cli/, what the npm package
 * runs) against the floor, alternating runs so that both see the same machine; and the same
 * command from the TypeScript sources through tsx, as the repository's bin runs it.
 */
export async function run(): Promise<BenchResult[]> {
  execFileSync('npm', ['run', 'build:lib'], { cwd: ROOT, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'o11y-bench-library-'));
  // Inside the repository, so that `cdk8s` resolves from its node_modules.
  const floorDir = join(ROOT, '.bench');
  mkdirSync(floorDir, { recursive: true });
  const floorApp = join(floorDir, 'floor.mjs');
  writeFileSync(floorApp, FLOOR_APP);
  const runs = 9;
  const times = { floor: [] as number[], compiled: [] as number[], tsx: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      times.floor.push(timed([floorApp, join(dir, 'floor')]));
      times.compiled.push(timed([COMPILED_CLI, 'synth', '--config', 'o11y.yaml', '--out', join(dir, 'compiled')]));
      times.tsx.push(timed(['bin/o11y.js', 'synth', '--config', 'o11y.yaml', '--out', join(dir, 'tsx')]));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const floor = median(times.floor);
  const compiled = median(times.compiled);
  return [
    { name: 'floor: a one-Deployment cdk8s chart synthesized by `node`', value: floor, unit: 's', note: `median of ${runs}, whole process` },
    { name: 'cold `o11y synth`, default config, compiled build (lib/)', value: compiled, unit: 's', note: `median of ${runs}, whole process` },
    { name: 'compiled `o11y synth` ÷ floor', value: compiled / floor, unit: '×', target: '≤ 2×', note: 'same run, alternating' },
    { name: 'cold `o11y synth`, default config, from sources through tsx (the repository bin)', value: median(times.tsx), unit: 's', note: `median of ${runs}` },
  ];
}
