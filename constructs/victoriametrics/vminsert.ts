import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s.ts';
import { IMAGES } from '../../src/model/images.ts';
import { httpProbe, type StackContext } from '../common.ts';
import { container, defaultResources, podSelector, podTemplate, service, serviceAccount, workloadMetadata, type ComponentId, type WorkloadProps } from '../workload.ts';
import { disruptionBudget, spreadOverZones, storageNodes, VM_PORTS, VM_UID, VMSTORAGE_INSERT_PORT } from './common.ts';

export interface VmInsertProps extends WorkloadProps {
  readonly namespace: string;
  /** @default 2 */
  readonly replicas?: number;
  /** vmstorage replicas, each addressed by its stable name. */
  readonly storageReplicas: number;
  /** Copies of every sample, on distinct storage nodes. @default 2 */
  readonly replicationFactor?: number;
  /** OTLP resource attributes kept as labels (as Prometheus' `otlp.promote_resource_attributes`). @default none */
  readonly promoteResourceAttributes?: readonly string[];
}

/** The flags of vminsert (without the user's extra arguments). */
export function vminsertArgs(props: Pick<VmInsertProps, 'namespace' | 'storageReplicas' | 'replicationFactor' | 'promoteResourceAttributes'>): string[] {
  const attributes = props.promoteResourceAttributes ?? [];
  return [
    `-storageNode=${storageNodes(props.namespace, props.storageReplicas, VMSTORAGE_INSERT_PORT).join(',')}`,
    `-replicationFactor=${props.replicationFactor ?? 2}`,
    `-httpListenAddr=:${VM_PORTS.vminsert}`,
    // Metric names as Prometheus 3 writes OTLP metrics (`_total`, unit suffixes): the dashboards and rules read those.
    '-opentelemetry.usePrometheusNaming',
    // Only the listed attributes: 1.150 promotes all by default, and refuses to start with both set.
    ...(attributes.length ? ['-opentelemetry.promoteAllResourceAttributes=false', `-opentelemetry.promoteResourceAttributes=${attributes.join(',')}`] : []),
  ];
}

/**
 * vminsert: stateless, it accepts Prometheus remote write and OTLP and writes each sample to
 * `replicationFactor` distinct storage nodes (consistent hashing of the series; a node that is
 * down is skipped, and its series go to the next ones).
 */
export class VmInsert extends Construct {
  readonly id: ComponentId;
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VmInsertProps) {
    super(scope, name);
    const id: ComponentId = { app: 'vminsert', component: 'metrics-ingest', namespace: props.namespace };
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
              name: 'vminsert',
              image: IMAGES.vminsert,
              args: vminsertArgs(props),
              ports: [{ name: 'http-metrics', containerPort: VM_PORTS.vminsert }],
              resources: props.overrides?.resources ?? defaultResources('vminsert'),
              liveness: httpProbe('/health', 'http-metrics'),
              readiness: httpProbe('/health', 'http-metrics', { periodSeconds: 5 }),
            }),
          ],
        })),
      },
    });
    service(this, ctx, id, [{ name: 'http-metrics', port: VM_PORTS.vminsert, targetPort: 'http-metrics' }]);
    disruptionBudget(this, ctx, id);
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { app: 'vmstorage', namespace: id.namespace }, ports: [VMSTORAGE_INSERT_PORT], why: 'vminsert writes every sample to replicationFactor storage nodes' },
    );
  }
}
