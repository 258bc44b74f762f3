/**
 * `o11y check --no-rules -n NS` as a CI job runs it: a fresh process per run (CLI start,
 * kubeconfig, LISTs, verdict, table) against the loopback API server holding 1,000 rolled-out
 * Deployments and their pods in one namespace. Measured twice: `node bin/o11y.js` (as from a
 * checkout: its cached bundle of the sources, bin/ts-run.js) and the esbuild bundle the image runs.
 * The kubectl loop it replaces is measured on a real kube-apiserver by the `check-real` topic.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.ts';
import { deployment, node } from '../test/fixtures/k8s/objects.ts';
import { FakeApiServer, type KubeObject } from '../test/support/fake-apiserver.ts';
import { realisticPod } from './controller-shared.ts';
import { median, type BenchResult } from './types.ts';

const DEPLOYMENTS = 1000;
const RUNS = 5;
const NAMESPACE = 'apps';
const NODES = ['amd-1', 'amd-2', 'arm-1'];

/** Runs `node <script> ...args` to its end: wall time, exit code, stdout. */
function runNode(script: string, args: readonly string[]): Promise<{ ms: number; code: number | null; stdout: string }> {
  const start = performance.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ ms: performance.now() - start, code, stdout })));
}

/** Median seconds of {@link RUNS} runs of `node <script> ...args`, each checked to be a healthy verdict on every Deployment. */
async function medianRun(script: string, args: readonly string[]): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { ms, code, stdout } = await runNode(script, args);
    // A fast answer is worth nothing unless it is the right one.
    const current = stdout.split('\n').filter((l) => /^Deployment\s+\S+\s+\S+\s+Current\b/.test(l)).length;
    if (code !== 0 || current !== DEPLOYMENTS) throw new Error(`${script} exited ${code} with ${current}/${DEPLOYMENTS} Deployments Current`);
    times.push(ms);
  }
  return Math.round(median(times)) / 1000;
}

export async function wholeProcessCheck(): Promise<BenchResult[]> {
  const api = await FakeApiServer.start();
  try {
    api.apply(...NODES.map((n) => ({ ...node(n, n.startsWith('arm') ? 'arm64' : 'amd64'), kind: 'Node' }) as unknown as KubeObject));
    for (let i = 0; i < DEPLOYMENTS; i++) {
      api.apply(deployment(`app-${i}`, { namespace: NAMESPACE }) as unknown as KubeObject, realisticPod(`app-${i}`, 0, NAMESPACE, NODES[i % NODES.length]!));
    }
    const args = ['check', '--no-rules', '-n', NAMESPACE, '--kubeconfig', api.writeKubeconfig()];
    const bundled = join(mkdtempSync(join(tmpdir(), 'o11y-bench-')), 'o11y.mjs');
    await bundle(fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url)), bundled);
    const measure = `\`o11y check --no-rules -n NS\`, ${DEPLOYMENTS.toLocaleString('en')} rolled-out Deployments + their pods, whole process (median of ${RUNS})`;
    const viaCheckout = await medianRun(fileURLToPath(new URL('../bin/o11y.js', import.meta.url)), args);
    const viaBundle = await medianRun(bundled, args);
    return [
      { name: `controller: ${measure}, \`node bin/o11y.js\``, value: viaCheckout, unit: 's', target: '< 2 s', note: 'the checkout\'s cached bundle (bin/ts-run.js)' },
      { name: `controller: ${measure}, bundled CLI as the image runs it`, value: viaBundle, unit: 's', target: '< 2 s' },
    ];
  } finally {
    await api.close();
  }
}
