import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGES } from '../../src/model/images.ts';
import { RULES_DIR } from '../../src/rules/layout.ts';
import { dumpYaml } from '../../src/yaml-output.ts';
import { configMapVolume, type StackContext } from '../common.ts';
import { alertmanagerReplicas, externalLabels } from '../prometheus.ts';
import { configMap, type ComponentId, type WorkloadProps } from '../workload.ts';
import { insertUrl, selectUrl, vmDeployment, VM_PORTS } from './common.ts';

export interface VmAlertProps extends WorkloadProps {
  readonly namespace: string;
  /** Each replica evaluates every rule; Alertmanager deduplicates their alerts. @default 2 */
  readonly replicas?: number;
  /** The rule ConfigMaps Prometheus mode mounts (stack, Kubernetes, SLO, user rules), mounted under {@link RULES_DIR}. */
  readonly ruleConfigMaps: readonly string[];
  /** The Alertmanager StatefulSet: every replica is notified. */
  readonly alertmanager: { readonly service: string; readonly headlessService: string; readonly replicas: number; readonly port: number };
  /** `-evaluationInterval`: the scrape interval, as Prometheus mode's `evaluation_interval`. @default '30s' */
  readonly evaluationInterval?: string;
}

const CONFIG_DIR = '/etc/vmalert';
const NOTIFIERS_FILE = 'notifiers.yaml';

/**
 * The `-notifier.config` file: every Alertmanager replica, and Prometheus mode's external labels
 * added as Prometheus adds them, to alerts that lack them. vmalert's `-external.label` would not do:
 * it overwrites an alert's own `cluster` (an apps cluster's alert evaluated on its backend) and
 * keeps the original as `exported_cluster`. Recorded series get none, as in Prometheus mode, where
 * external labels reach only what leaves Prometheus.
 */
export function vmalertNotifiers(ctx: StackContext, props: Pick<VmAlertProps, 'namespace' | 'alertmanager'>): object {
  return {
    static_configs: [{ targets: alertmanagerReplicas(props.alertmanager, props.namespace) }],
    // `regex: ''` matches only an absent (empty) label.
    alert_relabel_configs: Object.entries(externalLabels(ctx)).map(([label, value]) => ({ source_labels: [label], regex: '', target_label: label, replacement: value })),
  };
}

/** The flags of vmalert (without the user's extra arguments). */
export function vmalertArgs(props: VmAlertProps): string[] {
  return [
    ...props.ruleConfigMaps.map((cm) => `-rule=${RULES_DIR}/${cm}/*.yaml`),
    `-datasource.url=${selectUrl(props.namespace)}`,
    // Recording rules' results go back to the storage (vmalert appends /api/v1/write).
    `-remoteWrite.url=${insertUrl(props.namespace, 'prometheus')}`,
    // Restores pending and firing alerts' state after a restart from the ALERTS_FOR_STATE series it wrote.
    `-remoteRead.url=${selectUrl(props.namespace)}`,
    `-notifier.config=${CONFIG_DIR}/${NOTIFIERS_FILE}`,
    // Rereads the rule and notifier files when their ConfigMaps change, as Prometheus mode's auto-reload-config does.
    '-configCheckInterval=30s',
    `-evaluationInterval=${props.evaluationInterval ?? '30s'}`,
    `-httpListenAddr=:${VM_PORTS.vmalert}`,
  ];
}

/**
 * vmalert: evaluates the same rule files as Prometheus mode against vmselect and notifies every
 * Alertmanager replica. Two or more replicas evaluate the same rules: Alertmanager deduplicates
 * their identical alerts, the storage their identical recording-rule samples.
 */
export class VmAlert extends Construct {
  readonly id: ComponentId;
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VmAlertProps) {
    super(scope, name);
    const id = { app: 'vmalert', component: 'rules', namespace: props.namespace } as const satisfies ComponentId;
    this.id = id;
    configMap(this, ctx, id, 'vmalert-notifiers', { [NOTIFIERS_FILE]: dumpYaml(vmalertNotifiers(ctx, props)) });
    this.workload = vmDeployment(this, ctx, id, {
      image: IMAGES.vmalert,
      args: vmalertArgs(props),
      replicas: props.replicas,
      overrides: props.overrides,
      mounts: [
        { name: 'notifiers', mountPath: CONFIG_DIR, readOnly: true },
        ...props.ruleConfigMaps.map((cm) => ({ name: `rules-${cm}`, mountPath: `${RULES_DIR}/${cm}`, readOnly: true })),
      ],
      volumes: [configMapVolume('notifiers', 'vmalert-notifiers'), ...props.ruleConfigMaps.map((cm) => configMapVolume(`rules-${cm}`, cm))],
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { app: 'vmselect', namespace: id.namespace }, ports: [VM_PORTS.vmselect], why: 'vmalert evaluates rules and restores alert state through vmselect' },
      { from: self, to: { app: 'vminsert', namespace: id.namespace }, ports: [VM_PORTS.vminsert], why: 'vmalert writes recording-rule results and alert state' },
      { from: self, to: { app: props.alertmanager.service, namespace: id.namespace }, ports: [props.alertmanager.port], why: 'vmalert sends alerts to every Alertmanager' },
    );
  }
}
