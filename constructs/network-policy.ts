import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { selectorLabels, type StackContext } from './common.ts';
import { componentMetadata, type ComponentId } from './workload.ts';

/** Who may talk to (or be talked to by) a component. */
export type Peer =
  /** Pods of another stack component. */
  | { readonly app: string; readonly namespace: string }
  /** Any pod in any namespace (e.g. applications sending OTLP). */
  | { readonly anyPod: true }
  /** Addresses outside the pod network: kubelets, the API server, cloud endpoints. */
  | { readonly cidr: string };

export interface Flow {
  readonly peers: readonly Peer[];
  /** TCP ports; empty for all ports. */
  readonly ports: readonly number[];
}

/** Everything outside the pod network; used with narrow ports only. */
export const ANYWHERE = { cidr: '0.0.0.0/0' } as const;
/** Ports the API server listens on: 443 behind the `kubernetes` Service, 6443 on managed control planes. */
export const API_SERVER_PORTS = [443, 6443];
export const KUBELET_PORT = 10250;

/** The TCP port an http(s) URL connects to, for egress rules. */
export function urlPort(url: string): number {
  const u = new URL(url);
  return Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
}

/**
 * Who may query a backend cluster's Prometheus, Loki and Tempo: Grafana when it runs in this
 * cluster; with `query` URLs (a Grafana in another cluster), any pod, because the user's ingress
 * controller (which authenticates those requests) can live in any namespace.
 */
export function queryPeers(ctx: StackContext): Peer[] {
  const ns = ctx.config.namespace;
  return [
    ...(ctx.topology.rolesOf(ctx.cluster).has('grafana') ? [{ app: 'grafana', namespace: ns }] : []),
    ...(ctx.cluster.query ? [{ anyPod: true } as const] : []),
  ];
}

function peer(ctx: StackContext, p: Peer): k8s.NetworkPolicyPeer {
  if ('cidr' in p) return { ipBlock: { cidr: p.cidr } };
  if ('anyPod' in p) return { namespaceSelector: {} };
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } },
    podSelector: { matchLabels: selectorLabels(ctx, p.app) },
  };
}

/** An empty list means every port (the NetworkPolicy semantics of an absent `ports`). */
function ports(list: readonly number[]): { ports?: k8s.NetworkPolicyPort[] } {
  return list.length ? { ports: list.map((port) => ({ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' })) } : {};
}

/** Allows exactly the listed flows to and from a component's pods, on top of the namespace's default deny. */
export function allowFlows(scope: Construct, ctx: StackContext, id: ComponentId, flows: { ingress: readonly Flow[]; egress: readonly Flow[] }): k8s.KubeNetworkPolicy {
  return new k8s.KubeNetworkPolicy(scope, `${id.app}-netpol`, {
    metadata: componentMetadata(ctx, id),
    spec: {
      podSelector: { matchLabels: selectorLabels(ctx, id.app) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: flows.ingress.map((f) => ({ from: f.peers.map((p) => peer(ctx, p)), ...ports(f.ports) })),
      egress: flows.egress.map((f) => ({ to: f.peers.map((p) => peer(ctx, p)), ...ports(f.ports) })),
    },
  });
}
