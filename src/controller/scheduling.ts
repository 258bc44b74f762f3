/**
 * The scheduler's hard placement rules, enough to say WHY a pod cannot go to a node: label
 * selectors, nodeSelector, required node affinity and NoSchedule/NoExecute taints.
 */
import {
  nodeArch,
  type LabelSelector,
  type Node,
  type NodeSelectorRequirement,
  type PodSpec,
  type Taint,
  type Toleration,
} from './k8s-types.ts';

export function matchesLabelSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
    }
    return false;
  });
}

function matchesNodeRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(values[0]);
  }
  return false;
}

/** The DaemonSet controller adds these tolerations to every daemon pod. */
export const DAEMONSET_DEFAULT_TOLERATIONS: readonly Toleration[] = [
  'node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable',
].map((key) => ({ key, operator: 'Exists' as const }));

export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/**
 * Why `spec` cannot be placed on `node`, or undefined if nothing in the hard rules blocks it.
 * Resource fit is not judged here: capacity changes, taints and labels are configuration.
 */
export function placementBlocker(spec: PodSpec, node: Node, extraTolerations: readonly Toleration[] = []): string | undefined {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return `nodeSelector ${k}=${v} does not match (node has ${labels[k] ?? 'no such label'})`;
  }
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    const fits = terms.some((term) =>
      (term.matchExpressions ?? []).every((r) => matchesNodeRequirement(r, labels[r.key]))
      && (term.matchFields ?? []).every((r) => matchesNodeRequirement(r, r.key === 'metadata.name' ? node.metadata.name : undefined)));
    if (!fits) return `required node affinity does not match (${describeTerms(terms)})`;
  }
  const tolerations = [...(spec.tolerations ?? []), ...extraTolerations];
  const blocking = (node.spec?.taints ?? []).find((t) => t.effect !== 'PreferNoSchedule' && !tolerates(tolerations, t));
  if (blocking) return `untolerated taint ${formatTaint(blocking)}`;
  return undefined;
}

function describeTerms(terms: { matchExpressions?: NodeSelectorRequirement[] }[]): string {
  return terms
    .map((t) => (t.matchExpressions ?? []).map((r) => `${r.key} ${r.operator}${r.values ? ` ${r.values.join(',')}` : ''}`).join(' && '))
    .join(' || ');
}

/** Cordoned nodes take no new pods; they do not count as places a workload must cover. */
export function isSchedulable(node: Node): boolean {
  return !node.spec?.unschedulable;
}

/**
 * Explains an Unschedulable pod from its spec and the cluster's nodes: each distinct blocker with
 * the nodes (and their arch) it applies to. `blockedEverywhere` means no node passes the hard
 * rules, so waiting will not help.
 */
export function explainUnschedulable(spec: PodSpec, nodes: readonly Node[]): { blockedEverywhere: boolean; reasons: string[] } {
  const byBlocker = new Map<string, string[]>();
  let open = 0;
  for (const node of nodes) {
    const blocker = !isSchedulable(node) ? 'node is cordoned' : placementBlocker(spec, node);
    if (!blocker) {
      open++;
      continue;
    }
    const list = byBlocker.get(blocker) ?? [];
    list.push(`${node.metadata.name} (${nodeArch(node) ?? 'unknown arch'})`);
    byBlocker.set(blocker, list);
  }
  const reasons = [...byBlocker].map(([blocker, names]) =>
    `${blocker} on ${names.length} node(s): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`);
  return { blockedEverywhere: nodes.length > 0 && open === 0, reasons };
}
