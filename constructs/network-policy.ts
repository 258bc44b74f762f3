import type { PortRef } from '../src/model/network.ts';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { clusterFromManifests, DISCOVERED_KINDS, scrapeTargets, type Manifest } from '../src/scrape/targets.ts';
import * as k8s from '../imports/k8s.ts';
import type { NetworkPolicyConfig } from '../src/model/types.ts';
import { selectorLabels, type StackContext } from './common.ts';
import type { EgressAllowance } from '../src/model/platforms/profile.ts';
import { componentMetadata, type ComponentId } from './workload.ts';

/** One end of a flow. */
export type Peer =
  /** Pods of a stack component. */
  | { readonly app: string; readonly namespace: string }
  /** Any pod in any namespace: applications sending OTLP. */
  | { readonly anyPod: true }
  /** Every pod of one namespace: the ingress controller or gateway in front of an exposed component. */
  | { readonly namespacePods: string }
  /** The Kubernetes API server (the `kubernetes` Service's endpoints, outside the pod network). */
  | { readonly apiServer: true }
  /** Kubelets, on the nodes' addresses. */
  | { readonly nodes: true }
  /** Addresses outside the cluster: webhooks, object storage, other clusters, load balancers. */
  | { readonly internet: true }
  /** A fixed address block (a platform's metadata or DNS cache endpoint). */
  | { readonly cidr: string };

/** A connection the stack needs: declared once, it yields the rules at both of its ends. */
export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  /** Ports on `to` (numbers are TCP); empty means every port. */
  readonly ports: readonly (number | PortRef)[];
  /** Why the flow exists, for readers of the table (`o11y graph`, docs, test failures). */
  readonly why: string;
}

/** Ports the API server listens on: 443 behind the `kubernetes` Service, 6443 on managed control planes. */
export const API_SERVER_PORTS = [443, 6443];
export const KUBELET_PORT = 10250;
export const DNS_PORTS: readonly PortRef[] = [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }];

/** The TCP port an http(s) URL connects to. */
export function urlPort(url: string): number {
  const u = new URL(url);
  return Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
}

/**
 * Who may query a backend cluster's Prometheus, Loki and Tempo: Grafana when it runs in this
 * cluster (it declares that flow itself); with `query` URLs (a Grafana in another cluster), any
 * pod, because the user's ingress controller (which authenticates those requests) can live in any
 * namespace.
 */
export function remoteQueryPeers(ctx: StackContext): Peer[] {
  return ctx.cluster.query ? [{ anyPod: true }] : [];
}

const isComponent = (p: Peer): p is { app: string; namespace: string } => 'app' in p;
const key = (p: { app: string; namespace: string }) => `${p.namespace}/${p.app}`;

/** `a` and `b` name the same end. */
function samePeer(a: Peer, b: Peer): boolean {
  if (isComponent(a) || isComponent(b)) return isComponent(a) && isComponent(b) && key(a) === key(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The stack's network flows in one cluster, and the NetworkPolicies generated from them. Constructs
 * register the components whose pods they create and declare the flows they need; after every
 * construct is built, {@link FlowTable.generatePolicies} writes one NetworkPolicy per component:
 * ingress from every flow that ends at it, and (with `egress: strict`) egress for every flow that
 * starts at it plus the platform's allowances. Nobody writes a policy rule by hand.
 */
export class FlowTable {
  private readonly list: Flow[] = [];
  private readonly components = new Map<string, { scope: Construct; id: ComponentId; allowances: readonly EgressAllowance[] }>();
  private readonly scrapers: { self: { app: string; namespace: string }; jobs: readonly object[] }[] = [];
  private generated = false;

  constructor(private readonly mode: NetworkPolicyConfig) {}

  /**
   * A component whose pods this cluster runs; its NetworkPolicy is generated into `scope`.
   * `allowances` are the platform endpoints it needs with strict egress (identity, metadata).
   */
  register(scope: Construct, id: ComponentId, allowances: readonly EgressAllowance[] = []): void {
    const k = key(id);
    if (this.components.has(k)) throw new Error(`component ${k} registered twice`);
    this.components.set(k, { scope, id, allowances });
  }

  /** Declares flows; a flow already in the table is not added twice. */
  add(...flows: Flow[]): void {
    for (const f of flows) {
      if (!this.list.some((g) => samePeer(g.from, f.from) && samePeer(g.to, f.to) && JSON.stringify(g.ports) === JSON.stringify(f.ports))) this.list.push(f);
    }
  }

  /**
   * A scraper and its scrape configs. Nobody declares "I am scraped": when the policies are
   * generated, every registered component's pod that a job selects (Kubernetes discovery and the
   * job's relabelling, src/scrape/targets.ts) is let in from the scraper on the port it connects to.
   */
  scrapes(self: { app: string; namespace: string }, jobs: readonly object[]): void {
    this.scrapers.push({ self, jobs });
  }

  /** Every declared flow, in declaration order (the scrape flows are added when the policies are generated). */
  flows(): readonly Flow[] {
    return this.list;
  }

  /** Writes every registered component's NetworkPolicy. Fails on a flow between components this cluster does not run. */
  generatePolicies(ctx: StackContext): void {
    if (this.generated) throw new Error('NetworkPolicies already generated');
    this.generated = true;
    this.add(...this.scrapeFlows());
    for (const f of this.list) {
      for (const end of [f.from, f.to]) {
        if (isComponent(end) && !this.components.has(key(end))) throw new Error(`flow "${f.why}" names ${key(end)}, which this cluster does not run`);
      }
    }
    const strict = this.mode.egress === 'strict';
    for (const { scope, id, allowances } of [...this.components.values()].sort((a, b) => key(a.id).localeCompare(key(b.id)))) {
      const self = { app: id.app, namespace: id.namespace };
      const ingress = this.list.filter((f) => isComponent(f.to) && samePeer(f.to, self));
      const egress = this.list.filter((f) => isComponent(f.from) && samePeer(f.from, self));
      new k8s.KubeNetworkPolicy(scope, `${id.app}-netpol`, {
        metadata: componentMetadata(ctx, id),
        spec: {
          podSelector: { matchLabels: selectorLabels(ctx, id.app) },
          policyTypes: strict ? ['Ingress', 'Egress'] : ['Ingress'],
          ingress: mergeRules(ingress.map((f) => ({ peers: this.policyPeers(ctx, f.from), ports: f.ports }))).map((r) => ({ from: r.peers, ...ports(r.ports) })),
          ...(strict
            ? {
                egress: mergeRules([
                  ...egress.map((f) => ({ peers: this.policyPeers(ctx, f.to), ports: f.ports })),
                  ...allowances.map((a) => ({ peers: [{ ipBlock: { cidr: a.cidr } }], ports: a.ports })),
                ]).map((r) => ({ to: r.peers, ...ports(r.ports) })),
              }
            : {}),
        },
      });
    }
  }

  /** For each scraper, a flow to each registered component it scrapes, on the ports its jobs connect to. */
  private scrapeFlows(): Flow[] {
    const byScope = new Map<Construct, ComponentId>([...this.components.values()].map((c) => [c.scope, c.id]));
    const owners = new Map<string, ComponentId>();
    const manifests: Manifest[] = [];
    const seen = new Set<ApiObject>();
    for (const { scope } of this.components.values()) {
      for (const o of scope.node.findAll()) {
        // Discovery sees pods (from workloads) and Services; the rest (dashboards…) need not be rendered.
        if (!(o instanceof ApiObject) || !DISCOVERED_KINDS.has(o.kind) || seen.has(o)) continue;
        seen.add(o);
        // The nearest registered construct around an object is the component its pods belong to.
        const owner = [...o.node.scopes].reverse().find((s) => byScope.has(s));
        const json = o.toJson() as Manifest;
        owners.set(`${json.metadata.namespace}/${json.kind}/${json.metadata.name}`, byScope.get(owner!)!);
        manifests.push(json);
      }
    }
    const cluster = clusterFromManifests(manifests);
    return this.scrapers.flatMap(({ self, jobs }) => {
      const reached = new Map<string, { to: { app: string; namespace: string }; ports: Set<number>; jobs: Set<string> }>();
      for (const t of jobs.flatMap((j) => scrapeTargets(cluster, j, self.namespace))) {
        // Host-network pods (node-exporter) are on the node addresses, which no NetworkPolicy selects.
        const id = t.pod.hostNetwork || !t.pod.controller ? undefined : owners.get(`${t.pod.namespace}/${t.pod.controller.kind}/${t.pod.controller.name}`);
        if (!id) continue;
        const entry = reached.get(key(id)) ?? { to: { app: id.app, namespace: id.namespace }, ports: new Set<number>(), jobs: new Set<string>() };
        entry.ports.add(t.port);
        entry.jobs.add(t.job);
        reached.set(key(id), entry);
      }
      return [...reached.values()].map((r) => ({ from: self, to: r.to, ports: [...r.ports].sort((a, b) => a - b), why: `${self.app} scrapes it (job ${[...r.jobs].join(', ')})` }));
    });
  }

  private policyPeers(ctx: StackContext, p: Peer): k8s.NetworkPolicyPeer[] {
    if ('cidr' in p) return [{ ipBlock: { cidr: p.cidr } }];
    if ('anyPod' in p) return [{ namespaceSelector: {} }];
    if ('namespacePods' in p) return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespacePods } } }];
    if ('internet' in p) return [{ ipBlock: { cidr: '0.0.0.0/0' } }];
    if ('apiServer' in p) return this.mode.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } }));
    if ('nodes' in p) return this.mode.nodeCidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } },
        podSelector: { matchLabels: selectorLabels(ctx, p.app) },
      },
    ];
  }
}

/** Rules with the same ports become one rule with their peers together (shorter policies, same meaning). */
function mergeRules(rules: { peers: k8s.NetworkPolicyPeer[]; ports: readonly (number | PortRef)[] }[]) {
  const merged: { peers: k8s.NetworkPolicyPeer[]; ports: readonly (number | PortRef)[] }[] = [];
  for (const r of rules) {
    const same = merged.find((m) => JSON.stringify(m.ports) === JSON.stringify(r.ports));
    if (!same) merged.push({ peers: [...r.peers], ports: r.ports });
    else for (const p of r.peers) if (!same.peers.some((q) => JSON.stringify(q) === JSON.stringify(p))) same.peers.push(p);
  }
  return merged;
}

/** An empty list means every port (the NetworkPolicy semantics of an absent `ports`). */
function ports(list: readonly (number | PortRef)[]): { ports?: k8s.NetworkPolicyPort[] } {
  return list.length
    ? { ports: list.map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' } : { port: p.port, protocol: p.protocol ?? 'TCP' })).map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol })) }
    : {};
}
