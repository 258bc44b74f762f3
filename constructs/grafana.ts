import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import type { DashboardFile } from '../src/dashboards/stack-health.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, emptyDirVolume, EXTERNAL_SECRETS_ANNOTATION, httpProbe, metadata, serviceHost, type StackContext } from './common.ts';
import { IMAGES } from './images.ts';
import { allowFlows } from './network-policy.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId } from './workload.ts';

export const GRAFANA_PORT = 3000;
const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

/** A backend Grafana queries: a Service, its port and the namespace it lives in. */
export interface GrafanaBackend {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
}

export interface GrafanaProps {
  readonly namespace: string;
  /** Existing Secret with keys `admin-user` and `admin-password`; never synthesized. */
  readonly adminSecret: string;
  readonly prometheus: GrafanaBackend;
  readonly loki: GrafanaBackend;
  readonly tempo: GrafanaBackend;
  readonly alertmanager: GrafanaBackend;
  /** Dashboards provisioned from a ConfigMap, read-only in the UI. */
  readonly dashboards: readonly DashboardFile[];
}

/** Datasource uids: stable, because links between datasources and dashboards refer to them. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', loki: 'loki', tempo: 'tempo', alertmanager: 'alertmanager' } as const;

/**
 * Grafana with provisioned, cross-linked datasources (exemplars → traces, log trace ids → traces,
 * traces → logs and metrics, service map) and dashboards from a ConfigMap. The admin credentials
 * come from a Secret the user owns, read through `__FILE` variables, never from the manifests.
 */
export class Grafana extends Construct {
  readonly id: ComponentId;

  constructor(scope: Construct, name: string, ctx: StackContext, props: GrafanaProps) {
    super(scope, name);
    const id: ComponentId = { app: 'grafana', component: 'grafana', namespace: props.namespace };
    this.id = id;
    const datasources = dumpYaml(grafanaDatasources(props));
    const providers = dumpYaml({
      apiVersion: 1,
      providers: [{ name: 'o11y', type: 'file', orgId: 1, folder: 'o11y', allowUiUpdates: false, disableDeletion: true, updateIntervalSeconds: 60, options: { path: DASHBOARDS_DIR } }],
    });
    const dashboards = Object.fromEntries(props.dashboards.map((d) => [d.fileName, JSON.stringify(d.json, null, 2)]));
    serviceAccount(this, ctx, id);
    configMap(this, ctx, id, 'grafana-datasources', { 'datasources.yaml': datasources });
    configMap(this, ctx, id, 'grafana-dashboard-providers', { 'dashboards.yaml': providers });
    configMap(this, ctx, id, 'grafana-dashboards', dashboards);

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: metadata(ctx, {
        name: id.app,
        namespace: id.namespace,
        app: id.app,
        component: id.component,
        annotations: { [EXTERNAL_SECRETS_ANNOTATION]: props.adminSecret },
      }),
      spec: {
        replicas: 1,
        // SQLite on an emptyDir: two pods would not share state, so never run two at once.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': id.app, 'app.kubernetes.io/instance': ctx.config.name } },
        template: podTemplate(ctx, id, {
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: 472,
          spreadAcrossArchitectures: false,
          configContents: [datasources, providers, ...Object.values(dashboards)],
          containers: [
            container({
              name: 'grafana',
              image: IMAGES.grafana,
              env: [
                { name: 'GF_SECURITY_ADMIN_USER__FILE', value: '/etc/grafana/admin/admin-user' },
                { name: 'GF_SECURITY_ADMIN_PASSWORD__FILE', value: '/etc/grafana/admin/admin-password' },
                { name: 'GF_PATHS_DATA', value: '/var/lib/grafana' },
                { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
                { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
                { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
                { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
                { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
                { name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' },
              ],
              ports: [{ name: 'http-metrics', containerPort: GRAFANA_PORT }],
              resources: { cpu: { request: '100m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' } },
              liveness: httpProbe('/api/health', 'http-metrics', { initialDelaySeconds: 30 }),
              readiness: httpProbe('/api/health', 'http-metrics'),
              mounts: [
                { name: 'admin', mountPath: '/etc/grafana/admin', readOnly: true },
                { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
                { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
                { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
                { name: 'data', mountPath: '/var/lib/grafana' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            }),
          ],
          volumes: [
            { name: 'admin', secret: { secretName: props.adminSecret } },
            configMapVolume('datasources', 'grafana-datasources'),
            configMapVolume('dashboard-providers', 'grafana-dashboard-providers'),
            configMapVolume('dashboards', 'grafana-dashboards'),
            emptyDirVolume('data', '1Gi'),
            emptyDirVolume('tmp', '256Mi'),
          ],
        }),
      },
    });
    service(this, ctx, id, [{ name: 'http-metrics', port: GRAFANA_PORT, targetPort: 'http-metrics' }]);
    const backends = [props.prometheus, props.loki, props.tempo, props.alertmanager];
    allowFlows(this, ctx, id, {
      // Users reach Grafana through an ingress controller or port-forward, from anywhere in the cluster.
      ingress: [{ peers: [{ anyPod: true }], ports: [GRAFANA_PORT] }],
      egress: backends.map((b) => ({ peers: [{ app: b.service, namespace: b.namespace }], ports: [b.port] })),
    });
  }
}

/** The datasource provisioning file. `$$` is Grafana's escape for a literal `$` in provisioning. */
export function grafanaDatasources(props: Pick<GrafanaProps, 'prometheus' | 'loki' | 'tempo' | 'alertmanager'>): object {
  const url = (b: GrafanaBackend) => `http://${serviceHost(b.service, b.namespace)}:${b.port}`;
  const uid = DATASOURCE_UIDS;
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: uid.prometheus,
        url: url(props.prometheus),
        access: 'proxy',
        isDefault: true,
        editable: false,
        jsonData: {
          httpMethod: 'POST',
          exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: uid.tempo, urlDisplayLabel: 'Trace: $${__value.raw}' }],
        },
      },
      {
        name: 'Loki',
        type: 'loki',
        uid: uid.loki,
        url: url(props.loki),
        access: 'proxy',
        editable: false,
        jsonData: {
          // OTLP logs carry the trace id as structured metadata `trace_id`.
          derivedFields: [{ name: 'trace_id', matcherType: 'label', matcherRegex: 'trace_id', url: '$${__value.raw}', datasourceUid: uid.tempo, urlDisplayLabel: 'Trace' }],
        },
      },
      {
        name: 'Tempo',
        type: 'tempo',
        uid: uid.tempo,
        url: url(props.tempo),
        access: 'proxy',
        editable: false,
        jsonData: {
          tracesToLogsV2: {
            datasourceUid: uid.loki,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            customQuery: true,
            query: '{$${__tags}} | trace_id = "$${__trace.traceId}"',
            tags: [{ key: 'service.name', value: 'service_name' }],
          },
          tracesToMetrics: {
            datasourceUid: uid.prometheus,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            tags: [{ key: 'service.name', value: 'service' }],
            queries: [
              { name: 'Request rate', query: 'sum(rate(traces_spanmetrics_calls_total{$$__tags}[5m]))' },
              { name: 'Error rate', query: 'sum(rate(traces_spanmetrics_calls_total{$$__tags, status_code="STATUS_CODE_ERROR"}[5m]))' },
              { name: 'p95 latency', query: 'histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{$$__tags}[5m])))' },
            ],
          },
          serviceMap: { datasourceUid: uid.prometheus },
          nodeGraph: { enabled: true },
          lokiSearch: { datasourceUid: uid.loki },
        },
      },
      {
        name: 'Alertmanager',
        type: 'alertmanager',
        uid: uid.alertmanager,
        url: url(props.alertmanager),
        access: 'proxy',
        editable: false,
        jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      },
    ],
  };
}
