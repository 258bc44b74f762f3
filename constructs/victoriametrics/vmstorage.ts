import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGES } from '../../src/model/images.ts';
import { dataVolumeClaim, httpProbe, StatefulSet, type StackContext } from '../common.ts';
import { container, defaultResources, podSelector, podTemplate, service, serviceAccount, workloadMetadata, type ComponentId, type WorkloadProps } from '../workload.ts';
import { disruptionBudget, retentionPeriod, spreadOverZones, VM_PORTS, VM_UID, VMSTORAGE_INSERT_PORT, VMSTORAGE_SELECT_PORT } from './common.ts';

const DATA_DIR = '/storage';

export interface VmStorageProps extends WorkloadProps {
  readonly namespace: string;
  /** Storage nodes; vminsert and vmselect list each by its stable name. @default 2 */
  readonly replicas?: number;
  /** How long samples are kept, a Prometheus duration of at least 1d. */
  readonly retention: string;
  /** PVC size per storage node. */
  readonly storage: string;
  /**
   * `-dedup.minScrapeInterval`: one sample per series and interval is kept, which removes the
   * replicated copies and the HA scrapers' twins. The scrape interval.
   */
  readonly dedupInterval: string;
}

/** The flags of a storage node (without the user's extra arguments). */
export function vmstorageArgs(props: Pick<VmStorageProps, 'retention' | 'dedupInterval'>): string[] {
  return [
    `-storageDataPath=${DATA_DIR}`,
    `-retentionPeriod=${retentionPeriod(props.retention)}`,
    `-dedup.minScrapeInterval=${props.dedupInterval}`,
    `-httpListenAddr=:${VM_PORTS.vmstorage}`,
    `-vminsertAddr=:${VMSTORAGE_INSERT_PORT}`,
    `-vmselectAddr=:${VMSTORAGE_SELECT_PORT}`,
  ];
}

/**
 * vmstorage: a StatefulSet with a PVC per node and a headless Service that gives each node the
 * stable name vminsert and vmselect address it by. Nodes know nothing of each other; replication
 * is vminsert's job, and a lost node's copies are read from the others.
 */
export class VmStorage extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`). */
  readonly workload: ApiObject;
  readonly replicas: number;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VmStorageProps) {
    super(scope, name);
    const id: ComponentId = { app: 'vmstorage', component: 'metrics-storage', namespace: props.namespace };
    this.id = id;
    this.replicas = props.replicas ?? 2;
    serviceAccount(this, ctx, id);
    this.workload = new StatefulSet(this, 'statefulset', {
      metadata: workloadMetadata(ctx, id, props.overrides),
      spec: {
        replicas: this.replicas,
        serviceName: `${id.app}-headless`,
        // Nodes do not depend on each other: start and replace them together.
        podManagementPolicy: 'Parallel',
        selector: podSelector(ctx, id),
        template: spreadOverZones(ctx, id, podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: VM_UID,
          spreadAcrossArchitectures: true,
          // vmstorage flushes its in-memory parts on SIGTERM.
          terminationGracePeriodSeconds: 120,
          containers: [
            container({
              name: 'vmstorage',
              image: IMAGES.vmstorage,
              args: vmstorageArgs(props),
              ports: [
                { name: 'http-metrics', containerPort: VM_PORTS.vmstorage },
                { name: 'vminsert', containerPort: VMSTORAGE_INSERT_PORT },
                { name: 'vmselect', containerPort: VMSTORAGE_SELECT_PORT },
              ],
              resources: props.overrides?.resources ?? defaultResources('vmstorage'),
              liveness: httpProbe('/health', 'http-metrics', { initialDelaySeconds: 30 }),
              readiness: httpProbe('/health', 'http-metrics', { periodSeconds: 5 }),
              mounts: [{ name: 'data', mountPath: DATA_DIR }],
            }),
          ],
        })),
        volumeClaimTemplates: [dataVolumeClaim(ctx, id.app, id.component, props.storage)],
      },
    });
    const ports = [
      { name: 'http-metrics', port: VM_PORTS.vmstorage, targetPort: 'http-metrics' },
      { name: 'vminsert', port: VMSTORAGE_INSERT_PORT, targetPort: 'vminsert' },
      { name: 'vmselect', port: VMSTORAGE_SELECT_PORT, targetPort: 'vmselect' },
    ];
    service(this, ctx, id, ports, { name: `${id.app}-headless`, headless: true });
    disruptionBudget(this, ctx, id);
    ctx.flows.register(this, id);
  }
}
