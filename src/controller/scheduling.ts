/**
 * The scheduler's hard placement rules, enough to say WHY a pod cannot go to a node: label
 * selectors, nodeSelector, required node affinity, NoSchedule/NoExecute taints, cordoned and
 * NotReady nodes; and how a pod template spreads over architectures.
 */
import {
  ARCH_LABEL,
  condition,
  nodeArch,
  type LabelSelector,
  type Node,
  type NodeSelectorRequirement,
  type PodSpec,
  type PodTemplate,
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

/** Why `node`'s labels keep `spec` off it (nodeSelector, required node affinity), if they do. */
export function labelBlocker(spec: PodSpec, node: Node): string | undefined {
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
  return undefined;
}

/** Why `node`'s taints keep `spec` off it, if they do (PreferNoSchedule never does). */
export function taintBlocker(spec: PodSpec, node: Node, extraTolerations: readonly Toleration[] = []): string | undefined {
  const tolerations = [...(spec.tolerations ?? []), ...extraTolerations];
  const blocking = (node.spec?.taints ?? []).find((t) => t.effect !== 'PreferNoSchedule' && !tolerates(tolerations, t));
  return blocking && `untolerated taint ${formatTaint(blocking)}`;
}

/**
 * Why `spec` cannot be placed on `node`, or undefined if nothing in the hard rules blocks it.
 * Resource fit is not judged here: capacity changes, taints and labels are configuration.
 */
export function placementBlocker(spec: PodSpec, node: Node, extraTolerations: readonly Toleration[] = []): string | undefined {
  return labelBlocker(spec, node) ?? taintBlocker(spec, node, extraTolerations);
}

function describeTerms(terms: { matchExpressions?: NodeSelectorRequirement[] }[]): string {
  return terms
    .map((t) => (t.matchExpressions ?? []).map((r) => `${r.key} ${r.operator}${r.values ? ` ${r.values.join(',')}` : ''}`).join(' && '))
    .join(' || ');
}

/** Why `node` takes no new pods (cordoned, or not Ready), if it does not. */
export function nodeUnavailable(node: Node): string | undefined {
  if (node.spec?.unschedulable) return 'node is cordoned';
  if (condition(node.status?.conditions, 'Ready')?.status !== 'True') return 'node is not Ready';
  return undefined;
}

/** A Ready, uncordoned node whose labels and taints admit `spec`: a place its pods can run now. */
export function canHost(spec: PodSpec, node: Node, extraTolerations: readonly Toleration[] = []): boolean {
  return !nodeUnavailable(node) && !placementBlocker(spec, node, extraTolerations);
}

/** How a pod template spreads its own pods over node architectures. */
export interface ArchSpread {
  /** The scheduler refuses to break it (DoNotSchedule, required anti-affinity) rather than only preferring it. */
  required: boolean;
  /** Most pods one architecture may have beyond the least-used one (1 for anti-affinity: one pod per architecture). */
  maxSkew: number;
}

/**
 * The template's spread over `kubernetes.io/arch`: topology spread constraints or pod
 * anti-affinity on that key whose selector matches the template's own pods (a selector for other
 * pods spreads nothing of this workload). The strictest required rule wins over preferred ones;
 * undefined when the template does not spread over architectures.
 */
export function archSpread(template: PodTemplate): ArchSpread | undefined {
  const spreadsOwnPods = (t: { topologyKey: string; labelSelector?: LabelSelector }) =>
    t.topologyKey === ARCH_LABEL && t.labelSelector !== undefined && matchesLabelSelector(t.labelSelector, template.metadata?.labels);
  const anti = template.spec.affinity?.podAntiAffinity;
  const rules: ArchSpread[] = [
    ...(template.spec.topologySpreadConstraints ?? []).filter(spreadsOwnPods)
      .map((c) => ({ required: c.whenUnsatisfiable === 'DoNotSchedule', maxSkew: c.maxSkew })),
    ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).filter(spreadsOwnPods).map(() => ({ required: true, maxSkew: 1 })),
    ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.podAffinityTerm).filter(spreadsOwnPods)
      .map(() => ({ required: false, maxSkew: 1 })),
  ];
  const required = rules.filter((r) => r.required);
  const binding = required.length > 0 ? required : rules;
  if (binding.length === 0) return undefined;
  return { required: required.length > 0, maxSkew: Math.min(...binding.map((r) => r.maxSkew)) };
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
    const blocker = nodeUnavailable(node) ?? placementBlocker(spec, node);
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
