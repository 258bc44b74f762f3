/**
 * Variations of the fixture objects (test/fixtures/k8s/objects.ts) that the controller tests need:
 * pods the kubelet has started, NotReady and relabelled nodes, and pod templates with a spread
 * over architectures as constructs/common.ts `archScheduling` synthesizes it.
 */
import type { ContainerStatus, Deployment, Node, Pod, PodSpec, StatefulSet, Workload } from '../src/controller/k8s-types.ts';

/** `p` as the kubelet reports it once it took the pod at `startTime`. */
export function started(p: Pod, startTime: string, initContainerStatuses?: ContainerStatus[]): Pod {
  return { ...p, status: { ...p.status, startTime, initContainerStatuses } };
}

export function notReady(n: Node): Node {
  return { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } };
}

export function withLabels(n: Node, labels: Record<string, string>): Node {
  return { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, ...labels } } };
}

/** `w` with its pod template's spec changed. */
export function template<W extends Workload>(w: W, spec: Partial<PodSpec>): W {
  return { ...w, spec: { ...w.spec, template: { ...w.spec.template, spec: { ...w.spec.template.spec, ...spec } } } };
}

/** The selector of the fixtures' pods of `app`. */
export const ownPods = (app: string) => ({ matchLabels: { 'app.kubernetes.io/name': app } });

/** The spread `archScheduling` synthesizes: `required` → DoNotSchedule, `preferred` → ScheduleAnyway. */
export function spread<W extends Deployment | StatefulSet>(w: W, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway', maxSkew = 1): W {
  return template(w, { topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/arch', maxSkew, whenUnsatisfiable, labelSelector: ownPods(w.metadata.name) }] });
}

/** A DaemonSet or other workload kept off Windows nodes, as a Linux-only image must be. */
export function linuxOnly<W extends Workload>(w: W): W {
  return template(w, { nodeSelector: { 'kubernetes.io/os': 'linux' } });
}
