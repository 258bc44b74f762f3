import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/controller/check.ts';
import type { KubeReader } from '../src/controller/kube.ts';
import type { WorkloadReport } from '../src/controller/report.ts';
import { podMetricsPath, REACHABILITY_CHECKS, storageReachability, withStorageReachability, type ReachabilityWorkload } from '../src/controller/vm-storage.ts';
import { deployment, pod } from './fixtures/k8s/objects.ts';

// `o11y check` in the victoriametrics-cluster mode: are the storage nodes reachable from each
// vminsert pod, and the backends from each global vmselect pod? Judged on /metrics text captured from
// the real vminsert 1.150 (test/fixtures/vminsert, its vm_rpc_* lines) with both storage nodes up, and
// with one killed under ingestion; and from the real global vmselect (test/fixtures/vmselect) with
// both backends up and one down.

const fixture = (name: string) => readFileSync(new URL(`./fixtures/vminsert/metrics-${name}.txt`, import.meta.url), 'utf8');
const [allUp, oneDown] = [fixture('all-up'), fixture('one-down')];
const capture = (name: string) => readFileSync(new URL(`./fixtures/vmselect/${name}.metrics.txt`, import.meta.url), 'utf8');
/** Per checked workload: its captures with every node up and with one down, and the address then down. */
const WIRED: { workload: ReachabilityWorkload; up: string; down: string; downAddr: RegExp; message: RegExp }[] = [
  { workload: 'vminsert', up: allUp, down: oneDown, downAddr: /^127\.0\.0\.1:\d+$/, message: /^storage node 127\.0\.0\.1:\d+ not reachable from vminsert$/ },
  { workload: 'vmselect-global', up: capture('all-up'), down: capture('one-backend-down'), downAddr: /^127\.0\.0\.1:1$/, message: /^backend 127\.0\.0\.1:1 not reachable from vmselect-global$/ },
];

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

const report = (name: string): WorkloadReport => ({ kind: 'Deployment', namespace: 'observability', name, status: 'Current', message: 'updated and available', architectures: {}, pods: [], warnings: [] });

describe.each(WIRED)('withStorageReachability: $workload', ({ workload, up, down, downAddr, message }) => {
  const check = REACHABILITY_CHECKS[workload];
  const current = report(workload);
  it.each([
    { name: 'every node reachable', pods: [{ pod: 'a', metrics: up }, { pod: 'b', metrics: up }], status: 'Current', problems: 0, warnings: 0 },
    { name: 'one pod sees a node down', pods: [{ pod: 'a', metrics: up }, { pod: 'b', metrics: down }], status: 'Failed', problems: 1, warnings: 0 },
    { name: 'metrics not readable: a warning only', pods: [{ pod: 'a', error: 'GET …: 503' }], status: 'Current', problems: 0, warnings: 1 },
    { name: 'metrics without storage lines: a warning only', pods: [{ pod: 'a', metrics: 'go_goroutines 10\n' }], status: 'Current', problems: 0, warnings: 1 },
  ])('$name → $status', ({ pods, status, problems, warnings }) => {
    const judged = withStorageReachability(current, pods, check);
    expect(judged.status).toBe(status);
    const found = judged.pods.filter((p) => p.reason === check.reason);
    expect(found).toHaveLength(problems);
    expect(judged.warnings).toHaveLength(warnings);
    if (problems) {
      expect(judged.message).toMatch(message);
      expect(found[0]!.name).toBe('b');
      expect(found[0]!.message.split(' ')[check.peer.split(' ').length]).toMatch(downAddr);
    }
  });

  it('keeps a workload that is not Current as it is judged, adding the pods\' problems', () => {
    const judged = withStorageReachability({ ...current, status: 'InProgress', message: 'rolling out' }, [{ pod: 'b', metrics: down }], check);
    expect([judged.status, judged.message, judged.pods.length]).toEqual(['InProgress', 'rolling out', 1]);
  });
});

describe('runCheck with reachability', () => {
  /** A reader over healthy vminsert and vmselect-global Deployments with two running pods each; `metrics` answers their pod proxy. */
  const reader = (metrics: Record<string, string>) => {
    const gets: string[] = [];
    const named = (app: string, name: string) => {
      const p = pod(app, name);
      return { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, 'app.kubernetes.io/name': app } } };
    };
    const items: Record<string, object[]> = {
      deployments: WIRED.map((w) => deployment(w.workload, { replicas: 2 })),
      pods: WIRED.flatMap((w) => [named(w.workload, `${w.workload}-a`), named(w.workload, `${w.workload}-b`)]),
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
  const all = (pick: (w: (typeof WIRED)[number]) => string) => Object.fromEntries(WIRED.flatMap((w) => [[`${w.workload}-a`, pick(w)], [`${w.workload}-b`, pick(w)]]));
  const reachability = { vminsert: 'observability', 'vmselect-global': 'observability' };

  it.each(WIRED)('reads each $workload pod\'s /metrics through the pod proxy and fails that workload only on an unreachable node', async ({ workload, down }) => {
    const { reader: r, gets } = reader({ ...all((w) => w.up), [`${workload}-b`]: down });
    const checked = await runCheck(r, { scope, reachability });
    expect(gets.sort()).toEqual(WIRED.flatMap((w) => ['a', 'b'].map((p) => podMetricsPath('observability', `${w.workload}-${p}`, REACHABILITY_CHECKS[w.workload].port))).sort());
    expect(checked.healthy).toBe(false);
    expect(checked.workloads.filter((w) => w.status === 'Failed').map((w) => w.name)).toEqual([workload]);
    expect(checked.workloads.find((w) => w.name === workload)!.pods.map((p) => `${p.name} ${p.reason}`)).toEqual([`${workload}-b ${REACHABILITY_CHECKS[workload].reason}`]);
  });

  it('proxies to each workload\'s own port', () => {
    expect(podMetricsPath('observability', 'vminsert-a', REACHABILITY_CHECKS.vminsert.port)).toBe('/api/v1/namespaces/observability/pods/vminsert-a:8480/proxy/metrics');
    expect(podMetricsPath('observability', 'vmselect-global-a', REACHABILITY_CHECKS['vmselect-global'].port)).toBe('/api/v1/namespaces/observability/pods/vmselect-global-a:8481/proxy/metrics');
  });

  it('is healthy when every pod reaches every node, and without the option reads no /metrics', async () => {
    const up = reader(all((w) => w.up));
    expect((await runCheck(up.reader, { scope, reachability })).healthy).toBe(true);
    const off = reader(all((w) => w.down));
    expect((await runCheck(off.reader, { scope })).healthy).toBe(true);
    expect(off.gets).toEqual([]);
  });
});
