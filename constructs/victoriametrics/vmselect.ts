import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s.ts';
import { IMAGES } from '../../src/model/images.ts';
import { emptyDirVolume, httpProbe, serviceHost, type StackContext } from '../common.ts';
import type { Peer } from '../network-policy.ts';
import { container, defaultResources, podSelector, podTemplate, service, serviceAccount, workloadMetadata, type ComponentId, type WorkloadProps } from '../workload.ts';
import { disruptionBudget, spreadOverZones, storageNodes, VM_PORTS, VM_UID, VMSTORAGE_SELECT_PORT } from './common.ts';

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
}

const CACHE_DIR = '/cache';

/** The flags of vmselect (without the user's extra arguments). */
export function vmselectArgs(props: Pick<VmSelectProps, 'namespace' | 'storageReplicas' | 'replicationFactor' | 'dedupInterval'>): string[] {
  return [
    `-storageNode=${storageNodes(props.namespace, props.storageReplicas, VMSTORAGE_SELECT_PORT).join(',')}`,
    `-replicationFactor=${props.replicationFactor ?? 2}`,
    `-dedup.minScrapeInterval=${props.dedupInterval}`,
    // A partial answer would make alerts resolve and dashboards dip: fail instead when too many storage nodes are down.
    '-search.denyPartialResponse',
    `-httpListenAddr=:${VM_PORTS.vmselect}`,
    `-cacheDataPath=${CACHE_DIR}`,
    // The rules and alerts API (`/api/v1/rules`, `/api/v1/alerts`) for Grafana and `o11y check`, answered by vmalert.
    `-vmalert.proxyURL=http://${serviceHost('vmalert', props.namespace)}:${VM_PORTS.vmalert}`,
  ];
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
    const id: ComponentId = { app: 'vmselect', component: 'metrics-query', namespace: props.namespace };
    this.id = id;
    serviceAccount(this, ctx, id);
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides),
      spec: {
        replicas: props.replicas ?? 2,
        selector: podSelector(ctx, id),
        template: spreadOverZones(ctx, id, podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: VM_UID,
          spreadAcrossArchitectures: true,
          containers: [
            container({
              name: 'vmselect',
              image: IMAGES.vmselect,
              args: vmselectArgs(props),
              ports: [{ name: 'http-metrics', containerPort: VM_PORTS.vmselect }],
              resources: props.overrides?.resources ?? defaultResources('vmselect'),
              liveness: httpProbe('/health', 'http-metrics'),
              readiness: httpProbe('/health', 'http-metrics', { periodSeconds: 5 }),
              mounts: [{ name: 'cache', mountPath: CACHE_DIR }],
            }),
          ],
          // Rollup cache and temporary results of large queries: the root filesystem is read-only.
          volumes: [emptyDirVolume('cache', '2Gi')],
        })),
      },
    });
    service(this, ctx, id, [{ name: 'http-metrics', port: VM_PORTS.vmselect, targetPort: 'http-metrics' }]);
    disruptionBudget(this, ctx, id);
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { app: 'vmstorage', namespace: id.namespace }, ports: [VMSTORAGE_SELECT_PORT], why: 'vmselect reads every storage node' },
      { from: self, to: { app: 'vmalert', namespace: id.namespace }, ports: [VM_PORTS.vmalert], why: 'vmselect proxies the rules and alerts API to vmalert' },
      ...(props.remoteReaders ?? []).map((from) => ({ from, to: self, ports: [VM_PORTS.vmselect], why: 'queries from a Grafana in another cluster, through the user\'s ingress' })),
    );
  }
}
