import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { RELAY_SECRETS_DIR } from '../src/alerting/alertmanager-config.ts';
import type { RelayTarget } from '../src/relay/targets.ts';
import { configMapVolume, httpProbe, serviceHost, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, componentMetadata, podSelector } from './workload.ts';

export const ALERT_RELAY_APP = 'alert-relay';
export const ALERT_RELAY_PORT = 8080;
const CONFIG_FILE = '/etc/alert-relay/relay.json';
/** The Node base image's unprivileged `node` user. */
const NODE_UID = 1000;

/** Base URL of the relay's Service in `namespace`, where Alertmanager's webhooks post. */
export function alertRelayUrl(namespace: string): string {
  return `http://${serviceHost(ALERT_RELAY_APP, namespace)}:${ALERT_RELAY_PORT}`;
}

export interface AlertRelayProps {
  readonly namespace: string;
  /** The robots, one per receiver and kind; each target's files live in `secrets`. */
  readonly targets: readonly RelayTarget[];
  /** User-owned Secrets holding the robots' URLs and signing secrets, mounted read-only under `/etc/alert-relay/secrets/<name>/`. */
  readonly secrets: readonly string[];
  /**
   * Replicas; Alertmanager retries a failed post, so one is enough unless robots must not wait for a reschedule.
   * @default 1
   */
  readonly replicas?: number;
}

/**
 * `o11y relay` from the controller image: turns Alertmanager's webhook payload into the message
 * formats of DingTalk, Feishu/Lark and WeCom group robots (which Alertmanager has no receiver for),
 * signing requests where the robot asks for it. Stateless, read-only, without Kubernetes API access.
 */
export class AlertRelay extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: AlertRelayProps) {
    super(scope, name);
    const id: ComponentId = { app: ALERT_RELAY_APP, component: 'alerting', namespace: props.namespace };
    this.id = id;
    const configText = `${JSON.stringify({ targets: props.targets }, null, 2)}\n`;
    const secretVolumes = props.secrets.map((secret, i) => ({ volume: `secret-${i}`, secret }));

    serviceAccount(this, ctx, id);
    this.configMap = configMap(this, ctx, id, 'alert-relay-config', { 'relay.json': configText });
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: componentMetadata(ctx, id, { externalSecrets: props.secrets }),
      spec: {
        replicas: props.replicas ?? 1,
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: NODE_UID,
          spreadAcrossArchitectures: false,
          configContents: [configText],
          containers: [
            container({
              name: 'relay',
              image: IMAGES.o11yController,
              args: ['relay', `--config=${CONFIG_FILE}`, `--listen=:${ALERT_RELAY_PORT}`],
              ports: [{ name: 'http', containerPort: ALERT_RELAY_PORT }],
              // Measured: the bundled CLI as relay holds ~90 MiB resident idle, ~98 MiB after 50 deliveries.
              resources: { cpu: { request: '10m', limit: '200m' }, memory: { request: '96Mi', limit: '192Mi' } },
              liveness: httpProbe('/healthz', 'http'),
              readiness: httpProbe('/healthz', 'http', { initialDelaySeconds: 2, periodSeconds: 5 }),
              mounts: [
                { name: 'config', mountPath: CONFIG_FILE, subPath: 'relay.json', readOnly: true },
                ...secretVolumes.map((v) => ({ name: v.volume, mountPath: `${RELAY_SECRETS_DIR}/${v.secret}`, readOnly: true })),
              ],
            }),
          ],
          volumes: [configMapVolume('config', 'alert-relay-config'), ...secretVolumes.map((v) => ({ name: v.volume, secret: { secretName: v.secret } }))],
        }),
      },
    });
    service(this, ctx, id, [{ name: 'http', port: ALERT_RELAY_PORT, targetPort: 'http' }]);

    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: { app: 'alertmanager', namespace: id.namespace }, to: self, ports: [ALERT_RELAY_PORT], why: 'Alertmanager posts DingTalk, Feishu and WeCom notifications to the relay' },
      // The robots' endpoints (oapi.dingtalk.com, open.feishu.cn / open.larksuite.com, qyapi.weixin.qq.com) are public HTTPS APIs with no fixed address ranges.
      { from: self, to: { internet: true }, ports: [443], why: 'the relay posts to the DingTalk, Feishu/Lark and WeCom robot APIs' },
    );
  }
}
