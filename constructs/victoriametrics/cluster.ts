import { Construct } from 'constructs';
import { VM_REPLICATION_FACTOR } from '../../src/model/types.ts';
import type { StackContext } from '../common.ts';
import type { Peer } from '../network-policy.ts';
import { OTLP_PROMOTED_ATTRIBUTES, type ScrapeProps } from '../prometheus.ts';
import type { WorkloadOverrides } from '../workload.ts';
import { VmAgent } from './vmagent.ts';
import { VmAlert, type VmAlertProps } from './vmalert.ts';
import { VmInsert } from './vminsert.ts';
import { VmSelect } from './vmselect.ts';
import { VmStorage } from './vmstorage.ts';

type Part = 'vmstorage' | 'vminsert' | 'vmselect' | 'vmagent' | 'vmalert';

export interface VictoriaMetricsClusterProps extends ScrapeProps {
  /** How long samples are kept, a Prometheus duration of at least 1d. */
  readonly retention: string;
  /** PVC size per storage node. */
  readonly storage: string;
  /** Replicas per component, each at least 2. @default 2 of each */
  readonly replicas?: Partial<Record<Part, number>>;
  /** Copies of every sample on distinct storage nodes, at most the storage replicas. @default 2 */
  readonly replicationFactor?: number;
  /** The rule ConfigMaps vmalert evaluates. */
  readonly ruleConfigMaps: readonly string[];
  readonly alertmanager: VmAlertProps['alertmanager'];
  /** Who queries vmselect from outside the stack. @default none */
  readonly remoteReaders?: readonly Peer[];
  /** Serve vmselect's cluster-native port to a global vmselect (see {@link VmSelect}). @default not served */
  readonly clusternativeReaders?: readonly Peer[];
  /** Labels every stored sample gets where it lacks them (see {@link VmInsert}). @default none */
  readonly storedLabels?: Readonly<Record<string, string>>;
  /** Per-component overrides. @default none */
  readonly overrides?: Partial<Record<Part, WorkloadOverrides>>;
}

/**
 * The `victoriametrics-cluster` metrics mode of a backend: vmstorage, vminsert, vmselect, an HA
 * vmagent pair and vmalert, so that losing any one pod loses no sample, no query answer and no alert.
 */
export class VictoriaMetricsCluster extends Construct {
  readonly vmstorage: VmStorage;
  readonly vminsert: VmInsert;
  readonly vmselect: VmSelect;
  readonly vmagent: VmAgent;
  readonly vmalert: VmAlert;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VictoriaMetricsClusterProps) {
    super(scope, name);
    const ns = props.namespace;
    const replicas = props.replicas ?? {};
    const overrides = props.overrides ?? {};
    const replicationFactor = props.replicationFactor ?? VM_REPLICATION_FACTOR;
    const storageReplicas = replicas.vmstorage ?? 2;
    if (replicationFactor < 2 || replicationFactor > storageReplicas) {
      throw new Error(`replicationFactor ${replicationFactor} must be between 2 and the vmstorage replicas (${storageReplicas})`);
    }
    const dedupInterval = props.scrapeInterval ?? '30s';
    this.vmstorage = new VmStorage(this, 'vmstorage', ctx, { namespace: ns, replicas: storageReplicas, retention: props.retention, storage: props.storage, dedupInterval, overrides: overrides.vmstorage });
    this.vminsert = new VmInsert(this, 'vminsert', ctx, { namespace: ns, replicas: replicas.vminsert, storageReplicas, replicationFactor, promoteResourceAttributes: OTLP_PROMOTED_ATTRIBUTES, storedLabels: props.storedLabels, overrides: overrides.vminsert });
    this.vmselect = new VmSelect(this, 'vmselect', ctx, { namespace: ns, replicas: replicas.vmselect, storageReplicas, replicationFactor, dedupInterval, remoteReaders: props.remoteReaders, clusternativeReaders: props.clusternativeReaders, overrides: overrides.vmselect });
    this.vmagent = new VmAgent(this, 'vmagent', ctx, { ...props, replicas: replicas.vmagent, overrides: overrides.vmagent });
    this.vmalert = new VmAlert(this, 'vmalert', ctx, { namespace: ns, replicas: replicas.vmalert, ruleConfigMaps: props.ruleConfigMaps, alertmanager: props.alertmanager, evaluationInterval: props.scrapeInterval, overrides: overrides.vmalert });
  }
}
