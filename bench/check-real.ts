/**
 * Issue 23: `npx o11y check --no-rules` in a checkout against a real kube-apiserver holding 1,000
 * rolled-out Deployments (status written through the status subresource, as no controller runs),
 * against `kubectl rollout status` over the same Deployments in a shell loop, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { K8sObject } from '../test/support/manifest-checks.ts';
import { findEngines } from '../test/support/engines.ts';
import { startRealApiServer, type RealApiServer } from '../test/support/real-apiserver.ts';
import { deployment } from '../test/fixtures/k8s/objects.ts';
import { median, type BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEPLOYMENTS = 1000;
const NAMESPACE = 'apps';
const RUNS = 3;

/** Creates the Deployments, then writes each one's rolled-out status; a few requests in flight at once. */
async function rolledOut(api: RealApiServer): Promise<void> {
  const ns = await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
  if (ns.status >= 300) throw new Error(`namespace: ${JSON.stringify(ns.body)}`);
  const one = async (i: number) => {
    const { status, metadata, ...rest } = deployment(`app-${i}`, { namespace: NAMESPACE }) as unknown as { status: Record<string, unknown>; metadata: Record<string, unknown> };
    const { resourceVersion: _rv, generation: _g, ...meta } = metadata;
    const object = { ...rest, apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta } as unknown as K8sObject;
    const created = (await api.apply(object))!;
    if (created.status >= 300) throw new Error(`create app-${i}: ${JSON.stringify(created.body)}`);
    const written = await api.request('PATCH', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/app-${i}/status`, {
      body: { status: { ...status, observedGeneration: created.body.metadata.generation } },
      contentType: 'application/merge-patch+json',
    });
    if (written.status !== 200) throw new Error(`status app-${i}: ${JSON.stringify(written.body)}`);
  };
  for (let i = 0; i < DEPLOYMENTS; i += 20) await Promise.all(Array.from({ length: Math.min(20, DEPLOYMENTS - i) }, (_, k) => one(i + k)));
}

function seconds(cmd: string, args: string[], check: (stdout: string, status: number | null) => void): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  check(run.stdout, run.status);
  return s;
}

export async function run(): Promise<BenchResult[]> {
  const apiserver = findEngines().found['kube-apiserver'];
  if (!apiserver) throw new Error('bench check-real needs the kube-apiserver engine: set O11Y_TEST_TOOLS (README, Testing)');
  const api = await startRealApiServer(apiserver.path);
  try {
    await rolledOut(api);
    const kubeconfig = api.kubeconfig();
    const o11y = median(Array.from({ length: RUNS }, () => seconds('npx', ['--offline', 'o11y', 'check', '--no-rules', '-n', NAMESPACE, '--kubeconfig', kubeconfig], (out, status) => {
      // A fast answer is worth nothing unless it is the right one.
      const current = out.split('\n').filter((l) => /^Deployment\s+\S+\s+\S+\s+Current\b/.test(l)).length;
      if (status !== 0 || current !== DEPLOYMENTS) throw new Error(`o11y check exited ${status} with ${current}/${DEPLOYMENTS} Deployments Current`);
    })));
    const loop = `for d in $(kubectl --kubeconfig ${kubeconfig} -n ${NAMESPACE} get deploy -o name); do kubectl --kubeconfig ${kubeconfig} -n ${NAMESPACE} rollout status "$d" --timeout=30s || exit 1; done`;
    const kubectl = seconds('bash', ['-c', loop], (out, status) => {
      const done = out.split('\n').filter((l) => l.includes('successfully rolled out')).length;
      if (status !== 0 || done !== DEPLOYMENTS) throw new Error(`the kubectl loop exited ${status} with ${done}/${DEPLOYMENTS} rolled out`);
    });
    return [
      { name: `\`npx o11y check --no-rules\` of ${DEPLOYMENTS.toLocaleString('en')} rolled-out Deployments on a real kube-apiserver 1.28, in the checkout`, value: o11y, unit: 's', note: `median of ${RUNS}, whole process` },
      { name: 'the same Deployments, `kubectl rollout status` in a shell loop', value: kubectl, unit: 's', note: 'one run, same server' },
      { name: 'kubectl loop ÷ `npx o11y check`', value: kubectl / o11y, unit: '×', target: '≥ 50×', note: 'same run' },
    ];
  } finally {
    await api.stop();
  }
}
