import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import * as k8s from '../../imports/k8s.ts';
import { parseDuration } from '../../src/duration.ts';
import { GLOBAL_VMSELECT } from '../../src/model/types.ts';
import { httpProbe, selectorLabels, serviceHost, type StackContext } from '../common.ts';
import {
  componentMetadata,
  container,
  defaultResources,
  podSelector,
  podTemplate,
  service,
  serviceAccount,
  workloadMetadata,
  type ComponentId,
  type WorkloadOverrides,
} from '../workload.ts';

/** The HTTP ports the VictoriaMetrics components listen on by default (their docs' and dashboards' ports). */
export const VM_PORTS = { vminsert: 8480, vmselect: 8481, vmstorage: 8482, vmagent: 8429, vmalert: 8880 } as const;
/** vmstorage's RPC ports: vminsert writes to the first, vmselect reads from the second. */
export const VMSTORAGE_INSERT_PORT = 8400;
export const VMSTORAGE_SELECT_PORT = 8401;
/** vmselect's cluster-native port, where a global vmselect reads it as if it were a storage node: vmstorage's, as VictoriaMetrics advises. */
export const VMSELECT_CLUSTERNATIVE_PORT = VMSTORAGE_SELECT_PORT;
/** Non-root user of every VictoriaMetrics pod (the images are static binaries and default to root). */
export const VM_UID = 65534;
/** The tenant the stack writes and reads: VictoriaMetrics cluster's URLs carry an account id. */
const TENANT = 0;

/** vminsert's URL prefix for a protocol (`prometheus`, `opentelemetry`). */
export function insertUrl(namespace: string, protocol: 'prometheus' | 'opentelemetry'): string {
  return `http://${serviceHost('vminsert', namespace)}:${VM_PORTS.vminsert}/insert/${TENANT}/${protocol}`;
}

/** vmselect's Prometheus-compatible query API prefix (append `/api/v1/query`): what Grafana and vmalert read. */
export function selectUrl(namespace: string): string {
  return `http://${serviceHost('vmselect', namespace)}:${VM_PORTS.vmselect}/select/${TENANT}/prometheus`;
}

/** The URL path of {@link selectUrl}, for clients given a host and port. */
export const SELECT_PATH = `/select/${TENANT}/prometheus`;

/**
 * `-retentionPeriod` from a Prometheus duration: whole days where exact, else hours. VictoriaMetrics
 * reads a bare number as months and `m` as nothing it accepts, so the config's syntax cannot pass through.
 */
export function retentionPeriod(retention: string): string {
  const seconds = parseDuration(retention);
  if (seconds === undefined) throw new Error(`not a duration: ${retention}`);
  if (seconds < 86400) throw new Error(`VictoriaMetrics keeps data at least 24h; retention ${retention} is shorter`);
  return seconds % 86400 === 0 ? `${seconds / 86400}d` : `${Math.ceil(seconds / 3600)}h`;
}

/**
 * A pod template spread over zones and nodes besides the architecture spread: a replicated
 * component survives losing a zone only if its replicas do not share one.
 */
export function spreadOverZones(ctx: StackContext, id: ComponentId, template: k8s.PodTemplateSpec): k8s.PodTemplateSpec {
  const labelSelector = { matchLabels: selectorLabels(ctx, id.app) };
  const spread = (topologyKey: string): k8s.TopologySpreadConstraint => ({ topologyKey, maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector });
  const spec = template.spec!;
  return {
    ...template,
    spec: { ...spec, topologySpreadConstraints: [...(spec.topologySpreadConstraints ?? []), spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')] },
  };
}

/** At most one pod of the component down for voluntary disruptions (drains, upgrades). */
export function disruptionBudget(scope: Construct, ctx: StackContext, id: ComponentId): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, `${id.app}-pdb`, {
    metadata: componentMetadata(ctx, id),
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: podSelector(ctx, id) },
  });
}

/** `host:port` of every vmstorage pod, through its headless Service. */
export function storageNodes(namespace: string, replicas: number, port: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `vmstorage-${i}.${serviceHost('vmstorage-headless', namespace)}:${port}`);
}

/** What differs between the stateless VictoriaMetrics components' Deployments. */
export interface VmDeploymentOptions {
  readonly image: string;
  readonly args: string[];
  /** @default 2 */
  readonly replicas?: number;
  readonly overrides?: WorkloadOverrides;
  /** Whether the pod reads the Kubernetes API (vmagent's service discovery). @default false */
  readonly usesKubernetesApi?: boolean;
  readonly mounts?: k8s.VolumeMount[];
  readonly volumes?: k8s.Volume[];
  /** Ports besides `http-metrics`, on the container and the Service. @default none */
  readonly extraPorts?: readonly { readonly name: string; readonly port: number }[];
}

/** The global vmselect of the Grafana cluster: a vmselect (its port) under its own name. */
export { GLOBAL_VMSELECT };
type VmApp = 'vminsert' | 'vmselect' | 'vmagent' | 'vmalert' | typeof GLOBAL_VMSELECT;

/**
 * A stateless VictoriaMetrics component (vminsert, vmselect, vmagent, vmalert): its ServiceAccount,
 * a Deployment of non-root replicas spread over zones and architectures with `/health` probes on
 * `http-metrics`, its Service and its PodDisruptionBudget. Returns the Deployment.
 */
export function vmDeployment(scope: Construct, ctx: StackContext, id: ComponentId & { readonly app: VmApp }, o: VmDeploymentOptions): ApiObject {
  const kind = id.app === GLOBAL_VMSELECT ? 'vmselect' : id.app;
  const extraPorts = o.extraPorts ?? [];
  serviceAccount(scope, ctx, id);
  const deployment = new k8s.KubeDeployment(scope, 'deployment', {
    metadata: workloadMetadata(ctx, id, o.overrides),
    spec: {
      replicas: o.replicas ?? 2,
      selector: podSelector(ctx, id),
      template: spreadOverZones(ctx, id, podTemplate(ctx, id, {
        overrides: o.overrides,
        serviceAccountName: id.app,
        usesKubernetesApi: o.usesKubernetesApi ?? false,
        uid: VM_UID,
        spreadAcrossArchitectures: true,
        containers: [
          container({
            name: id.app,
            image: o.image,
            args: o.args,
            ports: [{ name: 'http-metrics', containerPort: VM_PORTS[kind] }, ...extraPorts.map((p) => ({ name: p.name, containerPort: p.port }))],
            resources: o.overrides?.resources ?? defaultResources(kind),
            liveness: httpProbe('/health', 'http-metrics'),
            readiness: httpProbe('/health', 'http-metrics', { periodSeconds: 5 }),
            mounts: o.mounts,
          }),
        ],
        volumes: o.volumes,
      })),
    },
  });
  service(scope, ctx, id, [{ name: 'http-metrics', port: VM_PORTS[kind], targetPort: 'http-metrics' }, ...extraPorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.name }))]);
  disruptionBudget(scope, ctx, id);
  return deployment;
}
