/**
 * Controller benchmarks against the loopback API server (test/support/fake-apiserver.ts):
 * API requests per one-shot check, wall time of a check over 1,000 workloads and 5,000 pods, the
 * whole `o11y check --no-rules` process over 1,000 Deployments (bench/controller-process.ts), and
 * the resident memory of watch mode (informers) holding 10,000 pods, measured in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.ts';
import { buildReport, readClusterState } from '../src/controller/check.ts';
import { KubeReader, loadKubeConfig } from '../src/controller/kube.ts';
import { scopeFromFlags } from '../src/controller/scope.ts';
import { daemonSet, deployment, node, statefulSet } from '../test/fixtures/k8s/objects.ts';
import { FakeApiServer, type KubeObject } from '../test/support/fake-apiserver.ts';
import { wholeProcessCheck } from './controller-process.ts';
import { NO_PROMETHEUS, realisticPod } from './controller-shared.ts';
import { median, type BenchResult } from './types.ts';

/** The node flags of the image's ENTRYPOINT (Dockerfile): a small young generation keeps the controller's RSS down. */
const IMAGE_NODE_FLAGS = ['--max-semi-space-size=2'];

const NAMESPACES = ['observability', 'observability-agent', 'apps-a', 'apps-b'];
const NODE_NAMES = ['amd-1', 'amd-2', 'amd-3', 'arm-1', 'arm-2'];

/** A stack of `workloads` workloads (60% Deployments, 30% StatefulSets, 10% DaemonSets) with `pods` pods in all. */
function seed(api: FakeApiServer, workloads: number, pods: number): void {
  api.apply(...NODE_NAMES.map((n) => ({ ...node(n, n.startsWith('arm') ? 'arm64' : 'amd64'), kind: 'Node' }) as unknown as KubeObject));
  const daemonSets = Math.round(workloads * 0.1);
  const perDaemonSet = NODE_NAMES.length;
  const replicated = workloads - daemonSets;
  const perReplicated = Math.max(1, Math.round((pods - daemonSets * perDaemonSet) / replicated));
  const objects: KubeObject[] = [];
  for (let i = 0; i < workloads; i++) {
    const app = `app-${i}`;
    const namespace = NAMESPACES[i % NAMESPACES.length]!;
    const isDaemonSet = i < daemonSets;
    const w = isDaemonSet ? daemonSet(app, { desired: perDaemonSet, namespace })
      : i % 3 === 0 ? statefulSet(app, { replicas: perReplicated, namespace }) : deployment(app, { replicas: perReplicated, namespace });
    objects.push(w as unknown as KubeObject);
    for (let r = 0; r < (isDaemonSet ? perDaemonSet : perReplicated); r++) objects.push(realisticPod(app, r, namespace, NODE_NAMES[r % NODE_NAMES.length]!));
  }
  api.apply(...objects);
}

async function oneShot(): Promise<BenchResult[]> {
  const api = await FakeApiServer.start();
  try {
    seed(api, 1000, 5000);
    const reader = new KubeReader(loadKubeConfig({ kubeconfig: api.writeKubeconfig() }));
    const scope = scopeFromFlags({});
    const times: number[] = [];
    let podsSeen = 0;
    let requests = 0;
    for (let run = 0; run < 5; run++) {
      const before = api.requests.length;
      const start = performance.now();
      const state = await readClusterState(reader, scope);
      const report = buildReport(state, NO_PROMETHEUS, { scope });
      times.push(performance.now() - start);
      podsSeen = report.workloads.reduce((n, w) => n + Object.values(w.architectures).reduce((m, a) => m + a.total, 0), 0);
      if (run === 0) requests = api.requests.length - before;
    }
    return [
      { name: 'controller: API requests per one-shot check (1,000 workloads, 4 namespaces)', value: requests, unit: 'requests',
        target: 'fixed: 3 workload kinds + nodes + 1 pod list per namespace', note: 'Prometheus requests not included (5 per check)' },
      { name: 'controller: one-shot check, 1,000 workloads + 5,000 pods (median of 5)', value: Math.round(median(times)), unit: 'ms', target: '< 1000 ms',
        note: `${podsSeen} pods matched to workloads; kubectl rollout status loop on a real API server: ~54 s` },
    ];
  } finally {
    await api.close();
  }
}

/** Runs watch mode in a child process against 10,000 pods and reports its RSS once synced. */
async function watchRss(): Promise<BenchResult> {
  const api = await FakeApiServer.start();
  try {
    seed(api, 1000, 10_000);
    const kubeconfig = api.writeKubeconfig();
    // Measured as the image runs it: bundled, on plain node, without tsx.
    const bundled = join(mkdtempSync(join(tmpdir(), 'o11y-bench-')), 'controller.mjs');
    await bundle(fileURLToPath(new URL('./controller-watch-child.ts', import.meta.url)), bundled);
    const child = spawn(process.execPath, [...IMAGE_NODE_FLAGS, '--expose-gc', bundled], {
      env: { ...process.env, O11Y_BENCH_WATCH_KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise((resolve) => child.on('exit', resolve));
    const { rss, idle, pods } = JSON.parse(out) as { rss: number; idle: number; pods: number };
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    return { name: 'controller: watch-mode RSS with 10,000 pods', value: mib(rss), unit: 'MiB', target: '< 150 MiB',
      note: `${pods} pods cached; bundled and run with ${IMAGE_NODE_FLAGS.join(' ')} as in the image; ${mib(idle)} MiB before anything is cached, ${mib(rss - idle)} MiB for the informers' data` };
  } finally {
    await api.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await oneShot()), ...(await wholeProcessCheck()), await watchRss()];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await run());
