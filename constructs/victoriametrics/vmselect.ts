import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGES } from '../../src/model/images.ts';
import { VM_REPLICATION_FACTOR } from '../../src/model/types.ts';
import { emptyDirVolume, serviceHost, type StackContext } from '../common.ts';
import type { Peer } from '../network-policy.ts';
import type { ComponentId, WorkloadProps } from '../workload.ts';
import { GLOBAL_VMSELECT, storageNodes, vmDeployment, VM_PORTS, VMSELECT_CLUSTERNATIVE_PORT, VMSTORAGE_SELECT_PORT, type VmDeploymentOptions } from './common.ts';

export interface VmSelectProps extends WorkloadProps {
  readonly namespace: string;
  /** @default 2 */
  readonly replicas?: number;
  readonly storageReplicas: number;
  /**
   * vminsert's replication factor: with it, vmselect answers in full while up to
   * `replicationFactor - 1` storage nodes are down, and drops the replicated copies. @default 2
   */
  readonly replicationFactor?: number;
  /** `-dedup.minScrapeInterval`, as on vmstorage: the scrape interval. */
  readonly dedupInterval: string;
  /** Who queries it from outside the stack (a remote Grafana through the user's ingress). @default none */
  readonly remoteReaders?: readonly Peer[];
  /**
   * Serve the cluster-native port to a global vmselect: `[]` when it runs in this cluster (it
   * declares that flow), the peers it arrives from when it reads across clusters. @default not served
   */
  readonly clusternativeReaders?: readonly Peer[];
}

/** In-pod path of vmselect's cache (`-cacheDataPath`). */
export const CACHE_DIR = '/cache';

/** The flags of vmselect (without the user's extra arguments). */
export function vmselectArgs(props: Pick<VmSelectProps, 'namespace' | 'storageReplicas' | 'replicationFactor' | 'dedupInterval' | 'clusternativeReaders'>): string[] {
  return [
    `-storageNode=${storageNodes(props.namespace, props.storageReplicas, VMSTORAGE_SELECT_PORT).join(',')}`,
    `-replicationFactor=${props.replicationFactor ?? VM_REPLICATION_FACTOR}`,
    `-dedup.minScrapeInterval=${props.dedupInterval}`,
    // A partial answer would make alerts resolve and dashboards dip: fail instead when too many storage nodes are down.
    '-search.denyPartialResponse',
    `-httpListenAddr=:${VM_PORTS.vmselect}`,
    `-cacheDataPath=${CACHE_DIR}`,
    // The rules and alerts API (`/api/v1/rules`, `/api/v1/alerts`) for Grafana and `o11y check`, answered by vmalert.
    `-vmalert.proxyURL=http://${serviceHost('vmalert', props.namespace)}:${VM_PORTS.vmalert}`,
    ...(props.clusternativeReaders ? [`-clusternativeListenAddr=:${VMSELECT_CLUSTERNATIVE_PORT}`] : []),
  ];
}

/** A vmselect Deployment (a backend's, or the global one) with its cache volume. */
export function vmselectDeployment(scope: Construct, ctx: StackContext, id: ComponentId & { readonly app: 'vmselect' | typeof GLOBAL_VMSELECT }, o: Pick<VmDeploymentOptions, 'args' | 'replicas' | 'overrides' | 'extraPorts'>): ApiObject {
  return vmDeployment(scope, ctx, id, {
    ...o,
    image: IMAGES.vmselect,
    mounts: [{ name: 'cache', mountPath: CACHE_DIR }],
    // Rollup cache and temporary results of large queries: the root filesystem is read-only.
    volumes: [emptyDirVolume('cache', '2Gi')],
  });
}

/**
 * vmselect: stateless, it answers the Prometheus query API (`/select/0/prometheus/api/v1/...`)
 * from every storage node, merging and deduplicating the copies.
 */
export class VmSelect extends Construct {
  readonly id: ComponentId;
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VmSelectProps) {
    super(scope, name);
    const id = { app: 'vmselect', component: 'metrics-query', namespace: props.namespace } as const satisfies ComponentId;
    this.id = id;
    this.workload = vmselectDeployment(this, ctx, id, {
      args: vmselectArgs(props),
      replicas: props.replicas,
      overrides: props.overrides,
      extraPorts: props.clusternativeReaders ? [{ name: 'clusternative', port: VMSELECT_CLUSTERNATIVE_PORT }] : [],
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { app: 'vmstorage', namespace: id.namespace }, ports: [VMSTORAGE_SELECT_PORT], why: 'vmselect reads every storage node' },
      { from: self, to: { app: 'vmalert', namespace: id.namespace }, ports: [VM_PORTS.vmalert], why: 'vmselect proxies the rules and alerts API to vmalert' },
      ...(props.remoteReaders ?? []).map((from) => ({ from, to: self, ports: [VM_PORTS.vmselect], why: 'queries from a Grafana in another cluster, through the user\'s ingress' })),
      ...(props.clusternativeReaders ?? []).map((from) => ({ from, to: self, ports: [VMSELECT_CLUSTERNATIVE_PORT], why: 'the global vmselect of the Grafana cluster reads this backend, over the user\'s private network' })),
    );
  }
}
