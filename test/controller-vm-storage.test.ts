import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/controller/check.ts';
import type { KubeReader } from '../src/controller/kube.ts';
import type { WorkloadReport } from '../src/controller/report.ts';
import { storageReachability, vminsertMetricsPath, withStorageReachability } from '../src/controller/vm-storage.ts';
import { deployment, pod } from './fixtures/k8s/objects.ts';

// `o11y check` in the victoriametrics-cluster mode: are the storage nodes reachable from each
// vminsert pod? Judged on /metrics text captured from the real vminsert 1.150 (test/fixtures/vminsert,
// its vm_rpc_* lines) with both storage nodes up, and with one killed under ingestion.

const fixture = (name: string) => readFileSync(new URL(`./fixtures/vminsert/metrics-${name}.txt`, import.meta.url), 'utf8');
const [allUp, oneDown] = [fixture('all-up'), fixture('one-down')];

describe('storageReachability (real vminsert /metrics)', () => {
  it.each([
    ['all-up', allUp, [true, true]],
    ['one-down', oneDown, [true, false]],
    ['no storage lines', 'vm_app_version{version="vminsert-20260101-000000-tags-v1.150.0-cluster-0-g0"} 1\n', []],
  ])('%s', (_name, text, want) => {
    const nodes = storageReachability(text);
    expect(nodes.map((n) => n.reachable)).toEqual(want);
    for (const n of nodes) expect(n.addr).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('reads only the data RPC, not another rpc_call that would shadow it', () => {
    const other = oneDown.replace(/rpc_call="metric_rows"\} 0/, 'rpc_call="metric_rows"} 0\nvm_rpc_vmstorage_is_reachable{name="vminsert", addr="x:1", rpc_call="metricmetadata_rows"} 0');
    expect(storageReachability(other).map((n) => n.addr)).not.toContain('x:1');
  });
});

const current: WorkloadReport = { kind: 'Deployment', namespace: 'observability', name: 'vminsert', status: 'Current', message: 'updated and available', architectures: {}, pods: [], warnings: [] };

describe('withStorageReachability', () => {
  it.each([
    { name: 'every node reachable', pods: [{ pod: 'vminsert-a', metrics: allUp }, { pod: 'vminsert-b', metrics: allUp }], status: 'Current', problems: 0, warnings: 0 },
    { name: 'one pod sees a node down', pods: [{ pod: 'vminsert-a', metrics: allUp }, { pod: 'vminsert-b', metrics: oneDown }], status: 'Failed', problems: 1, warnings: 0 },
    { name: 'metrics not readable: a warning only', pods: [{ pod: 'vminsert-a', error: 'GET …: 503' }], status: 'Current', problems: 0, warnings: 1 },
    { name: 'metrics without storage lines: a warning only', pods: [{ pod: 'vminsert-a', metrics: 'go_goroutines 10\n' }], status: 'Current', problems: 0, warnings: 1 },
  ])('$name → $status', ({ pods, status, problems, warnings }) => {
    const judged = withStorageReachability(current, pods);
    expect(judged.status).toBe(status);
    expect(judged.pods.filter((p) => p.reason === 'StorageNodeUnreachable')).toHaveLength(problems);
    expect(judged.warnings).toHaveLength(warnings);
    if (problems) expect(judged.message).toMatch(/^storage node 127\.0\.0\.1:\d+ not reachable from vminsert$/);
  });

  it('keeps a workload that is not Current as it is judged, adding the pods\' problems', () => {
    const judged = withStorageReachability({ ...current, status: 'InProgress', message: 'rolling out' }, [{ pod: 'vminsert-b', metrics: oneDown }]);
    expect([judged.status, judged.message, judged.pods.length]).toEqual(['InProgress', 'rolling out', 1]);
  });
});

describe('runCheck with vminsertNamespace', () => {
  /** A reader over one healthy vminsert Deployment with two running pods; `metrics` answers their pod proxy. */
  const reader = (metrics: Record<string, string>) => {
    const gets: string[] = [];
    const items: Record<string, object[]> = {
      deployments: [deployment('vminsert', { replicas: 2 })],
      pods: [pod('vminsert', 'vminsert-a'), pod('vminsert', 'vminsert-b')].map((p) => ({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, 'app.kubernetes.io/name': 'vminsert' } } })),
    };
    const fake = {
      list: async (path: string) => ({ items: items[path.split('/').at(-1)!] ?? [], metadata: {} }),
      get: async (path: string) => {
        gets.push(path);
        const name = /pods\/([^/:]+):/.exec(path)![1]!;
        return metrics[name]!;
      },
    };
    return { reader: fake as unknown as KubeReader, gets };
  };
  const scope = { namespaces: ['observability'] };

  it('reads each vminsert pod\'s /metrics through the pod proxy and fails the check on an unreachable node', async () => {
    const { reader: r, gets } = reader({ 'vminsert-a': allUp, 'vminsert-b': oneDown });
    const report = await runCheck(r, { scope, vminsertNamespace: 'observability' });
    expect(gets.sort()).toEqual([vminsertMetricsPath('observability', 'vminsert-a'), vminsertMetricsPath('observability', 'vminsert-b')]);
    expect(gets[0]).toBe('/api/v1/namespaces/observability/pods/vminsert-a:8480/proxy/metrics');
    expect(report.healthy).toBe(false);
    expect(report.workloads.find((w) => w.name === 'vminsert')!.status).toBe('Failed');
  });

  it('is healthy when every pod reaches every node, and without the option reads no /metrics', async () => {
    const up = reader({ 'vminsert-a': allUp, 'vminsert-b': allUp });
    expect((await runCheck(up.reader, { scope, vminsertNamespace: 'observability' })).healthy).toBe(true);
    const off = reader({ 'vminsert-a': oneDown, 'vminsert-b': oneDown });
    expect((await runCheck(off.reader, { scope })).healthy).toBe(true);
    expect(off.gets).toEqual([]);
  });
});
