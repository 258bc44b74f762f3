import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ALERTMANAGER_SECRETS_DIR, RECEIVERS_DIR, TEMPLATES_DIR, type AlertDelivery } from '../src/alerting/alertmanager-config.ts';
import type { NotificationTemplate } from '../src/model/types.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, dataVolumeClaim, httpProbe, serviceHost, StatefulSet, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export const ALERTMANAGER_PORT = 9093;
const CLUSTER_PORT = 9094;

export interface AlertmanagerProps extends WorkloadProps {
  readonly namespace: string;
  /** @default 1 */
  readonly replicas?: number;
  /**
   * PVC size per replica for silences and the notification log.
   * @default '1Gi'
   */
  readonly storage?: string;
  /** Its config, the user Secrets the config reads, and the ports it sends to (see `alertDelivery`). */
  readonly delivery: AlertDelivery;
  /**
   * Existing Secret, owned by the user, with one webhook URL per built-in receiver in keys
   * `default-url`, `page-url`, `ticket-url` (and `watchdog-url`); mounted only when
   * `delivery` uses a built-in receiver. Never synthesized: URLs of chat and paging tools are credentials.
   */
  readonly receiversSecret: string;
  /**
   * Notification template files, shipped in a ConfigMap and mounted where the config names them.
   * @default none
   */
  readonly templates?: readonly NotificationTemplate[];
  /** App that sends it alerts (vmalert in the `victoriametrics-cluster` metrics mode). @default 'prometheus' */
  readonly alertSender?: string;
}

/**
 * Alertmanager as a StatefulSet with a PVC per replica for silences and the notification log, and a
 * peer mesh for replicas > 1. The routing tree and receivers come from `delivery`; every credential
 * is a file mounted read-only from a Secret the user owns.
 */
export class Alertmanager extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;
  readonly replicas: number;
  readonly headlessService: string;
  static readonly port = ALERTMANAGER_PORT;

  constructor(scope: Construct, name: string, ctx: StackContext, props: AlertmanagerProps) {
    super(scope, name);
    const id: ComponentId = { app: 'alertmanager', component: 'alertmanager', namespace: props.namespace };
    this.id = id;
    this.replicas = props.replicas ?? 1;
    this.headlessService = `${id.app}-headless`;
    const { delivery } = props;
    const configText = dumpYaml(delivery.config);
    const templates = props.templates ?? [];
    // User Secrets by mount: the receivers Secret of the built-in receivers, then each `alerting` Secret.
    const secretMounts = [
      ...(delivery.usesReceiversSecret ? [{ volume: 'receivers', secret: props.receiversSecret, path: RECEIVERS_DIR }] : []),
      ...delivery.secrets.map((secret, i) => ({ volume: `secret-${i}`, secret, path: `${ALERTMANAGER_SECRETS_DIR}/${secret}` })),
    ];

    serviceAccount(this, ctx, id);
    this.configMap = configMap(this, ctx, id, 'alertmanager-config', { 'alertmanager.yml': configText });
    if (templates.length) configMap(this, ctx, id, 'alertmanager-templates', Object.fromEntries(templates.map((t) => [t.name, t.content])));
    const peers = Array.from({ length: this.replicas }, (_, i) => `--cluster.peer=${id.app}-${i}.${serviceHost(this.headlessService, id.namespace)}:${CLUSTER_PORT}`);
    this.workload = new StatefulSet(this, 'statefulset', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: secretMounts.map((m) => m.secret) }),
      spec: {
        replicas: this.replicas,
        serviceName: this.headlessService,
        podManagementPolicy: 'Parallel',
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: 65534,
          spreadAcrossArchitectures: this.replicas > 1,
          configContents: [configText, ...templates.map((t) => t.content)],
          containers: [
            container({
              name: 'alertmanager',
              image: IMAGES.alertmanager,
              args: [
                '--config.file=/etc/alertmanager/alertmanager.yml',
                '--storage.path=/alertmanager',
                `--web.listen-address=:${ALERTMANAGER_PORT}`,
                // A single replica has no peers; an empty listen address turns the mesh off.
                ...(this.replicas > 1 ? [`--cluster.listen-address=0.0.0.0:${CLUSTER_PORT}`, ...peers] : ['--cluster.listen-address=']),
              ],
              ports: [
                { name: 'http-metrics', containerPort: ALERTMANAGER_PORT },
                // The mesh gossips over TCP and UDP on the same port.
                ...(this.replicas > 1
                  ? [
                      { name: 'mesh-tcp', containerPort: CLUSTER_PORT },
                      { name: 'mesh-udp', containerPort: CLUSTER_PORT, protocol: 'UDP' as const },
                    ]
                  : []),
              ],
              resources: props.overrides?.resources ?? defaultResources('alertmanager'),
              liveness: httpProbe('/-/healthy', 'http-metrics'),
              readiness: httpProbe('/-/ready', 'http-metrics', { periodSeconds: 5 }),
              mounts: [
                { name: 'config', mountPath: '/etc/alertmanager/alertmanager.yml', subPath: 'alertmanager.yml', readOnly: true },
                ...(templates.length ? [{ name: 'templates', mountPath: TEMPLATES_DIR, readOnly: true }] : []),
                ...secretMounts.map((m) => ({ name: m.volume, mountPath: m.path, readOnly: true })),
                { name: 'data', mountPath: '/alertmanager' },
              ],
            }),
          ],
          volumes: [
            configMapVolume('config', 'alertmanager-config'),
            ...(templates.length ? [configMapVolume('templates', 'alertmanager-templates')] : []),
            ...secretMounts.map((m) => ({ name: m.volume, secret: { secretName: m.secret } })),
          ],
        }),
        // Silences and the notification log outlive restarts, config changes and upgrades (a lone
        // replica has no peer to get them back from).
        volumeClaimTemplates: [dataVolumeClaim(ctx, id.app, id.component, props.storage ?? '1Gi')],
      },
    });
    const ports = [{ name: 'http-metrics', port: ALERTMANAGER_PORT, targetPort: 'http-metrics' }];
    service(this, ctx, id, ports);
    // Publishes not-ready pods too (see `service`): peers must find each other before they are ready.
    service(this, ctx, id, ports, { name: this.headlessService, headless: true });

    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    const sender = props.alertSender ?? 'prometheus';
    ctx.flows.add({ from: { app: sender, namespace: id.namespace }, to: self, ports: [ALERTMANAGER_PORT], why: sender === 'prometheus' ? 'Prometheus sends alerts' : `${sender} sends alerts` });
    for (const port of delivery.egressPorts) {
      ctx.flows.add({ from: self, to: { internet: true }, ports: [port], why: port === 443 ? 'notifications to chat and paging webhooks, wherever they are' : 'notifications to a configured SMTP smarthost or API endpoint' });
    }
    if (this.replicas > 1) {
      ctx.flows.add({ from: self, to: self, ports: [{ port: CLUSTER_PORT, protocol: 'TCP' }, { port: CLUSTER_PORT, protocol: 'UDP' }], why: 'the Alertmanager mesh gossips over TCP and UDP' });
    }
  }
}
