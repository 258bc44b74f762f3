import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, emptyDirVolume, httpProbe, serviceHost, type StackContext } from './common.ts';
import { IMAGES } from './images.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export const ALERTMANAGER_PORT = 9093;
const CLUSTER_PORT = 9094;
const RECEIVERS_DIR = '/etc/alertmanager/receivers';

/** The receivers every stack has; each reads its webhook URL from the user's Secret. */
export const RECEIVERS = ['default', 'page', 'ticket'] as const;

export interface AlertmanagerProps extends WorkloadProps {
  readonly namespace: string;
  /** @default 1 */
  readonly replicas?: number;
  /**
   * Existing Secret, owned by the user, with one webhook URL per receiver in keys `default-url`,
   * `page-url` and `ticket-url`. Never synthesized: URLs of chat and paging tools are credentials.
   */
  readonly receiversSecret: string;
  /**
   * Route the always-firing Watchdog to its own receiver (URL in key `watchdog-url` of the
   * receivers Secret), repeated every minute, for a dead-man's-switch service that pages when the
   * pings stop. Without it the Watchdog goes to `default`.
   * @default false
   */
  readonly watchdogReceiver?: boolean;
}

/**
 * Alertmanager as a StatefulSet (peer mesh for replicas > 1). Its default route sends
 * `severity: page` (and `critical`) alerts to the `page` receiver, `ticket` (and `warning`) to
 * `ticket`, everything else to `default`; the receivers' URLs come from a Secret the user owns.
 */
export class Alertmanager extends Construct {
  readonly id: ComponentId;
  readonly replicas: number;
  readonly headlessService: string;
  static readonly port = ALERTMANAGER_PORT;

  constructor(scope: Construct, name: string, ctx: StackContext, props: AlertmanagerProps) {
    super(scope, name);
    const id: ComponentId = { app: 'alertmanager', component: 'alertmanager', namespace: props.namespace };
    this.id = id;
    this.replicas = props.replicas ?? 1;
    this.headlessService = `${id.app}-headless`;
    const configText = dumpYaml(alertmanagerConfig({ watchdogReceiver: props.watchdogReceiver ?? false }));

    serviceAccount(this, ctx, id);
    configMap(this, ctx, id, 'alertmanager-config', { 'alertmanager.yml': configText });
    const peers = Array.from({ length: this.replicas }, (_, i) => `--cluster.peer=${id.app}-${i}.${serviceHost(this.headlessService, id.namespace)}:${CLUSTER_PORT}`);
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: [props.receiversSecret] }),
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
          configContents: [configText],
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
                { name: 'receivers', mountPath: RECEIVERS_DIR, readOnly: true },
                { name: 'data', mountPath: '/alertmanager' },
              ],
            }),
          ],
          volumes: [
            configMapVolume('config', 'alertmanager-config'),
            { name: 'receivers', secret: { secretName: props.receiversSecret } },
            // Silences and notification log are rebuilt from peers; a PVC adds little for one replica.
            emptyDirVolume('data', '1Gi'),
          ],
        }),
      },
    });
    const ports = [{ name: 'http-metrics', port: ALERTMANAGER_PORT, targetPort: 'http-metrics' }];
    service(this, ctx, id, ports);
    service(this, ctx, id, ports, { name: this.headlessService, headless: true });

    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: { app: 'prometheus', namespace: id.namespace }, to: self, ports: [ALERTMANAGER_PORT], why: 'Prometheus sends alerts' },
      { from: self, to: { internet: true }, ports: [443], why: 'notifications to chat and paging webhooks, wherever they are' },
    );
    if (this.replicas > 1) {
      ctx.flows.add({ from: self, to: self, ports: [{ port: CLUSTER_PORT, protocol: 'TCP' }, { port: CLUSTER_PORT, protocol: 'UDP' }], why: 'the Alertmanager mesh gossips over TCP and UDP' });
    }
  }
}

/** `alertmanager.yml`: routing by our severity labels; receivers read URLs from mounted files. */
export function alertmanagerConfig(opts: { watchdogReceiver: boolean } = { watchdogReceiver: false }): object {
  const receiver = (name: string) => ({
    name,
    webhook_configs: [{ url_file: `${RECEIVERS_DIR}/${name}-url`, send_resolved: true }],
  });
  return {
    route: {
      receiver: 'default',
      group_by: ['alertname', 'cluster', 'namespace'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        // A dead-man's switch expects a steady heartbeat, not one notification per 4 hours.
        ...(opts.watchdogReceiver ? [{ matchers: ['alertname="Watchdog"'], receiver: 'watchdog', group_wait: '0s', group_interval: '1m', repeat_interval: '1m' }] : []),
        { matchers: ['severity=~"page|critical"'], receiver: 'page', repeat_interval: '1h' },
        { matchers: ['severity=~"ticket|warning"'], receiver: 'ticket', repeat_interval: '12h' },
      ],
    },
    // A page is not also a ticket for the same problem. SLO alerts of different SLOs may share an
    // alert name: `sloth_id` keeps one SLO's page from hiding another's ticket (absent on both
    // sides, as for stack alerts, counts as equal).
    inhibit_rules: [
      { source_matchers: ['severity=~"page|critical"'], target_matchers: ['severity=~"ticket|warning"'], equal: ['alertname', 'cluster', 'namespace', 'sloth_id'] },
    ],
    receivers: [...RECEIVERS, ...(opts.watchdogReceiver ? ['watchdog'] : [])].map(receiver),
  };
}
