import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGES } from '../../src/model/images.ts';
import { VM_REPLICATION_FACTOR } from '../../src/model/types.ts';
import { dumpYaml } from '../../src/yaml-output.ts';
import { configMapVolume, type StackContext } from '../common.ts';
import { configMap, type ComponentId, type WorkloadProps } from '../workload.ts';
import { storageNodes, vmDeployment, VM_PORTS, VMSTORAGE_INSERT_PORT } from './common.ts';

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
  /**
   * Labels every stored sample gets where it lacks them (`-relabelConfig`): with a global vmselect,
   * series that two backends hold under the same labels (an SLO's recorded series) would otherwise
   * merge there as copies of one series. @default none
   */
  readonly storedLabels?: Readonly<Record<string, string>>;
}

const CONFIG_DIR = '/etc/vminsert';
const RELABEL_FILE = 'relabel.yaml';

/** The `-relabelConfig` file: each of `labels` set where a sample lacks it, as Prometheus adds external labels. */
export function vminsertRelabelConfig(labels: Readonly<Record<string, string>>): object[] {
  // `regex: ''` matches only an absent (empty) label.
  return Object.entries(labels).map(([label, value]) => ({ source_labels: [label], regex: '', target_label: label, replacement: value }));
}

/** The flags of vminsert (without the user's extra arguments). */
export function vminsertArgs(props: Pick<VmInsertProps, 'namespace' | 'storageReplicas' | 'replicationFactor' | 'promoteResourceAttributes' | 'storedLabels'>): string[] {
  const attributes = props.promoteResourceAttributes ?? [];
  return [
    `-storageNode=${storageNodes(props.namespace, props.storageReplicas, VMSTORAGE_INSERT_PORT).join(',')}`,
    `-replicationFactor=${props.replicationFactor ?? VM_REPLICATION_FACTOR}`,
    `-httpListenAddr=:${VM_PORTS.vminsert}`,
    // Metric names as Prometheus 3 writes OTLP metrics (`_total`, unit suffixes): the dashboards and rules read those.
    '-opentelemetry.usePrometheusNaming',
    // Only the listed attributes: 1.150 promotes all by default, and refuses to start with both set.
    ...(attributes.length ? ['-opentelemetry.promoteAllResourceAttributes=false', `-opentelemetry.promoteResourceAttributes=${attributes.join(',')}`] : []),
    ...(props.storedLabels ? [`-relabelConfig=${CONFIG_DIR}/${RELABEL_FILE}`] : []),
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
    const id = { app: 'vminsert', component: 'metrics-ingest', namespace: props.namespace } as const satisfies ComponentId;
    this.id = id;
    if (props.storedLabels) configMap(this, ctx, id, 'vminsert-relabel', { [RELABEL_FILE]: dumpYaml(vminsertRelabelConfig(props.storedLabels)) });
    this.workload = vmDeployment(this, ctx, id, {
      image: IMAGES.vminsert,
      args: vminsertArgs(props),
      replicas: props.replicas,
      overrides: props.overrides,
      ...(props.storedLabels ? { mounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }], volumes: [configMapVolume('config', 'vminsert-relabel')] } : {}),
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { app: 'vmstorage', namespace: id.namespace }, ports: [VMSTORAGE_INSERT_PORT], why: 'vminsert writes every sample to replicationFactor storage nodes' },
    );
  }
}
