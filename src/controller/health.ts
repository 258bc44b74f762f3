/**
 * Health rules: pure functions from Kubernetes objects to a status and a reason.
 *
 * Rollout status follows kstatus (generation observed, replica counts, partitions, OnDelete,
 * ProgressDeadlineExceeded → Failed) with kubectl's wording, and goes further where kstatus,
 * kubectl and Argo CD are silent: pods are diagnosed (CrashLoopBackOff fails at once, image pulls,
 * architecture mismatches, OOMKilled, Unschedulable with its cause), DaemonSets must not be
 * misscheduled and must cover every schedulable node of each required architecture, and a spread
 * workload must have a ready pod on every required architecture.
 */
import {
  condition,
  nodeArch,
  type ContainerStatus,
  type DaemonSet,
  type Deployment,
  type Node,
  type Pod,
  type StatefulSet,
  type Workload,
} from './k8s-types.ts';
import type { ArchCount, PodReport, Status, WorkloadReport } from './report.ts';
import { DAEMONSET_DEFAULT_TOLERATIONS, explainUnschedulable, isSchedulable, placementBlocker } from './scheduling.ts';

export interface Verdict {
  status: Status;
  message: string;
}

const inProgress = (message: string): Verdict => ({ status: 'InProgress', message });

/** Rollout status of a workload from its own spec and status (no pods). */
export function rolloutStatus(w: Workload): Verdict {
  if (w.metadata.deletionTimestamp) return inProgress('being deleted');
  const observed = w.status?.observedGeneration;
  // kstatus skips this check when observedGeneration is absent; a workload its controller has
  // not looked at yet is not rolled out (cli-utils#550, kargo#41), so absence counts as stale.
  if (observed === undefined || (w.metadata.generation !== undefined && observed < w.metadata.generation)) {
    return inProgress(`waiting for ${w.kind.toLowerCase()} spec update to be observed`);
  }
  switch (w.kind) {
    case 'Deployment': return deploymentStatus(w);
    case 'StatefulSet': return statefulSetStatus(w);
    case 'DaemonSet': return daemonSetStatus(w);
  }
}

function deploymentStatus(d: Deployment): Verdict {
  const s = d.status ?? {};
  const want = d.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const progressing = condition(s.conditions, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Failed', message: `deployment "${d.metadata.name}" exceeded its progress deadline` };
  }
  if (d.spec.paused) return inProgress('rollout is paused');
  if (updated < want) return inProgress(`${updated} out of ${want} new replicas have been updated`);
  const old = (s.replicas ?? 0) - updated;
  if (old > 0) return inProgress(`${old} old replicas are pending termination`);
  const available = s.availableReplicas ?? 0;
  if (available < updated) return inProgress(`${available} of ${updated} updated replicas are available`);
  if ((s.readyReplicas ?? 0) < want) return inProgress(`${s.readyReplicas ?? 0} of ${want} replicas are ready`);
  const availableCond = condition(s.conditions, 'Available');
  if (want > 0 && availableCond?.status !== 'True') return inProgress(`Available condition is ${availableCond?.status ?? 'missing'}`);
  return { status: 'Current', message: `${available}/${want} replicas available` };
}

function statefulSetStatus(ss: StatefulSet): Verdict {
  const s = ss.status ?? {};
  const want = ss.spec.replicas ?? 1;
  const ready = s.readyReplicas ?? 0;
  if ((s.replicas ?? 0) > want) return inProgress(`${(s.replicas ?? 0) - want} extra pods are pending termination`);
  if (ready < want) return inProgress(`${ready} of ${want} pods are ready`);
  if (ss.spec.updateStrategy?.type === 'OnDelete') {
    return { status: 'Current', message: `${ready}/${want} ready (OnDelete: new revisions roll out as pods are deleted)` };
  }
  const partition = ss.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const updated = s.updatedReplicas ?? 0;
  if (partition > 0) {
    const target = Math.max(want - partition, 0);
    if (updated < target) return inProgress(`partitioned roll out: ${updated} out of ${target} new pods have been updated`);
    return { status: 'Current', message: `partitioned roll out complete: ${updated} new pods have been updated` };
  }
  if (updated < want) return inProgress(`${updated} out of ${want} pods have been updated`);
  if (s.updateRevision && s.currentRevision !== s.updateRevision) {
    return inProgress(`revision ${s.currentRevision ?? '?'} is being replaced by ${s.updateRevision}`);
  }
  return { status: 'Current', message: `${ready}/${want} pods ready` };
}

function daemonSetStatus(ds: DaemonSet): Verdict {
  const s = ds.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  // kstatus and Argo CD ignore this: pods left on nodes the DaemonSet no longer selects.
  if ((s.numberMisscheduled ?? 0) > 0) {
    return inProgress(`${s.numberMisscheduled} pods are running on nodes that should not run the daemon pod`);
  }
  if ((s.currentNumberScheduled ?? 0) < desired) return inProgress(`${s.currentNumberScheduled ?? 0} of ${desired} nodes have a daemon pod scheduled`);
  const ready = s.numberReady ?? 0;
  if (ready < desired) return inProgress(`${ready} of ${desired} daemon pods are ready`);
  if (ds.spec.updateStrategy?.type === 'OnDelete') {
    return { status: 'Current', message: `${ready}/${desired} ready (OnDelete: new revisions roll out as pods are deleted)` };
  }
  const updated = s.updatedNumberScheduled ?? 0;
  if (updated < desired) return inProgress(`${updated} out of ${desired} new pods have been updated`);
  const available = s.numberAvailable ?? 0;
  if (available < desired) return inProgress(`${available} of ${desired} updated pods are available`);
  return { status: 'Current', message: `${available}/${desired} daemon pods available` };
}

/** A pod's problem; `fatal` problems fail the workload now instead of waiting for a deadline. */
export interface PodDiagnosis extends PodReport {
  fatal: boolean;
}

const PLATFORM_MISMATCH = 'no match for platform in manifest';
const EXEC_FORMAT = 'exec format error';

/**
 * What is wrong with a pod, or undefined if nothing is. `node` is the node it is bound to (for its
 * architecture), `nodes` all nodes (to explain why it cannot be scheduled).
 */
export function diagnosePod(pod: Pod, node: Node | undefined, nodes: readonly Node[]): PodDiagnosis | undefined {
  const arch = node ? nodeArch(node) : undefined;
  const where = { name: pod.metadata.name, node: pod.spec.nodeName, arch };
  const found = (reason: string, message: string, fatal: boolean): PodDiagnosis => ({ ...where, reason, message, fatal });

  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const d = diagnoseContainer(cs, arch, pod.spec.nodeName);
    if (d) return found(d.reason, d.message, d.fatal);
  }
  const scheduled = condition(pod.status?.conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const why = explainUnschedulable(pod.spec, nodes);
    const detail = why.reasons.length > 0 ? why.reasons.join('; ') : (scheduled.message ?? 'no node fits');
    // Taints, selectors and affinity do not fix themselves; lack of capacity might (autoscaler).
    return found('Unschedulable', detail, why.blockedEverywhere);
  }
  return undefined;
}

function diagnoseContainer(cs: ContainerStatus, arch: string | undefined, nodeName: string | undefined):
  { reason: string; message: string; fatal: boolean } | undefined {
  const waiting = cs.state?.waiting;
  const terminated = cs.state?.terminated ?? cs.lastState?.terminated;
  const onNode = `node ${nodeName ?? '?'} is ${arch ?? 'of unknown arch'}`;
  if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') {
    if (waiting.message?.includes(PLATFORM_MISMATCH)) {
      return { reason: 'ArchitectureMismatch', fatal: true,
        message: `image ${cs.image} has no linux/${arch ?? '?'} variant (${onNode}): ${waiting.message}` };
    }
    // The first ErrImagePull may be a registry hiccup; the kubelet's back-off means it repeated.
    return { reason: waiting.reason, message: `container ${cs.name}: ${waiting.message ?? `cannot pull ${cs.image}`}`, fatal: waiting.reason === 'ImagePullBackOff' };
  }
  if (terminated?.message?.includes(EXEC_FORMAT) || waiting?.message?.includes(EXEC_FORMAT)) {
    return { reason: 'ArchitectureMismatch', fatal: true,
      message: `image ${cs.image} is not built for ${arch ?? 'this node'} (${onNode}): exec format error` };
  }
  if (terminated?.reason === 'OOMKilled') {
    return { reason: 'OOMKilled', fatal: waiting?.reason === 'CrashLoopBackOff',
      message: `container ${cs.name} was killed for exceeding its memory limit (restarts: ${cs.restartCount})` };
  }
  if (waiting?.reason === 'CrashLoopBackOff') {
    const last = terminated ? `; last exit code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}${terminated.message ? `: ${terminated.message.trim()}` : ''}` : '';
    return { reason: 'CrashLoopBackOff', fatal: true, message: `container ${cs.name} keeps crashing (restarts: ${cs.restartCount})${last}` };
  }
  // Argo CD's rule: waiting reasons starting with Err or ending with Error are configuration errors.
  if (waiting?.reason && (waiting.reason.startsWith('Err') || waiting.reason.endsWith('Error') || waiting.reason === 'InvalidImageName')) {
    return { reason: waiting.reason, fatal: true, message: `container ${cs.name}: ${waiting.message ?? waiting.reason}` };
  }
  return undefined;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function isReady(pod: Pod): boolean {
  return condition(pod.status?.conditions, 'Ready')?.status === 'True';
}

export interface AssessOptions {
  /** Architectures every spread workload must have a ready pod on, and every DaemonSet must cover. */
  requireArch?: readonly string[];
  /** Nodes of the cluster, or undefined when they could not be listed. */
  nodes: readonly Node[] | undefined;
  nodesByName: ReadonlyMap<string, Node>;
}

/** Full verdict of one workload: rollout status, its pods, and per-architecture placement. */
export function assessWorkload(w: Workload, pods: readonly Pod[], opts: AssessOptions): WorkloadReport {
  const architectures: Record<string, ArchCount> = {};
  const diagnoses: PodDiagnosis[] = [];
  for (const pod of pods) {
    if (isTerminal(pod)) continue;
    const node = pod.spec.nodeName ? opts.nodesByName.get(pod.spec.nodeName) : undefined;
    const arch = node && nodeArch(node);
    if (arch) {
      const count = (architectures[arch] ??= { ready: 0, total: 0 });
      count.total++;
      if (isReady(pod)) count.ready++;
    }
    const d = diagnosePod(pod, node, opts.nodes ?? []);
    if (d) diagnoses.push(d);
  }
  const report = (v: Verdict): WorkloadReport => ({
    kind: w.kind, namespace: w.metadata.namespace ?? '', name: w.metadata.name, status: v.status, message: v.message,
    architectures, pods: diagnoses.map(({ fatal: _fatal, ...p }) => p),
  });

  const fatal = diagnoses.find((d) => d.fatal);
  if (fatal) return report({ status: 'Failed', message: `pod ${fatal.name}: ${fatal.reason}: ${fatal.message}` });
  const rollout = rolloutStatus(w);
  if (rollout.status !== 'Current') {
    const first = diagnoses[0];
    return report(first ? { ...rollout, message: `${rollout.message}; pod ${first.name}: ${first.reason}` } : rollout);
  }
  const placement = placementVerdict(w, architectures, opts);
  return report(placement ?? rollout);
}

/** Per-architecture rules, judged once the rollout itself is done. */
function placementVerdict(w: Workload, architectures: Record<string, ArchCount>, opts: AssessOptions): Verdict | undefined {
  if (w.kind === 'DaemonSet') return daemonSetCoverage(w, opts);
  const required = opts.requireArch ?? [];
  const replicas = w.spec.replicas ?? 1;
  // A workload with fewer replicas than architectures cannot be spread; it is not judged.
  if (required.length === 0 || replicas < required.length) return undefined;
  if (!opts.nodes) return { status: 'Unknown', message: 'nodes could not be listed, so architectures are unknown' };
  const missing = required.filter((a) => (architectures[a]?.ready ?? 0) === 0);
  if (missing.length === 0) return undefined;
  return { status: 'Failed', message: `no ready pod on ${missing.join(', ')} (required: ${required.join(', ')})` };
}

function daemonSetCoverage(ds: DaemonSet, opts: AssessOptions): Verdict | undefined {
  if (!opts.nodes) return { status: 'Unknown', message: 'nodes could not be listed, so node coverage is unknown' };
  const required = opts.requireArch;
  const mustCover = opts.nodes.filter((n) => isSchedulable(n) && (!required?.length || required.includes(nodeArch(n) ?? '')));
  const blocked: string[] = [];
  for (const node of mustCover) {
    const blocker = placementBlocker(ds.spec.template.spec, node, DAEMONSET_DEFAULT_TOLERATIONS);
    if (blocker) blocked.push(`${node.metadata.name} (${nodeArch(node) ?? '?'}): ${blocker}`);
  }
  if (blocked.length > 0) {
    return { status: 'Failed', message: `does not cover ${blocked.length} schedulable node(s): ${blocked.slice(0, 5).join('; ')}` };
  }
  return undefined;
}
