import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { datasourceName, datasourceUids } from '../src/dashboards/datasources.ts';
import type { DashboardFolder } from '../src/dashboards/folders.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { ALERTMANAGER_PORT } from './alertmanager.ts';
import { configMapVolume, emptyDirVolume, httpProbe, type StackContext } from './common.ts';
import { IMAGES } from './images.ts';
import { LOKI_HTTP_PORT } from './loki.ts';
import { urlPort } from './network-policy.ts';
import { PROMETHEUS_PORT } from './prometheus.ts';
import { EXEMPLAR_TRACE_ID_LABELS, type SpanMetricsSeries } from './span-metrics.ts';
import { TEMPO_HTTP_PORT } from './tempo.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, componentMetadata, podSelector } from './workload.ts';

export const GRAFANA_PORT = 3000;
const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

/** The backends of one cloud, as Grafana reaches them. */
export interface GrafanaBackendSet {
  /**
   * Names the datasources (`Prometheus (aws)`, uid `prometheus-aws`); undefined in a single-cluster
   * stack, whose datasources keep the plain uids `prometheus`, `loki`, `tempo`.
   */
  readonly cloud?: string;
  /** Base URLs. */
  readonly prometheus: string;
  readonly loki: string;
  readonly tempo: string;
  /** In-cluster only: remote clouds' alerts are routed by their own Alertmanager. */
  readonly alertmanager?: string;
  /** Queried across clusters, through the user's ingress: requests carry the cross-cluster bearer token. */
  readonly remote: boolean;
}

export interface GrafanaProps {
  readonly namespace: string;
  /** Existing Secret with keys `admin-user` and `admin-password`; never synthesized. */
  readonly adminSecret: string;
  /** One set per cloud Grafana shows; the first one is the default. */
  readonly backends: readonly GrafanaBackendSet[];
  /** Secret with key `token`, for remote backends. */
  readonly tokenSecret: string;
  /** Dashboards by folder, each folder provisioned from its own ConfigMap, read-only in the UI. */
  readonly dashboards: readonly DashboardFolder[];
  /** The span metrics the trace → metrics links query. */
  readonly spanMetrics: SpanMetricsSeries;
}

const TOKEN_DIR = '/etc/grafana/cross-cluster';

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
    const datasources = dumpYaml(grafanaDatasources(props.backends, `${TOKEN_DIR}/token`, props.spanMetrics));
    const remote = props.backends.some((b) => b.remote);
    const providers = dumpYaml(dashboardProviders(props.dashboards));
    // One ConfigMap per folder: each stays far below the 1 MiB ConfigMap limit, and a folder's change rolls only its map.
    const folders = props.dashboards.map((f) => ({ ...folderFiles(f), data: Object.fromEntries(f.dashboards.map((d) => [d.fileName, JSON.stringify(d.json, null, 2)])) }));
    serviceAccount(this, ctx, id);
    configMap(this, ctx, id, 'grafana-datasources', { 'datasources.yaml': datasources });
    configMap(this, ctx, id, 'grafana-dashboard-providers', { 'dashboards.yaml': providers });
    for (const f of folders) configMap(this, ctx, id, f.configMap, f.data);

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: componentMetadata(ctx, id, { externalSecrets: [props.adminSecret, ...(remote ? [props.tokenSecret] : [])] }),
      spec: {
        replicas: 1,
        // SQLite on an emptyDir: two pods would not share state, so never run two at once.
        strategy: { type: 'Recreate' },
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: 472,
          spreadAcrossArchitectures: false,
          configContents: [datasources, providers, ...folders.flatMap((f) => Object.values(f.data))],
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
                // Nor do plugin downloads at start, the news feed, or snapshots published to snapshots.raintank.io.
                { name: 'GF_PLUGINS_PREINSTALL_DISABLED', value: 'true' },
                { name: 'GF_NEWS_NEWS_FEED_ENABLED', value: 'false' },
                { name: 'GF_SNAPSHOTS_EXTERNAL_ENABLED', value: 'false' },
              ],
              ports: [{ name: 'http-metrics', containerPort: GRAFANA_PORT }],
              resources: { cpu: { request: '100m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' } },
              liveness: httpProbe('/api/health', 'http-metrics', { initialDelaySeconds: 30 }),
              readiness: httpProbe('/api/health', 'http-metrics'),
              mounts: [
                { name: 'admin', mountPath: '/etc/grafana/admin', readOnly: true },
                { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
                { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
                ...folders.map((f) => ({ name: f.volume, mountPath: f.path, readOnly: true })),
                { name: 'data', mountPath: '/var/lib/grafana' },
                { name: 'tmp', mountPath: '/tmp' },
                ...(remote ? [{ name: 'cross-cluster-token', mountPath: TOKEN_DIR, readOnly: true }] : []),
              ],
            }),
          ],
          volumes: [
            { name: 'admin', secret: { secretName: props.adminSecret } },
            configMapVolume('datasources', 'grafana-datasources'),
            configMapVolume('dashboard-providers', 'grafana-dashboard-providers'),
            ...folders.map((f) => configMapVolume(f.volume, f.configMap)),
            emptyDirVolume('data', '1Gi'),
            emptyDirVolume('tmp', '256Mi'),
            ...(remote ? [{ name: 'cross-cluster-token', secret: { secretName: props.tokenSecret } }] : []),
          ],
        }),
      },
    });
    service(this, ctx, id, [{ name: 'http-metrics', port: GRAFANA_PORT, targetPort: 'http-metrics' }]);
    const inCluster: [string, number][] = [
      ['prometheus', PROMETHEUS_PORT],
      ['loki', LOKI_HTTP_PORT],
      ['tempo', TEMPO_HTTP_PORT],
      ['alertmanager', ALERTMANAGER_PORT],
    ];
    const remotePorts = [...new Set(props.backends.filter((b) => b.remote).flatMap((b) => [b.prometheus, b.loki, b.tempo].map(urlPort)))];
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: { anyPod: true }, to: self, ports: [GRAFANA_PORT], why: 'users, through an ingress controller or port-forward from anywhere in the cluster' },
      ...(props.backends.some((b) => !b.remote)
        ? inCluster.map(([app, port]) => ({ from: self, to: { app, namespace: id.namespace }, ports: [port], why: `Grafana queries ${app}` }))
        : []),
      ...remotePorts.map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'Grafana queries the backends of other clouds' })),
    );
  }
}

/** Where a folder's dashboards live: its ConfigMap, the pod volume and the directory its provider reads. */
export function folderFiles(folder: DashboardFolder): { configMap: string; volume: string; path: string } {
  return { configMap: `grafana-dashboards-${folder.name}`, volume: `dashboards-${folder.name}`, path: `${DASHBOARDS_DIR}/${folder.name}` };
}

/**
 * The dashboard provisioning file: one file provider per folder (a provider puts everything it reads
 * in its one `folder`), with a stable folder uid so that links and permissions survive restarts.
 */
export function dashboardProviders(folders: readonly DashboardFolder[]): object {
  return {
    apiVersion: 1,
    providers: folders.map((f) => ({
      name: f.name,
      type: 'file',
      orgId: 1,
      folder: f.title,
      folderUid: `o11y-${f.name}`,
      allowUiUpdates: false,
      disableDeletion: true,
      updateIntervalSeconds: 60,
      options: { path: folderFiles(f).path },
    })),
  };
}

/**
 * The datasource provisioning file: per cloud, Prometheus, Loki, Tempo (and Alertmanager when in
 * the cluster), cross-linked within the cloud. `$$` is Grafana's escape for a literal `$`;
 * `$__file{…}` reads the bearer token from the mounted Secret.
 */
export function grafanaDatasources(backends: readonly GrafanaBackendSet[], tokenFile: string, spanMetrics: SpanMetricsSeries): object {
  return { apiVersion: 1, datasources: backends.flatMap((b, i) => cloudDatasources(b, i === 0, tokenFile, spanMetrics)) };
}

function cloudDatasources(b: GrafanaBackendSet, isDefault: boolean, tokenFile: string, spanMetrics: SpanMetricsSeries): object[] {
  const uid = datasourceUids(b.cloud);
  // Grafana's `$__tags`: the span's attributes mapped to labels (`$$` escapes `$` in provisioning files).
  const tags = '$$__tags';
  const auth = b.remote
    ? { jsonDataAuth: { httpHeaderName1: 'Authorization' }, secureJsonData: { httpHeaderValue1: `Bearer $__file{${tokenFile}}` } }
    : { jsonDataAuth: {}, secureJsonData: undefined };
  const common = (type: keyof typeof uid, url: string, jsonData: object) => ({
    name: datasourceName(uid[type]),
    type,
    uid: uid[type],
    url,
    access: 'proxy',
    editable: false,
    jsonData: { ...jsonData, ...auth.jsonDataAuth },
    ...(auth.secureJsonData ? { secureJsonData: auth.secureJsonData } : {}),
  });
  return [
    {
      ...common('prometheus', b.prometheus, {
        httpMethod: 'POST',
        exemplarTraceIdDestinations: EXEMPLAR_TRACE_ID_LABELS.map((name) => ({ name, datasourceUid: uid.tempo, urlDisplayLabel: 'Trace: $${__value.raw}' })),
      }),
      isDefault,
    },
    common('loki', b.loki, {
      // OTLP logs carry the trace id as structured metadata `trace_id`.
      derivedFields: [{ name: 'trace_id', matcherType: 'label', matcherRegex: 'trace_id', url: '$${__value.raw}', datasourceUid: uid.tempo, urlDisplayLabel: 'Trace' }],
    }),
    common('tempo', b.tempo, {
      tracesToLogsV2: {
        datasourceUid: uid.loki,
        spanStartTimeShift: '-5m',
        spanEndTimeShift: '5m',
        customQuery: true,
        query: '{$${__tags}} | trace_id = "$${__trace.traceId}"',
        // The span's pod: its OTLP logs and its container's stdout alike (the agent's file_log lines
        // carry no service.name, and the tags are ANDed). Loki indexes both attributes by default.
        tags: [
          { key: 'k8s.namespace.name', value: 'k8s_namespace_name' },
          { key: 'k8s.pod.name', value: 'k8s_pod_name' },
        ],
      },
      tracesToMetrics: {
        datasourceUid: uid.prometheus,
        spanStartTimeShift: '-5m',
        spanEndTimeShift: '5m',
        tags: [{ key: 'service.name', value: spanMetrics.serviceLabel }],
        queries: [
          { name: 'Request rate', query: `sum(rate(${spanMetrics.calls}{${tags}}[5m]))` },
          { name: 'Error rate', query: `sum(rate(${spanMetrics.calls}{${tags}, status_code="STATUS_CODE_ERROR"}[5m]))` },
          { name: 'p95 latency', query: `histogram_quantile(0.95, sum by (le) (rate(${spanMetrics.latencyBucket}{${tags}}[5m])))` },
        ],
      },
      serviceMap: { datasourceUid: uid.prometheus },
      nodeGraph: { enabled: true },
    }),
    ...(b.alertmanager ? [common('alertmanager', b.alertmanager, { implementation: 'prometheus', handleGrafanaManagedAlerts: false })] : []),
  ];
}
