import { describe, expect, it } from 'vitest';
import { assessWorkload, diagnosePod, rolloutStatus } from '../src/controller/health.ts';
import { evaluateWorkloads } from '../src/controller/evaluate.ts';
import type { Node, Pod, Workload } from '../src/controller/k8s-types.ts';
import { explainUnschedulable, placementBlocker } from '../src/controller/scheduling.ts';
import { daemonSet, deployment, MESSAGES, node, pod, statefulSet } from './fixtures/k8s/objects.ts';

const armTaint = { key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule' as const };
const nodes: Node[] = [node('amd-1', 'amd64'), node('amd-2', 'amd64'), node('arm-1', 'arm64', { taints: [armTaint] })];
const byName = new Map(nodes.map((n) => [n.metadata.name, n]));

describe('rolloutStatus (kstatus semantics, kubectl wording)', () => {
  const stale = deployment('grafana', { generation: 3, observed: 2 });
  const noObserved = daemonSet('otel-agent');
  delete noObserved.status!.observedGeneration;
  const deleting = deployment('grafana');
  deleting.metadata.deletionTimestamp = '2025-11-20T10:05:00Z';
  const cases: [string, Workload, string, RegExp][] = [
    ['Deployment rolled out', deployment('grafana', { replicas: 2 }), 'Current', /2\/2 replicas available/],
    ['Deployment being deleted', deleting, 'InProgress', /being deleted/],
    ['stale generation', stale, 'InProgress', /spec update to be observed/],
    ['DaemonSet never observed (cli-utils#550)', noObserved, 'InProgress', /spec update to be observed/],
    ['ProgressDeadlineExceeded', deployment('grafana', { replicas: 2, updated: 1, available: 0, deadlineExceeded: true }), 'Failed', /deployment "grafana" exceeded its progress deadline/],
    ['paused', deployment('grafana', { paused: true }), 'InProgress', /paused/],
    ['LessUpdated', deployment('grafana', { replicas: 3, updated: 1 }), 'InProgress', /1 out of 3 new replicas have been updated/],
    ['old replicas terminating', deployment('grafana', { replicas: 2, total: 3 }), 'InProgress', /1 old replicas are pending termination/],
    ['LessAvailable', deployment('grafana', { replicas: 2, updated: 2, available: 1 }), 'InProgress', /1 of 2 updated replicas are available/],
    ['StatefulSet ready', statefulSet('prometheus', { replicas: 2 }), 'Current', /2\/2 pods ready/],
    ['StatefulSet LessReady', statefulSet('prometheus', { replicas: 2, ready: 1 }), 'InProgress', /1 of 2 pods are ready/],
    ['StatefulSet extra pods', statefulSet('prometheus', { replicas: 1, total: 2 }), 'InProgress', /extra pods/],
    ['StatefulSet partition rolling', statefulSet('loki', { replicas: 4, partition: 2, updated: 1 }), 'InProgress', /partitioned roll out: 1 out of 2 new pods/],
    ['StatefulSet partition done', statefulSet('loki', { replicas: 4, partition: 2, updated: 2 }), 'Current', /partitioned roll out complete/],
    ['StatefulSet OnDelete', statefulSet('tempo', { onDelete: true, updated: 0 }), 'Current', /OnDelete/],
    ['StatefulSet OnDelete but not ready', statefulSet('tempo', { onDelete: true, ready: 0 }), 'InProgress', /0 of 1 pods are ready/],
    ['StatefulSet revision mismatch', statefulSet('tempo', { currentRevision: 'tempo-1', updateRevision: 'tempo-2' }), 'InProgress', /tempo-1 is being replaced by tempo-2/],
    ['DaemonSet rolled out', daemonSet('otel-agent', { desired: 3 }), 'Current', /3\/3 daemon pods available/],
    ['DaemonSet misscheduled (ignored by kstatus)', daemonSet('otel-agent', { misscheduled: 1 }), 'InProgress', /1 pods are running on nodes that should not/],
    ['DaemonSet updating', daemonSet('otel-agent', { desired: 3, updated: 1 }), 'InProgress', /1 out of 3 new pods have been updated/],
    ['DaemonSet not ready', daemonSet('otel-agent', { desired: 3, ready: 2 }), 'InProgress', /2 of 3 daemon pods are ready/],
    ['DaemonSet OnDelete', daemonSet('otel-agent', { onDelete: true, updated: 0 }), 'Current', /OnDelete/],
  ];
  it.each(cases.map(([n, w, st, m]) => [n, st, w, m] as const))('%s → %s', (_name, status, w, message) => {
    const v = rolloutStatus(w);
    expect(v.status).toBe(status);
    expect(v.message).toMatch(message);
  });
});

describe('diagnosePod', () => {
  const image = 'quay.io/prometheus/prometheus:v3.14.0';
  const cases: [string, Pod, { reason: string; fatal: boolean; message: RegExp } | undefined][] = [
    ['running and ready', pod('grafana', 'g-1'), undefined],
    ['still creating', pod('grafana', 'g-1', { ready: false }), undefined],
    ['CrashLoopBackOff fails at once', pod('grafana', 'g-1', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=grafana' }, lastTerminated: { reason: 'Error', exitCode: 1, message: 'open /etc/grafana/grafana.ini: permission denied' }, restarts: 7 }),
      { reason: 'CrashLoopBackOff', fatal: true, message: /keeps crashing \(restarts: 7\); last exit code 1 \(Error\): open \/etc\/grafana/ }],
    ['platform missing from the index (ErrImagePull)', pod('prometheus', 'p-0', { node: 'arm-1', image, waiting: { reason: 'ErrImagePull', message: MESSAGES.platformMismatch(image) } }),
      { reason: 'ArchitectureMismatch', fatal: true, message: /image quay.io\/prometheus\/prometheus:v3.14.0 has no linux\/arm64 variant \(node arm-1 is arm64\)/ }],
    ['platform missing from the index (ImagePullBackOff)', pod('prometheus', 'p-0', { node: 'arm-1', image, waiting: { reason: 'ImagePullBackOff', message: MESSAGES.platformMismatch(image) } }),
      { reason: 'ArchitectureMismatch', fatal: true, message: /no linux\/arm64 variant/ }],
    ['first ErrImagePull is not yet fatal', pod('grafana', 'g-1', { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = Unknown desc = failed to pull: 503 Service Unavailable' } }),
      { reason: 'ErrImagePull', fatal: false, message: /503/ }],
    ['ImagePullBackOff', pod('grafana', 'g-1', { waiting: { reason: 'ImagePullBackOff', message: MESSAGES.backOff('grafana/grafana:99') } }),
      { reason: 'ImagePullBackOff', fatal: true, message: /Back-off pulling image "grafana\/grafana:99"/ }],
    ['single-arch image: exec format error', pod('prometheus', 'p-0', { node: 'arm-1', image, waiting: { reason: 'CrashLoopBackOff' }, lastTerminated: { reason: 'Error', exitCode: 255, message: MESSAGES.execFormat }, restarts: 3 }),
      { reason: 'ArchitectureMismatch', fatal: true, message: /not built for arm64 \(node arm-1 is arm64\): exec format error/ }],
    ['older runc wording', pod('prometheus', 'p-0', { node: 'arm-1', terminated: { reason: 'Error', exitCode: 1, message: MESSAGES.execFormatOldRunc } }),
      { reason: 'ArchitectureMismatch', fatal: true, message: /exec format error/ }],
    ['OOMKilled and crash-looping', pod('loki', 'l-0', { waiting: { reason: 'CrashLoopBackOff' }, lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, restarts: 4 }),
      { reason: 'OOMKilled', fatal: true, message: /exceeding its memory limit \(restarts: 4\)/ }],
    ['OOMKilled once, running again', pod('loki', 'l-0', { lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, restarts: 1 }),
      { reason: 'OOMKilled', fatal: false, message: /memory limit/ }],
    ['config error', pod('grafana', 'g-1', { waiting: { reason: 'CreateContainerConfigError', message: 'secret "grafana-admin" not found' } }),
      { reason: 'CreateContainerConfigError', fatal: true, message: /secret "grafana-admin" not found/ }],
    ['Unschedulable: arm64 taint not tolerated, amd64 excluded by selector', pod('tempo', 't-0', { unschedulable: MESSAGES.unschedulableTaint, nodeSelector: { 'kubernetes.io/arch': 'arm64' } }),
      { reason: 'Unschedulable', fatal: true, message: /nodeSelector kubernetes.io\/arch=arm64 does not match \(node has amd64\) on 2 node\(s\): amd-1 \(amd64\), amd-2 \(amd64\); untolerated taint kubernetes.io\/arch=arm64:NoSchedule on 1 node\(s\): arm-1 \(arm64\)/ }],
    ['Unschedulable for lack of CPU waits (autoscaler)', pod('tempo', 't-0', { unschedulable: MESSAGES.insufficientCpu }),
      { reason: 'Unschedulable', fatal: false, message: /untolerated taint/ }],
  ];
  it.each(cases)('%s', (_name, p, expected) => {
    const d = diagnosePod(p, p.spec.nodeName ? byName.get(p.spec.nodeName) : undefined, nodes);
    if (!expected) return expect(d).toBeUndefined();
    expect(d).toMatchObject({ reason: expected.reason, fatal: expected.fatal, name: p.metadata.name });
    expect(d!.message).toMatch(expected.message);
  });
});

describe('scheduling explanations', () => {
  it('names each blocking taint and affinity term with the nodes it applies to', () => {
    const spec = pod('x', 'x-1', { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }).spec;
    const why = explainUnschedulable(spec, nodes);
    expect(why.blockedEverywhere).toBe(true);
    expect(why.reasons).toEqual([
      'nodeSelector kubernetes.io/arch=arm64 does not match (node has amd64) on 2 node(s): amd-1 (amd64), amd-2 (amd64)',
      'untolerated taint kubernetes.io/arch=arm64:NoSchedule on 1 node(s): arm-1 (arm64)',
    ]);
  });
  it('honours tolerations, required node affinity and cordoned nodes', () => {
    const spec = { ...pod('x', 'x-1').spec, tolerations: [{ key: 'kubernetes.io/arch', operator: 'Equal' as const, value: 'arm64', effect: 'NoSchedule' as const }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In' as const, values: ['arm64'] }] }] } } } };
    expect(placementBlocker(spec, nodes[2]!)).toBeUndefined();
    expect(placementBlocker(spec, nodes[0]!)).toBe('required node affinity does not match (kubernetes.io/arch In arm64)');
    const cordoned = [node('arm-2', 'arm64', { unschedulable: true })];
    expect(explainUnschedulable(spec, cordoned)).toEqual({ blockedEverywhere: true, reasons: ['node is cordoned on 1 node(s): arm-2 (arm64)'] });
  });
});

describe('assessWorkload: pods and architectures', () => {
  const opts = { nodes, nodesByName: byName, requireArch: ['amd64', 'arm64'] };
  const tolerateArm = [{ key: 'kubernetes.io/arch', operator: 'Exists' as const, effect: 'NoSchedule' as const }];

  it('counts ready/total pods per node architecture', () => {
    const r = assessWorkload(deployment('otel-gateway', { replicas: 3 }),
      [pod('otel-gateway', 'a', { node: 'amd-1' }), pod('otel-gateway', 'b', { node: 'arm-1' }), pod('otel-gateway', 'c', { node: 'arm-1', ready: false })], opts);
    expect(r.architectures).toEqual({ amd64: { ready: 1, total: 1 }, arm64: { ready: 1, total: 2 } });
  });

  it('a crash-looping pod fails the workload before any deadline', () => {
    const r = assessWorkload(statefulSet('prometheus', { replicas: 1, ready: 0 }), [pod('prometheus', 'prometheus-0', { waiting: { reason: 'CrashLoopBackOff' }, restarts: 2 })], opts);
    expect(r.status).toBe('Failed');
    expect(r.message).toMatch(/^pod prometheus-0: CrashLoopBackOff: container prometheus keeps crashing/);
    expect(r.pods).toEqual([{ name: 'prometheus-0', node: 'amd-1', arch: 'amd64', reason: 'CrashLoopBackOff', message: expect.any(String) }]);
  });

  it('--require-arch fails a spread workload with no ready pod on one architecture', () => {
    const r = assessWorkload(deployment('otel-gateway', { replicas: 2 }), [pod('otel-gateway', 'a', { node: 'amd-1' }), pod('otel-gateway', 'b', { node: 'amd-2' })], opts);
    expect(r).toMatchObject({ status: 'Failed', message: 'no ready pod on arm64 (required: amd64, arm64)' });
  });

  it('a single-replica workload is not required to spread', () => {
    expect(assessWorkload(deployment('grafana'), [pod('grafana', 'a')], opts).status).toBe('Current');
  });

  it('a DaemonSet must cover every schedulable node of each required architecture', () => {
    const agentPods = [pod('otel-agent', 'a', { node: 'amd-1', namespace: 'observability-agent' }), pod('otel-agent', 'b', { node: 'amd-2', namespace: 'observability-agent' })];
    const blocked = assessWorkload(daemonSet('otel-agent', { desired: 2 }), agentPods, opts);
    expect(blocked.status).toBe('Failed');
    expect(blocked.message).toBe('does not cover 1 schedulable node(s): arm-1 (arm64): untolerated taint kubernetes.io/arch=arm64:NoSchedule');
    const covering = assessWorkload(daemonSet('otel-agent', { desired: 3, tolerations: tolerateArm }), [...agentPods, pod('otel-agent', 'c', { node: 'arm-1', namespace: 'observability-agent' })], opts);
    expect(covering.status).toBe('Current');
    expect(covering.architectures).toEqual({ amd64: { ready: 2, total: 2 }, arm64: { ready: 1, total: 1 } });
  });

  it('terminal pods (evicted, completed) are neither counted nor diagnosed', () => {
    const evicted = pod('grafana', 'old', { phase: 'Failed', ready: false });
    expect(assessWorkload(deployment('grafana'), [pod('grafana', 'a'), evicted], opts).architectures).toEqual({ amd64: { ready: 1, total: 1 } });
  });
});

describe('evaluateWorkloads', () => {
  const state = {
    workloads: [deployment('grafana'), statefulSet('loki', { namespace: 'other' })],
    workloadListFailures: [],
    pods: [pod('grafana', 'g-1')],
    podListFailures: [{ namespace: 'other', error: 'GET …: 500 etcdserver: request timed out (after 4 attempts)' }],
    nodes,
  };

  it('counts nodes per architecture and matches pods by the workload selector', () => {
    const { nodes: perArch, workloads } = evaluateWorkloads(state);
    expect(perArch).toEqual({ amd64: 2, arm64: 1 });
    expect(workloads[0]).toMatchObject({ name: 'grafana', status: 'Current', architectures: { amd64: { ready: 1, total: 1 } } });
  });

  it('a failed pod list makes only the workloads of that namespace Unknown', () => {
    const { workloads } = evaluateWorkloads(state);
    expect(workloads.map((w) => [w.name, w.status])).toEqual([['grafana', 'Current'], ['loki', 'Unknown']]);
    expect(workloads[1]!.message).toMatch(/^cannot list pods: .*500 etcdserver/);
  });

  it('with manifests, a missing workload is NotFound and a failed list gives Unknown', () => {
    const expected = [
      { kind: 'Deployment' as const, namespace: 'observability', name: 'grafana' },
      { kind: 'Deployment' as const, namespace: 'observability', name: 'kube-state-metrics' },
      { kind: 'DaemonSet' as const, namespace: 'observability-agent', name: 'otel-agent' },
    ];
    const { workloads } = evaluateWorkloads({ ...state, workloadListFailures: [{ kind: 'DaemonSet', namespace: 'observability-agent', error: 'timeout' }] }, { expected });
    expect(workloads.map((w) => [w.name, w.status])).toEqual([['grafana', 'Current'], ['kube-state-metrics', 'NotFound'], ['otel-agent', 'Unknown']]);
  });

  it('nodes that cannot be listed leave architecture rules Unknown, not Failed', () => {
    const { workloads } = evaluateWorkloads({ ...state, nodes: { error: 'timeout' } }, { requireArch: ['amd64', 'arm64'] });
    expect(workloads.find((w) => w.kind === 'Deployment')!.status).toBe('Current');
    const ds = evaluateWorkloads({ ...state, workloads: [daemonSet('otel-agent')], nodes: { error: 'timeout' }, podListFailures: [] }).workloads[0]!;
    expect(ds).toMatchObject({ status: 'Unknown', message: /node coverage is unknown/ });
  });
});
