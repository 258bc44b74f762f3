/**
 * Health rules: pure functions from Kubernetes objects to a status and a reason.
 *
 * Rollout status follows kstatus (generation observed, replica counts, partitions, OnDelete,
 * ProgressDeadlineExceeded → Failed) with kubectl's wording, and goes further where kstatus,
 * kubectl and Argo CD are silent: pods are diagnosed (CrashLoopBackOff fails at once, image pulls
 * after a grace period, architecture mismatches at once, OOMKilled, Unschedulable with its cause),
 * DaemonSets must not be misscheduled and must run on every node they admit, and a workload whose
 * spread over architectures is required must have a ready pod on every architecture that can host
 * it. What is only preferred, or cannot be judged in this cluster, becomes a warning.
 *
 * The rules read the time only from their options (`now`), so a verdict is a function of its inputs.
 */
import { formatDuration } from '../duration.ts';
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
import { archSpread, canHost, DAEMONSET_DEFAULT_TOLERATIONS, explainUnschedulable, labelBlocker, nodeUnavailable, taintBlocker } from './scheduling.ts';

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

/** How long an image may keep failing to pull before its workload is Failed: registries have bad minutes. */
export const DEFAULT_IMAGE_PULL_GRACE_MS = 5 * 60_000;

const PLATFORM_MISMATCH = 'no match for platform in manifest';
const EXEC_FORMAT = 'exec format error';
/** containerd's wording of an HTTP 429 (Docker Hub: `toomanyrequests: You have reached your pull rate limit`). */
const RATE_LIMITED = /toomanyrequests|429 Too Many Requests/i;

export interface AssessOptions {
  /** Architectures a required spread is checked on (`--require-arch`); default: every architecture that can host the workload. */
  requireArch?: readonly string[];
  /** Nodes of the cluster, or undefined when they could not be listed. */
  nodes: readonly Node[] | undefined;
  nodesByName: ReadonlyMap<string, Node>;
  /** The moment the verdict is for (ms since the epoch); the image-pull grace is measured up to it. */
  now: number;
  /** @default DEFAULT_IMAGE_PULL_GRACE_MS */
  imagePullGraceMs?: number;
}

type DiagnoseOptions = Pick<AssessOptions, 'nodes' | 'now' | 'imagePullGraceMs'>;

/**
 * What is wrong with a pod, or undefined if nothing is. `node` is the node it is bound to (for its
 * architecture), `opts.nodes` all nodes (to explain why it cannot be scheduled).
 */
export function diagnosePod(pod: Pod, node: Node | undefined, opts: DiagnoseOptions): PodDiagnosis | undefined {
  const arch = node ? nodeArch(node) : undefined;
  const where = { name: pod.metadata.name, node: pod.spec.nodeName, arch };

  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const d = diagnoseContainer(cs, pod, arch, opts);
    if (d) return { ...where, ...d };
  }
  const scheduled = condition(pod.status?.conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const why = explainUnschedulable(pod.spec, opts.nodes ?? []);
    const detail = why.reasons.length > 0 ? why.reasons.join('; ') : (scheduled.message ?? 'no node fits');
    // Taints, selectors and affinity do not fix themselves; lack of capacity might (autoscaler).
    return { ...where, reason: 'Unschedulable', message: detail, fatal: why.blockedEverywhere };
  }
  return undefined;
}

type ContainerDiagnosis = Pick<PodDiagnosis, 'reason' | 'message' | 'fatal' | 'failsAt'>;

function diagnoseContainer(cs: ContainerStatus, pod: Pod, arch: string | undefined, opts: DiagnoseOptions): ContainerDiagnosis | undefined {
  const waiting = cs.state?.waiting;
  const terminated = cs.state?.terminated ?? cs.lastState?.terminated;
  const onNode = `node ${pod.spec.nodeName ?? '?'} is ${arch ?? 'of unknown arch'}`;
  if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') {
    const detail = waiting.message ?? `cannot pull ${cs.image}`;
    if (detail.includes(PLATFORM_MISMATCH)) {
      return { reason: 'ArchitectureMismatch', fatal: true, message: `image ${cs.image} has no linux/${arch ?? '?'} variant (${onNode}): ${detail}` };
    }
    return imagePull(waiting.reason, `container ${cs.name}: ${detail}`, waitingSince(pod, cs), opts);
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

/**
 * An image that does not pull: Failed once it has failed for the grace period, never for a
 * registry rate limit (it lifts by itself and says nothing about the stack).
 */
function imagePull(reason: string, message: string, since: number | undefined, opts: DiagnoseOptions): ContainerDiagnosis {
  if (RATE_LIMITED.test(message)) return { reason, fatal: false, message: `registry rate limit, the kubelet keeps retrying: ${message}` };
  // No start time: the kubelet has not reported the pod yet, so the grace cannot have run out.
  if (since === undefined) return { reason, fatal: false, message };
  const grace = opts.imagePullGraceMs ?? DEFAULT_IMAGE_PULL_GRACE_MS;
  const failsAt = since + grace;
  if (opts.now >= failsAt) {
    return { reason, fatal: true, message: `${message} (not pulled for ${formatDuration((opts.now - since) / 1000)}, grace ${formatDuration(grace / 1000)})` };
  }
  return { reason, fatal: false, failsAt: new Date(failsAt).toISOString(),
    message: `${message} (Failed in ${formatDuration((failsAt - opts.now) / 1000)} unless it pulls)` };
}

/**
 * When a container's current wait began, in ms since the epoch. The API gives a waiting state no
 * timestamp, so this is the latest moment it can have begun: the pod's start (the kubelet begins
 * pulling when it takes the pod), the end of the container's previous run (a restart pulls again
 * under imagePullPolicy Always), or the end of an init container (the next image is pulled only
 * after it). Measuring from pod start alone would spend the grace on slow init containers.
 */
function waitingSince(pod: Pod, cs: ContainerStatus): number | undefined {
  const times = [pod.status?.startTime, cs.lastState?.terminated?.finishedAt,
    ...(pod.status?.initContainerStatuses ?? []).map((s) => s.state?.terminated?.finishedAt)];
  const ms = times.filter((t) => t !== undefined).map((t) => Date.parse(t)).filter(Number.isFinite);
  return ms.length > 0 ? Math.max(...ms) : undefined;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function isReady(pod: Pod): boolean {
  return condition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/** Full verdict of one workload: rollout status, its pods, and per-architecture placement. */
export function assessWorkload(w: Workload, pods: readonly Pod[], opts: AssessOptions): WorkloadReport {
  const architectures: Record<string, ArchCount> = {};
  const diagnoses: PodDiagnosis[] = [];
  const live = pods.filter((p) => !isTerminal(p));
  for (const pod of live) {
    const node = pod.spec.nodeName ? opts.nodesByName.get(pod.spec.nodeName) : undefined;
    const arch = node && nodeArch(node);
    if (arch) {
      const count = (architectures[arch] ??= { ready: 0, total: 0 });
      count.total++;
      if (isReady(pod)) count.ready++;
    }
    const d = diagnosePod(pod, node, opts);
    if (d) diagnoses.push(d);
  }
  const report = (v: Verdict, warnings: string[] = []): WorkloadReport => ({
    kind: w.kind, namespace: w.metadata.namespace ?? '', name: w.metadata.name, status: v.status, message: v.message,
    architectures, pods: diagnoses.map(({ fatal: _fatal, ...p }) => p), warnings,
  });

  const fatal = diagnoses.find((d) => d.fatal);
  if (fatal) return report({ status: 'Failed', message: `pod ${fatal.name}: ${fatal.reason}: ${fatal.message}` });
  const rollout = rolloutStatus(w);
  if (rollout.status !== 'Current') {
    const first = diagnoses[0];
    return report(first ? { ...rollout, message: `${rollout.message}; pod ${first.name}: ${first.reason}` } : rollout);
  }
  // Placement is judged once the rollout itself is done.
  const placement = w.kind === 'DaemonSet' ? daemonSetCoverage(w, live, opts) : spreadOverArchitectures(w, architectures, opts);
  return report(placement.verdict ?? rollout, placement.warnings);
}

/** What a placement rule found: a verdict replacing the rollout's, if any, and warnings. */
interface Placement {
  verdict?: Verdict;
  warnings: string[];
}

/**
 * A spread workload on the architectures that can host it. The rule applies only where the
 * cluster has a Ready, uncordoned node of the architecture whose labels and taints admit the pods,
 * and only once there are enough replicas that the spread must reach every such architecture.
 * A required spread that missed one is Failed; a preferred one only warns.
 */
function spreadOverArchitectures(w: Deployment | StatefulSet, architectures: Record<string, ArchCount>, opts: AssessOptions): Placement {
  const spread = archSpread(w.spec.template);
  if (!spread || (!opts.nodes && !spread.required)) return { warnings: [] };
  if (!opts.nodes) return { verdict: { status: 'Unknown', message: 'nodes could not be listed, so architectures are unknown' }, warnings: [] };
  const spec = w.spec.template.spec;
  const hosting = new Set(opts.nodes.filter((n) => canHost(spec, n)).map(nodeArch).filter((a) => a !== undefined));
  const wanted = opts.requireArch?.length ? opts.requireArch : [...hosting].sort();
  const eligible = wanted.filter((a) => hosting.has(a));
  const warnings = wanted.filter((a) => !hosting.has(a)).map((a) => `spread not checked on ${a}: no Ready, schedulable ${a} node admits its pods`);
  // With maxSkew k, an architecture may stay empty while the others hold up to k pods each.
  if ((w.spec.replicas ?? 1) <= (eligible.length - 1) * spread.maxSkew) return { warnings };
  const missing = eligible.filter((a) => (architectures[a]?.ready ?? 0) === 0);
  if (missing.length === 0) return { warnings };
  const found = `no ready pod on ${missing.join(', ')}, though ${missing.length > 1 ? 'nodes of these architectures admit' : `${missing[0]} nodes admit`} its pods`;
  if (spread.required) return { verdict: { status: 'Failed', message: `${found} and its spread over architectures is required` }, warnings };
  return { warnings: [...warnings, `${found} (its spread over architectures is only preferred)`] };
}

/**
 * A DaemonSet must have a ready pod on every node it admits (its nodeSelector, required node
 * affinity and tolerations, plus those the DaemonSet controller adds) that is Ready and not
 * cordoned. Nodes its labels exclude (e.g. Windows nodes under `kubernetes.io/os: linux`) are by
 * design; nodes excluded only by a taint are named in a warning, since that may be an oversight.
 */
function daemonSetCoverage(ds: DaemonSet, pods: readonly Pod[], opts: AssessOptions): Placement {
  if (!opts.nodes) return { verdict: { status: 'Unknown', message: 'nodes could not be listed, so node coverage is unknown' }, warnings: [] };
  const spec = ds.spec.template.spec;
  const withReadyPod = new Set(pods.filter(isReady).map((p) => p.spec.nodeName));
  const uncovered: string[] = [];
  const tainted: string[] = [];
  for (const node of opts.nodes) {
    if (nodeUnavailable(node) || labelBlocker(spec, node)) continue;
    const where = `${node.metadata.name} (${nodeArch(node) ?? '?'})`;
    const taint = taintBlocker(spec, node, DAEMONSET_DEFAULT_TOLERATIONS);
    if (taint) tainted.push(`${where}: ${taint}`);
    else if (!withReadyPod.has(node.metadata.name)) uncovered.push(where);
  }
  const warnings = tainted.length > 0 ? [`not on ${tainted.length} Ready node(s) whose taints it does not tolerate: ${listed(tainted)}`] : [];
  // The DaemonSet controller places a pod on such a node by itself (e.g. one that just joined).
  const verdict = uncovered.length > 0 ? inProgress(`no ready daemon pod yet on ${uncovered.length} node(s) it admits: ${listed(uncovered)}`) : undefined;
  return { verdict, warnings };
}

function listed(items: readonly string[]): string {
  return `${items.slice(0, 5).join('; ')}${items.length > 5 ? '; …' : ''}`;
}
