/**
 * The health rules as tables (Pyrra-style): each row is one situation from a real cluster and the
 * verdict the rules must give. The rules are pure, so `now` is a fixed instant.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, exitCodeOf, RULES_SKIPPED, untilVerdictExpires } from '../src/controller/check.ts';
import { assessWorkload, diagnosePod, rolloutStatus, type AssessOptions } from '../src/controller/health.ts';
import { evaluateWorkloads } from '../src/controller/evaluate.ts';
import { trimNode, trimPod } from '../src/controller/informers.ts';
import type { ContainerStatus, DaemonSet, Deployment, Node, Pod, StatefulSet, Taint, Workload } from '../src/controller/k8s-types.ts';
import type { CheckReport } from '../src/controller/report.ts';
import { archSpread, explainUnschedulable, placementBlocker } from '../src/controller/scheduling.ts';
import { daemonSet, deployment, MESSAGES, node, pod, statefulSet } from './fixtures/k8s/objects.ts';
import { linuxOnly, notReady, ownPods, spread, started, template, withLabels } from './controller-fixtures.ts';

const armTaint = { key: 'kubernetes.io/arch', value: 'arm64', effect: 'NoSchedule' as const };
const nodes: Node[] = [node('amd-1', 'amd64'), node('amd-2', 'amd64'), node('arm-1', 'arm64', { taints: [armTaint] })];
const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
const NOW = Date.parse('2025-11-20T12:00:00Z');
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** Options of the rules for a cluster of `clusterNodes`. */
function rules(clusterNodes: Node[] | undefined, more: Partial<AssessOptions> = {}): AssessOptions {
  return { nodes: clusterNodes, nodesByName: new Map((clusterNodes ?? []).map((n) => [n.metadata.name, n])), now: NOW, ...more };
}

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
  const rateLimited = `Failed to pull image "grafana/grafana:12.3.0": failed to pull and unpack image "docker.io/grafana/grafana:12.3.0": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/grafana/grafana/manifests/sha256:4f1c: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`;
  const backOff = pod('grafana', 'g-1', { waiting: { reason: 'ImagePullBackOff', message: MESSAGES.backOff('grafana/grafana:99') } });
  const initDone = (finishedAt: string): ContainerStatus =>
    ({ name: 'init-config', image: 'busybox:1.37', ready: false, restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0, finishedAt } } });
  const cases: [string, Pod, { reason: string; fatal: boolean; message: RegExp; failsAt?: string } | undefined, Partial<AssessOptions>?][] = [
    ['running and ready', pod('grafana', 'g-1'), undefined],
    ['still creating', pod('grafana', 'g-1', { ready: false }), undefined],
    ['CrashLoopBackOff fails at once', pod('grafana', 'g-1', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=grafana' }, lastTerminated: { reason: 'Error', exitCode: 1, message: 'open /etc/grafana/grafana.ini: permission denied' }, restarts: 7 }),
      { reason: 'CrashLoopBackOff', fatal: true, message: /keeps crashing \(restarts: 7\); last exit code 1 \(Error\): open \/etc\/grafana/ }],
    ['platform missing from the index (ErrImagePull) fails at once', started(pod('prometheus', 'p-0', { node: 'arm-1', image, waiting: { reason: 'ErrImagePull', message: MESSAGES.platformMismatch(image) } }), ago(1000)),
      { reason: 'ArchitectureMismatch', fatal: true, message: /image quay.io\/prometheus\/prometheus:v3.14.0 has no linux\/arm64 variant \(node arm-1 is arm64\)/ }],
    ['platform missing from the index (ImagePullBackOff) fails at once', started(pod('prometheus', 'p-0', { node: 'arm-1', image, waiting: { reason: 'ImagePullBackOff', message: MESSAGES.platformMismatch(image) } }), ago(1000)),
      { reason: 'ArchitectureMismatch', fatal: true, message: /no linux\/arm64 variant/ }],
    ['ErrImagePull within the grace is not yet fatal', started(pod('grafana', 'g-1', { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = Unknown desc = failed to pull: 503 Service Unavailable' } }), ago(MIN)),
      { reason: 'ErrImagePull', fatal: false, message: /503 Service Unavailable \(Failed in 4m unless it pulls\)/, failsAt: ago(-4 * MIN) }],
    ['ImagePullBackOff within the grace is not yet fatal', started(backOff, ago(4 * MIN)),
      { reason: 'ImagePullBackOff', fatal: false, message: /Back-off pulling image "grafana\/grafana:99" \(Failed in 1m unless it pulls\)/, failsAt: ago(-MIN) }],
    ['ImagePullBackOff past the grace (from pod start) fails', started(backOff, ago(6 * MIN)),
      { reason: 'ImagePullBackOff', fatal: true, message: /Back-off pulling image "grafana\/grafana:99" \(not pulled for 6m, grace 5m\)/ }],
    ['--image-pull-grace 30s fails sooner', started(backOff, ago(MIN)),
      { reason: 'ImagePullBackOff', fatal: true, message: /not pulled for 1m, grace 30s/ }, { imagePullGraceMs: 30_000 }],
    ['the grace starts when the init containers are done, not at pod start', started(backOff, ago(60 * MIN), [initDone(ago(2 * MIN))]),
      { reason: 'ImagePullBackOff', fatal: false, message: /Failed in 3m/, failsAt: ago(-3 * MIN) }],
    ['the grace restarts when a running container stopped and pulls again', started({ ...backOff, status: { ...backOff.status, containerStatuses: [{ ...backOff.status!.containerStatuses![0]!, lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: ago(MIN) } } }] } }, ago(60 * MIN)),
      { reason: 'ImagePullBackOff', fatal: false, message: /Failed in 4m/, failsAt: ago(-4 * MIN) }],
    ['no start time reported yet: not fatal', backOff, { reason: 'ImagePullBackOff', fatal: false, message: /^container grafana: Back-off pulling image "grafana\/grafana:99"$/ }],
    ['a registry rate limit (429 toomanyrequests) never fails', started(pod('grafana', 'g-1', { waiting: { reason: 'ErrImagePull', message: rateLimited } }), ago(60 * MIN)),
      { reason: 'ErrImagePull', fatal: false, message: /^registry rate limit, the kubelet keeps retrying: container grafana: .*toomanyrequests/ }],
    ['a rate limit seen through ImagePullBackOff never fails', started(pod('grafana', 'g-1', { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "grafana/grafana:12.3.0": ErrImagePull: ${rateLimited}` } }), ago(60 * MIN)),
      { reason: 'ImagePullBackOff', fatal: false, message: /registry rate limit/ }],
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
  it.each(cases)('%s', (_name, p, expected, more) => {
    const d = diagnosePod(p, p.spec.nodeName ? byName.get(p.spec.nodeName) : undefined, { nodes, now: NOW, ...more });
    if (!expected) return expect(d).toBeUndefined();
    expect(d).toMatchObject({ reason: expected.reason, fatal: expected.fatal, name: p.metadata.name });
    expect(d!.failsAt).toBe(expected.failsAt);
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
  it('honours tolerations, required node affinity, cordoned and NotReady nodes', () => {
    const spec = { ...pod('x', 'x-1').spec, tolerations: [{ key: 'kubernetes.io/arch', operator: 'Equal' as const, value: 'arm64', effect: 'NoSchedule' as const }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In' as const, values: ['arm64'] }] }] } } } };
    expect(placementBlocker(spec, nodes[2]!)).toBeUndefined();
    expect(placementBlocker(spec, nodes[0]!)).toBe('required node affinity does not match (kubernetes.io/arch In arm64)');
    const unavailable = [node('arm-2', 'arm64', { unschedulable: true }), notReady(node('arm-3', 'arm64'))];
    expect(explainUnschedulable(spec, unavailable)).toEqual({ blockedEverywhere: true,
      reasons: ['node is cordoned on 1 node(s): arm-2 (arm64)', 'node is not Ready on 1 node(s): arm-3 (arm64)'] });
  });
});

describe('archSpread: how a template spreads over architectures', () => {
  const base = deployment('otel-gateway', { replicas: 2 });
  const term = { topologyKey: 'kubernetes.io/arch', labelSelector: ownPods('otel-gateway') };
  const cases: [string, Deployment, ReturnType<typeof archSpread>][] = [
    ['no spread', base, undefined],
    ['DoNotSchedule on kubernetes.io/arch is required', spread(base, 'DoNotSchedule'), { required: true, maxSkew: 1 }],
    ['ScheduleAnyway is only preferred', spread(base, 'ScheduleAnyway'), { required: false, maxSkew: 1 }],
    ['maxSkew is kept', spread(base, 'DoNotSchedule', 2), { required: true, maxSkew: 2 }],
    ['a spread over zones is not over architectures', template(base, { topologySpreadConstraints: [{ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: ownPods('otel-gateway') }] }), undefined],
    ['a constraint selecting other pods spreads nothing of this workload', template(base, { topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/arch', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: ownPods('grafana') }] }), undefined],
    ['required pod anti-affinity: one pod per architecture', template(base, { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }), { required: true, maxSkew: 1 }],
    ['preferred pod anti-affinity', template(base, { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } } }), { required: false, maxSkew: 1 }],
    ['a required rule wins over a preferred one', template(base, { topologySpreadConstraints: [
      { topologyKey: 'kubernetes.io/arch', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: ownPods('otel-gateway') },
      { topologyKey: 'kubernetes.io/arch', maxSkew: 2, whenUnsatisfiable: 'DoNotSchedule', labelSelector: ownPods('otel-gateway') }] }), { required: true, maxSkew: 2 }],
  ];
  it.each(cases)('%s', (_name, w, expected) => expect(archSpread(w.spec.template)).toEqual(expected));
});

type Expected = { status: string; message?: RegExp; warnings?: RegExp[] };

function expectVerdict(r: ReturnType<typeof assessWorkload>, expected: Expected): void {
  expect(r.status).toBe(expected.status);
  if (expected.message) expect(r.message).toMatch(expected.message);
  expect(r.warnings).toHaveLength(expected.warnings?.length ?? 0);
  expected.warnings?.forEach((w, i) => expect(r.warnings[i]).toMatch(w));
}

describe('assessWorkload: spread over architectures', () => {
  const amd = [node('amd-1', 'amd64'), node('amd-2', 'amd64')];
  const arm = node('arm-1', 'arm64');
  const twoArch = [...amd, arm];
  const gw = deployment('otel-gateway', { replicas: 2 });
  const onAmd = [pod('otel-gateway', 'a', { node: 'amd-1' }), pod('otel-gateway', 'b', { node: 'amd-2' })];
  const spreadPods = [pod('otel-gateway', 'a', { node: 'amd-1' }), pod('otel-gateway', 'b', { node: 'arm-1' })];
  const both = ['amd64', 'arm64'];
  const notChecked = /^spread not checked on arm64: no Ready, schedulable arm64 node admits its pods$/;
  const cases: [string, Node[] | undefined, Deployment | StatefulSet, Pod[], string[] | undefined, Expected][] = [
    ['required spread on a healthy single-architecture cluster: healthy, with a warning', amd, spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Current', warnings: [notChecked] }],
    ['required spread, the arm64 node is cordoned', [...amd, node('arm-1', 'arm64', { unschedulable: true })], spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Current', warnings: [notChecked] }],
    ['required spread, the arm64 node is NotReady', [...amd, notReady(arm)], spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Current', warnings: [notChecked] }],
    ['required spread, the pods do not tolerate the arm64 taint', [...amd, node('arm-1', 'arm64', { taints: [armTaint] })], spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Current', warnings: [notChecked] }],
    ['required spread, the pods select amd64 only', twoArch, template(spread(gw, 'DoNotSchedule'), { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }), onAmd, both,
      { status: 'Current', warnings: [notChecked] }],
    ['required spread with an arm64 node that admits it but no pod there: Failed', twoArch, spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Failed', message: /^no ready pod on arm64, though arm64 nodes admit its pods and its spread over architectures is required$/ }],
    ['required spread without --require-arch: every architecture that can host it', twoArch, spread(gw, 'DoNotSchedule'), onAmd, undefined,
      { status: 'Failed', message: /^no ready pod on arm64/ }],
    ['required anti-affinity on kubernetes.io/arch: Failed the same', twoArch,
      template(gw, { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/arch', labelSelector: ownPods('otel-gateway') }] } } }), onAmd, both,
      { status: 'Failed', message: /^no ready pod on arm64/ }],
    ['required spread, a pod on each architecture', twoArch, spread(gw, 'DoNotSchedule'), spreadPods, both, { status: 'Current' }],
    ['--require-arch narrows the architectures checked', twoArch, spread(gw, 'DoNotSchedule'), onAmd, ['amd64'], { status: 'Current' }],
    ['preferred spread (ScheduleAnyway, the config default) that did not happen: only a warning', twoArch, spread(gw, 'ScheduleAnyway'), onAmd, both,
      { status: 'Current', warnings: [/^no ready pod on arm64, though arm64 nodes admit its pods \(its spread over architectures is only preferred\)$/] }],
    ['no spread at all: not judged per architecture', twoArch, gw, onAmd, both, { status: 'Current' }],
    ['required spread but a single replica: nothing to spread', twoArch, spread(deployment('grafana'), 'DoNotSchedule'), [pod('grafana', 'a')], both, { status: 'Current' }],
    ['maxSkew 2 lets 2 replicas share one architecture', twoArch, spread(gw, 'DoNotSchedule', 2), onAmd, both, { status: 'Current' }],
    ['maxSkew 2 does not let 3 replicas do so', twoArch, spread(deployment('otel-gateway', { replicas: 3 }), 'DoNotSchedule', 2),
      [...onAmd, pod('otel-gateway', 'c', { node: 'amd-1' })], both, { status: 'Failed', message: /^no ready pod on arm64/ }],
    ['a StatefulSet is judged the same', twoArch, spread(statefulSet('prometheus', { replicas: 2 }), 'DoNotSchedule'),
      [pod('prometheus', 'prometheus-0', { node: 'amd-1' }), pod('prometheus', 'prometheus-1', { node: 'amd-2' })], both, { status: 'Failed', message: /^no ready pod on arm64/ }],
    ['nodes that cannot be listed leave a required spread Unknown', undefined, spread(gw, 'DoNotSchedule'), onAmd, both,
      { status: 'Unknown', message: /architectures are unknown/ }],
    ['…and a preferred one unjudged', undefined, spread(gw, 'ScheduleAnyway'), onAmd, both, { status: 'Current' }],
  ];
  it.each(cases)('%s', (_name, clusterNodes, w, pods, requireArch, expected) => {
    expectVerdict(assessWorkload(w, pods, rules(clusterNodes, { requireArch })), expected);
  });

  it('counts ready/total pods per node architecture', () => {
    const r = assessWorkload(deployment('otel-gateway', { replicas: 3 }),
      [pod('otel-gateway', 'a', { node: 'amd-1' }), pod('otel-gateway', 'b', { node: 'arm-1' }), pod('otel-gateway', 'c', { node: 'arm-1', ready: false })], rules(nodes));
    expect(r.architectures).toEqual({ amd64: { ready: 1, total: 1 }, arm64: { ready: 1, total: 2 } });
  });

  it('a crash-looping pod fails the workload before any deadline', () => {
    const r = assessWorkload(statefulSet('prometheus', { replicas: 1, ready: 0 }), [pod('prometheus', 'prometheus-0', { waiting: { reason: 'CrashLoopBackOff' }, restarts: 2 })], rules(nodes));
    expect(r.status).toBe('Failed');
    expect(r.message).toMatch(/^pod prometheus-0: CrashLoopBackOff: container prometheus keeps crashing/);
    expect(r.pods).toEqual([{ name: 'prometheus-0', node: 'amd-1', arch: 'amd64', reason: 'CrashLoopBackOff', message: expect.any(String) }]);
  });

  it('terminal pods (evicted, completed) are neither counted nor diagnosed', () => {
    const evicted = pod('grafana', 'old', { phase: 'Failed', ready: false });
    expect(assessWorkload(deployment('grafana'), [pod('grafana', 'a'), evicted], rules(nodes)).architectures).toEqual({ amd64: { ready: 1, total: 1 } });
  });
});

describe('assessWorkload: a DaemonSet covers exactly the nodes it admits', () => {
  const ns = 'observability-agent';
  const agent = (onNodes: string[]) => onNodes.map((n) => pod('otel-agent', `otel-agent-${n}`, { node: n, namespace: ns }));
  const tolerateAll = (ds: DaemonSet) => template(ds, { tolerations: [{ operator: 'Exists' }] });
  const windows = withLabels(node('win-1', 'amd64'), { 'kubernetes.io/os': 'windows' });
  const controlPlane: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  const twoArch = [node('amd-1', 'amd64'), node('amd-2', 'amd64'), node('arm-1', 'arm64')];
  const cases: [string, Node[] | undefined, DaemonSet, Pod[], Expected][] = [
    ['on every node', twoArch, daemonSet('otel-agent', { desired: 3 }), agent(['amd-1', 'amd-2', 'arm-1']), { status: 'Current' }],
    ['Windows nodes are excluded by a kubernetes.io/os: linux nodeSelector, silently', [...twoArch, windows], linuxOnly(daemonSet('otel-agent', { desired: 3 })),
      agent(['amd-1', 'amd-2', 'arm-1']), { status: 'Current' }],
    ['the arm64 taint it does not tolerate excludes arm64 nodes: healthy, with a warning', [...twoArch.slice(0, 2), node('arm-1', 'arm64', { taints: [armTaint] })],
      daemonSet('otel-agent', { desired: 2 }), agent(['amd-1', 'amd-2']),
      { status: 'Current', warnings: [/^not on 1 Ready node\(s\) whose taints it does not tolerate: arm-1 \(arm64\): untolerated taint kubernetes.io\/arch=arm64:NoSchedule$/] }],
    ['a control-plane taint the same', [...twoArch, node('cp-1', 'amd64', { taints: [controlPlane] })], daemonSet('otel-agent', { desired: 3 }), agent(['amd-1', 'amd-2', 'arm-1']),
      { status: 'Current', warnings: [/cp-1 \(amd64\): untolerated taint node-role.kubernetes.io\/control-plane:NoSchedule/] }],
    ['tolerating every taint, it must be on the tainted nodes too', [...twoArch, node('cp-1', 'amd64', { taints: [controlPlane] })], tolerateAll(daemonSet('otel-agent', { desired: 4 })),
      agent(['amd-1', 'amd-2', 'arm-1', 'cp-1']), { status: 'Current' }],
    ['a node it admits without a ready daemon pod (e.g. one that just joined) is InProgress', twoArch, daemonSet('otel-agent', { desired: 2 }), agent(['amd-1', 'amd-2']),
      { status: 'InProgress', message: /^no ready daemon pod yet on 1 node\(s\) it admits: arm-1 \(arm64\)$/ }],
    ['cordoned and NotReady nodes need no daemon pod', [...twoArch.slice(0, 2), node('arm-1', 'arm64', { unschedulable: true }), notReady(node('arm-2', 'arm64'))],
      daemonSet('otel-agent', { desired: 2 }), agent(['amd-1', 'amd-2']), { status: 'Current' }],
    ['misscheduled pods are still a problem', twoArch, daemonSet('otel-agent', { desired: 3, misscheduled: 1 }), agent(['amd-1', 'amd-2', 'arm-1']),
      { status: 'InProgress', message: /1 pods are running on nodes that should not run the daemon pod/ }],
    ['nodes that cannot be listed leave coverage Unknown', undefined, daemonSet('otel-agent', { desired: 3 }), agent(['amd-1', 'amd-2', 'arm-1']),
      { status: 'Unknown', message: /node coverage is unknown/ }],
  ];
  it.each(cases)('%s', (_name, clusterNodes, ds, pods, expected) => {
    expectVerdict(assessWorkload(ds, pods, rules(clusterNodes, { requireArch: ['amd64', 'arm64'] })), expected);
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
    const { nodes: perArch, workloads } = evaluateWorkloads(state, { now: NOW });
    expect(perArch).toEqual({ amd64: 2, arm64: 1 });
    expect(workloads[0]).toMatchObject({ name: 'grafana', status: 'Current', architectures: { amd64: { ready: 1, total: 1 } }, warnings: [] });
  });

  it('a failed pod list makes only the workloads of that namespace Unknown', () => {
    const { workloads } = evaluateWorkloads(state, { now: NOW });
    expect(workloads.map((w) => [w.name, w.status])).toEqual([['grafana', 'Current'], ['loki', 'Unknown']]);
    expect(workloads[1]!.message).toMatch(/^cannot list pods: .*500 etcdserver/);
  });

  it('with manifests, a missing workload is NotFound and a failed list gives Unknown', () => {
    const expected = [
      { kind: 'Deployment' as const, namespace: 'observability', name: 'grafana' },
      { kind: 'Deployment' as const, namespace: 'observability', name: 'kube-state-metrics' },
      { kind: 'DaemonSet' as const, namespace: 'observability-agent', name: 'otel-agent' },
    ];
    const { workloads } = evaluateWorkloads({ ...state, workloadListFailures: [{ kind: 'DaemonSet', namespace: 'observability-agent', error: 'timeout' }] }, { expected, now: NOW });
    expect(workloads.map((w) => [w.name, w.status])).toEqual([['grafana', 'Current'], ['kube-state-metrics', 'NotFound'], ['otel-agent', 'Unknown']]);
  });

  it('passes the clock and the image-pull grace to the pod rules', () => {
    const pulling = started(pod('grafana', 'g-1', { waiting: { reason: 'ImagePullBackOff', message: MESSAGES.backOff('grafana/grafana:99') } }), ago(2 * MIN));
    const judged = (imagePullGraceMs?: number) => evaluateWorkloads({ ...state, pods: [pulling], podListFailures: [] }, { now: NOW, imagePullGraceMs }).workloads[0]!.status;
    expect([judged(), judged(MIN)]).toEqual(['Current', 'Failed']);
  });
});

describe('the report: --no-rules and verdicts that expire', () => {
  const state = { workloads: [deployment('grafana')], workloadListFailures: [], pods: [pod('grafana', 'g-1')], podListFailures: [], nodes };
  const report = (over: Partial<CheckReport>): CheckReport => ({ ...buildReport(state, RULES_SKIPPED, { scope: {} }, NOW), ...over });

  it('rules not checked (--no-rules) do not make a rolled-out stack unhealthy', () => {
    const r = buildReport(state, RULES_SKIPPED, { scope: {} }, NOW);
    expect(r).toMatchObject({ healthy: true, rules: { status: 'Skipped', message: 'not checked (--no-rules)' } });
    expect(exitCodeOf(r)).toBe(0);
    expect(exitCodeOf(report({ healthy: false, workloads: [{ ...r.workloads[0]!, status: 'Unknown' }] }))).toBe(3);
  });

  it('the verdict expires when the first image-pull grace ends', () => {
    const pods = [{ name: 'a', reason: 'ImagePullBackOff', message: '', failsAt: ago(-2 * MIN) }, { name: 'b', reason: 'ErrImagePull', message: '', failsAt: ago(-MIN) }];
    const pending = report({ workloads: [{ ...report({}).workloads[0]!, status: 'InProgress', pods }] });
    expect(untilVerdictExpires(pending, NOW)).toBe(MIN);
    expect(untilVerdictExpires(pending, NOW + 5 * MIN)).toBe(0);
    expect(untilVerdictExpires(report({}), NOW)).toBeUndefined();
  });
});

describe('informer trimming keeps what the rules read', () => {
  it('node readiness and pod start time survive', () => {
    const n = trimNode({ ...notReady(node('arm-1', 'arm64')), status: { ...notReady(node('arm-1', 'arm64')).status, images: [{ names: ['big'] }] } });
    expect(n.status).toEqual({ conditions: [{ type: 'Ready', status: 'Unknown' }], nodeInfo: { architecture: 'arm64' } });
    const p = trimPod(started(pod('grafana', 'g-1'), ago(MIN), [{ name: 'init', image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, finishedAt: ago(1000) } } }]));
    expect(p.status?.startTime).toBe(ago(MIN));
    expect(p.status?.initContainerStatuses?.[0]?.state?.terminated?.finishedAt).toBe(ago(1000));
  });
});
