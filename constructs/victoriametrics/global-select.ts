import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { serviceHost, type StackContext } from '../common.ts';
import type { ComponentId, WorkloadProps } from '../workload.ts';
import { GLOBAL_VMSELECT, SELECT_PATH, VM_PORTS, VMSELECT_CLUSTERNATIVE_PORT } from './common.ts';
import { CACHE_DIR, vmselectDeployment } from './vmselect.ts';

/** A victoriametrics-cluster backend as the global vmselect reads it. */
export type GlobalSelectSource =
  /** The Grafana cluster's own backend: its vmselect Service. */
  | { readonly local: true }
  /** Another cluster's backend: `host:port` of its vmselect's cluster-native port on the user's private network. */
  | { readonly endpoint: string };

export interface GlobalVmSelectProps extends WorkloadProps {
  readonly namespace: string;
  /** @default 2 */
  readonly replicas?: number;
  /** Every victoriametrics-cluster backend, in a stable order. */
  readonly sources: readonly GlobalSelectSource[];
  /** `-dedup.minScrapeInterval`, as on the backends: the scrape interval. */
  readonly dedupInterval: string;
  /** The app that queries it (Grafana). */
  readonly reader: string;
}

/** Where a source's vmselect serves the cluster-native protocol. */
function sourceAddress(source: GlobalSelectSource, namespace: string): string {
  return 'endpoint' in source ? source.endpoint : `${serviceHost('vmselect', namespace)}:${VMSELECT_CLUSTERNATIVE_PORT}`;
}

/** The Prometheus query API of the global vmselect (append `/api/v1/query`). */
export function globalSelectUrl(namespace: string): string {
  return `http://${serviceHost(GLOBAL_VMSELECT, namespace)}:${VM_PORTS.vmselect}${SELECT_PATH}`;
}

/**
 * The flags of the global vmselect. Each backend's vmselect is one of its `-storageNode`s
 * (VictoriaMetrics' multi-level setup): that vmselect already knows its backend's storage nodes and
 * replication factor, so the global one needs one address per backend, not every storage pod's
 * (whose stable names resolve only inside their own cluster), and no `-replicationFactor`: the
 * backends hold disjoint data.
 */
export function globalVmselectArgs(props: Pick<GlobalVmSelectProps, 'namespace' | 'sources' | 'dedupInterval'>): string[] {
  return [
    `-storageNode=${props.sources.map((s) => sourceAddress(s, props.namespace)).join(',')}`,
    `-dedup.minScrapeInterval=${props.dedupInterval}`,
    // One unreachable backend fails the query rather than making totals across clouds silently drop.
    '-search.denyPartialResponse',
    `-httpListenAddr=:${VM_PORTS.vmselect}`,
    `-cacheDataPath=${CACHE_DIR}`,
  ];
}

/** The global vmselect (`components.victoriametrics.globalSelect`): one query API over every victoriametrics-cluster backend. */
export class GlobalVmSelect extends Construct {
  readonly id: ComponentId;
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: GlobalVmSelectProps) {
    super(scope, name);
    const id = { app: GLOBAL_VMSELECT, component: 'metrics-query', namespace: props.namespace } as const satisfies ComponentId;
    this.id = id;
    this.workload = vmselectDeployment(this, ctx, id, { args: globalVmselectArgs(props), replicas: props.replicas, overrides: props.overrides });
    const self = { app: id.app, namespace: id.namespace };
    const remotePorts = [...new Set(props.sources.flatMap((s) => ('endpoint' in s ? [Number(s.endpoint.split(':').at(-1))] : [])))];
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: { app: props.reader, namespace: id.namespace }, to: self, ports: [VM_PORTS.vmselect], why: `${props.reader} queries every cloud's metrics through the global vmselect` },
      ...(props.sources.some((s) => 'local' in s)
        ? [{ from: self, to: { app: 'vmselect', namespace: id.namespace }, ports: [VMSELECT_CLUSTERNATIVE_PORT], why: 'the global vmselect reads this cluster\'s backend through its vmselect' }]
        : []),
      ...remotePorts.map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'the global vmselect reads the backends of other clusters, over the user\'s private network' })),
    );
  }
}
