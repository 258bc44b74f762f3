import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import type { ExposeConfig, GrafanaDatabaseConfig, GrafanaOidcConfig } from '../src/model/types.ts';
import { datasourceName, datasourceUids, GLOBAL_PROMETHEUS_UID } from '../src/dashboards/datasources.ts';
import type { DashboardFolder } from '../src/dashboards/folders.ts';
import { oidcEndpoints } from '../src/grafana/oidc-endpoints.ts';
import { GRAFANA_PORT } from '../src/grafana/root-url.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { ALERTMANAGER_PORT } from './alertmanager.ts';
import { configMapVolume, dataVolumeClaim, emptyDirVolume, httpProbe, metadata, serviceHost, type StackContext } from './common.ts';
import { exposeComponent, type Exposure } from './exposure.ts';
import { IMAGES } from '../src/model/images.ts';
import { LOKI_HTTP_PORT } from './loki.ts';
import { urlPort } from './network-policy.ts';
import { PROMETHEUS_PORT } from './prometheus.ts';
import { EXEMPLAR_TRACE_ID_LABELS, type SpanMetricsSeries } from '../src/model/span-metrics.ts';
import { TEMPO_HTTP_PORT } from './tempo.ts';
import { configMap, container, podTemplate, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export { GRAFANA_PORT } from '../src/grafana/root-url.ts';
/** Unified alerting's gossip between replicas (TCP and UDP), so that one alert notifies once. */
const ALERTING_HA_PORT = 9094;
export const GRAFANA_DATA_DIR = '/var/lib/grafana';
export const GRAFANA_PROVISIONING_DIR = '/etc/grafana/provisioning';
export const GRAFANA_DASHBOARDS_DIR = '/var/lib/grafana-dashboards';
/** Plugins live on their own emptyDir, filled by the init containers on every start: exactly the configured versions. */
export const GRAFANA_PLUGINS_DIR = '/var/lib/grafana-plugins';
const ADMIN_DIR = '/etc/grafana/admin';
const DATABASE_DIR = '/etc/grafana/database';
const OIDC_DIR = '/etc/grafana/oidc';
const TOKEN_DIR = '/etc/grafana/cross-cluster';
/** How often the file provider rescans the dashboards' ConfigMap mount. */
const DASHBOARD_RESCAN_SECONDS = 30;

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

export interface GrafanaProps extends WorkloadProps {
  readonly namespace: string;
  /** Existing Secret with keys `admin-user` and `admin-password`; never synthesized. The local admin stays for break-glass access. */
  readonly adminSecret: string;
  /** One set per cloud Grafana shows; the first one is the default. */
  readonly backends: readonly GrafanaBackendSet[];
  /** Secret with key `token`, for remote backends. */
  readonly tokenSecret: string;
  /** Dashboards provisioned from a ConfigMap, read-only in the UI, reloaded without a restart. */
  /** Dashboards by folder (the user's included), each folder provisioned from its own ConfigMap, read-only in the UI. */
  readonly dashboards: readonly DashboardFolder[];
  /** The span metrics the trace → metrics links query. */
  readonly spanMetrics: SpanMetricsSeries;
  /** Replicas; more than one only with {@link GrafanaProps.database}. @default 1 */
  readonly replicas?: number;
  /** Size of the PersistentVolume holding SQLite when there is no external database. @default '10Gi' */
  readonly storage?: string;
  /** External PostgreSQL or MySQL; without it, SQLite on a PersistentVolume. */
  readonly database?: GrafanaDatabaseConfig;
  /** Single sign-on through an OpenID Connect provider. */
  readonly oidc?: GrafanaOidcConfig;
  /** Plugins installed at start, `id@version`. @default none */
  readonly plugins?: readonly string[];
  /** Ingress or HTTPRoute in front of Grafana. @default none */
  readonly expose?: ExposeConfig;
  /** Ingress controller namespace when the exposure names none. */
  readonly ingressNamespace?: string;
  /** The app and port the local Prometheus datasource queries (vmselect in the `victoriametrics-cluster` mode). @default prometheus, 9090 */
  readonly metricsQuery?: { readonly app: string; readonly port: number };
  /** Query URL of the global vmselect (every victoriametrics-cluster backend), for the datasource `Prometheus (global)`. @default none */
  readonly globalMetrics?: string;
}

/**
 * Grafana with provisioned, cross-linked datasources (exemplars → traces, log trace ids → traces,
 * traces → logs and metrics, service map) and dashboards from a ConfigMap. Its state (users, API
 * tokens, annotations, UI-made alerts) lives in SQLite on a PersistentVolume, or in an external
 * PostgreSQL/MySQL, which also allows several replicas. Credentials come from Secrets the user
 * owns, read through `__FILE` variables, never from the manifests.
 *
 * A Deployment in both modes: with SQLite, one replica, a PVC and the `Recreate` strategy (the old
 * pod releases the ReadWriteOnce volume before the new one mounts it); with an external database,
 * rolling updates. One kind for both keeps the object (and its history) when a team moves to a
 * database, and the PVC, unlike a StatefulSet's claim template, can be resized from the config.
 */
export class Grafana extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** Where users reach Grafana, when exposed. */
  readonly exposure?: Exposure;

  constructor(scope: Construct, name: string, ctx: StackContext, props: GrafanaProps) {
    super(scope, name);
    const id: ComponentId = { app: 'grafana', component: 'grafana', namespace: props.namespace };
    this.id = id;
    const replicas = props.database ? (props.replicas ?? 1) : 1;
    if ((props.replicas ?? 1) > 1 && !props.database) throw new Error('Grafana replicas > 1 need an external database');
    const plugins = props.plugins ?? [];
    const datasources = dumpYaml(grafanaDatasources(props.backends, `${TOKEN_DIR}/token`, props.spanMetrics, props.globalMetrics));
    const remote = props.backends.some((b) => b.remote);
    const providers = dumpYaml(dashboardProviders(props.dashboards));
    // One ConfigMap per folder: each stays far below the 1 MiB ConfigMap limit.
    const folders = props.dashboards.map((f) => ({ ...folderFiles(f), data: Object.fromEntries(f.dashboards.map((d) => [d.fileName, JSON.stringify(d.json, null, 2)])) }));
    serviceAccount(this, ctx, id);
    configMap(this, ctx, id, 'grafana-datasources', { 'datasources.yaml': datasources });
    configMap(this, ctx, id, 'grafana-dashboard-providers', { 'dashboards.yaml': providers });
    for (const f of folders) configMap(this, ctx, id, f.configMap, f.data);
    this.exposure = props.expose
      ? exposeComponent(this, ctx, id, { expose: props.expose, servicePort: GRAFANA_PORT, podPort: GRAFANA_PORT, defaultControllerNamespace: props.ingressNamespace })
      : undefined;
    const headlessService = `${id.app}-headless`;
    const env = grafanaEnv({
      database: props.database,
      oidc: props.oidc,
      plugins,
      exposure: this.exposure,
      haPeers: replicas > 1 ? `${serviceHost(headlessService, id.namespace)}:${ALERTING_HA_PORT}` : undefined,
    });

    const secretVolume = (volume: string, secretName: string, mountPath: string) => ({ volume: { name: volume, secret: { secretName } }, mount: { name: volume, mountPath, readOnly: true } });
    const secrets = [
      secretVolume('admin', props.adminSecret, ADMIN_DIR),
      ...(props.database ? [secretVolume('database', props.database.passwordSecret.secret, DATABASE_DIR)] : []),
      ...(props.oidc ? [secretVolume('oidc', props.oidc.clientSecret.secret, OIDC_DIR)] : []),
      ...(remote ? [secretVolume('cross-cluster-token', props.tokenSecret, TOKEN_DIR)] : []),
    ];
    if (!props.database) {
      const claim = dataVolumeClaim(ctx, id.app, id.component, props.storage ?? '10Gi');
      new k8s.KubePersistentVolumeClaim(this, 'data-pvc', { metadata: metadata(ctx, { name: `${id.app}-data`, namespace: id.namespace, app: id.app, component: id.component }), spec: claim.spec });
    }
    const pluginMounts = [
      { name: 'plugins', mountPath: GRAFANA_PLUGINS_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: [...new Set(secrets.map((s) => s.volume.secret.secretName))] }),
      spec: {
        replicas,
        strategy: props.database ? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0) } } : { type: 'Recreate' },
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: false,
          uid: 472,
          spreadAcrossArchitectures: replicas > 1,
          // Only what Grafana reads at start: its settings and the datasource and provider files.
          // Dashboards (stack health, SLOs) are rescanned by the file provider, without a restart.
          configContents: [JSON.stringify(env), datasources, providers],
          initContainers: plugins.map((p, i) => pluginInstaller(p, i, pluginMounts)),
          containers: [
            container({
              name: 'grafana',
              image: IMAGES.grafana,
              env,
              ports: [
                { name: 'http-metrics', containerPort: GRAFANA_PORT },
                ...(replicas > 1
                  ? [
                      { name: 'alerting-tcp', containerPort: ALERTING_HA_PORT },
                      { name: 'alerting-udp', containerPort: ALERTING_HA_PORT, protocol: 'UDP' as const },
                    ]
                  : []),
              ],
              resources: props.overrides?.resources ?? defaultResources('grafana'),
              liveness: httpProbe('/api/health', 'http-metrics', { initialDelaySeconds: 30 }),
              readiness: httpProbe('/api/health', 'http-metrics'),
              mounts: [
                ...secrets.map((s) => s.mount),
                { name: 'datasources', mountPath: `${GRAFANA_PROVISIONING_DIR}/datasources`, readOnly: true },
                { name: 'dashboard-providers', mountPath: `${GRAFANA_PROVISIONING_DIR}/dashboards`, readOnly: true },
                ...folders.map((f) => ({ name: f.volume, mountPath: f.path, readOnly: true })),
                { name: 'data', mountPath: GRAFANA_DATA_DIR },
                ...pluginMounts,
              ],
            }),
          ],
          volumes: [
            ...secrets.map((s) => s.volume),
            configMapVolume('datasources', 'grafana-datasources'),
            configMapVolume('dashboard-providers', 'grafana-dashboard-providers'),
            ...folders.map((f) => configMapVolume(f.volume, f.configMap)),
            // With an external database the data folder holds only caches and sessions' files.
            props.database ? emptyDirVolume('data', '1Gi') : { name: 'data', persistentVolumeClaim: { claimName: `${id.app}-data` } },
            emptyDirVolume('plugins', '1Gi'),
            emptyDirVolume('tmp', '256Mi'),
          ],
        }),
      },
    });
    service(this, ctx, id, [{ name: 'http-metrics', port: GRAFANA_PORT, targetPort: 'http-metrics' }]);
    if (replicas > 1) service(this, ctx, id, [{ name: 'alerting-tcp', port: ALERTING_HA_PORT, targetPort: 'alerting-tcp' }], { name: headlessService, headless: true });
    const inCluster: [string, number][] = [
      [props.metricsQuery?.app ?? 'prometheus', props.metricsQuery?.port ?? PROMETHEUS_PORT],
      ['loki', LOKI_HTTP_PORT],
      ['tempo', TEMPO_HTTP_PORT],
      ['alertmanager', ALERTMANAGER_PORT],
    ];
    const remotePorts = [...new Set(props.backends.filter((b) => b.remote).flatMap((b) => [b.prometheus, b.loki, b.tempo].map(urlPort)))];
    const oidcPorts = props.oidc ? [...new Set([props.oidc.issuer, ...Object.values(oidcEndpoints(props.oidc.issuer, props.oidc)!)].map(urlPort))] : [];
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      ...(props.backends.some((b) => !b.remote)
        ? inCluster.map(([app, port]) => ({ from: self, to: { app, namespace: id.namespace }, ports: [port], why: `Grafana queries ${app}` }))
        : []),
      ...remotePorts.map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'Grafana queries the backends of other clouds' })),
      ...(props.database ? [{ from: self, to: { internet: true } as const, ports: [Number(props.database.host.split(':')[1])], why: `Grafana keeps its state in the external ${props.database.type} database` }] : []),
      ...oidcPorts.map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'single sign-on: Grafana exchanges codes for tokens and reads userinfo at the OIDC provider' })),
      ...(plugins.length ? [{ from: self, to: { internet: true } as const, ports: [443], why: 'plugin downloads from grafana.com at start (the configured plugins only)' }] : []),
      ...(replicas > 1
        ? [{ from: self, to: self, ports: [{ port: ALERTING_HA_PORT, protocol: 'TCP' as const }, { port: ALERTING_HA_PORT, protocol: 'UDP' as const }], why: 'Grafana replicas gossip alert notification state' }]
        : []),
    );
  }
}

/** Where a folder's dashboards live: its ConfigMap, the pod volume and the directory its provider reads. */
export function folderFiles(folder: DashboardFolder): { configMap: string; volume: string; path: string } {
  return { configMap: `grafana-dashboards-${folder.name}`, volume: `dashboards-${folder.name}`, path: `${GRAFANA_DASHBOARDS_DIR}/${folder.name}` };
}

/**
 * The dashboard provisioning file: one file provider per folder (a provider puts everything it reads
 * in its one `folder`), with a stable folder uid so that links and permissions survive restarts;
 * rescanned, read-only in the UI, and a dashboard whose file goes away goes too.
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
      // Grafana's state now persists: a removed SLO's dashboard must not linger forever.
      disableDeletion: false,
      updateIntervalSeconds: DASHBOARD_RESCAN_SECONDS,
      options: { path: folderFiles(f).path },
    })),
  };
}

/** One init container per plugin: `grafana cli` installs exactly `id` at `version` into the plugins emptyDir. */
function pluginInstaller(plugin: string, index: number, mounts: k8s.VolumeMount[]): k8s.Container {
  const [pluginId, version] = plugin.split('@') as [string, string];
  return {
    ...container({
      name: `plugin-${index}`,
      image: IMAGES.grafana,
      resources: { cpu: { request: '50m', limit: '500m' }, memory: { request: '64Mi', limit: '256Mi' } },
      mounts,
    }),
    command: ['grafana', 'cli', '--pluginsDir', GRAFANA_PLUGINS_DIR, 'plugins', 'install', pluginId, version],
  };
}

export interface GrafanaEnvOptions {
  readonly database?: GrafanaDatabaseConfig;
  readonly oidc?: GrafanaOidcConfig;
  readonly plugins: readonly string[];
  readonly exposure?: Exposure;
  /** `host:port` of the headless Service when several replicas share alert state. */
  readonly haPeers?: string;
}

/**
 * Grafana's settings, as `GF_<SECTION>_<KEY>` variables (every one in constructs/grafana-settings.ts,
 * checked against the pinned version). Secrets only as `__FILE` paths into mounted Secrets. Nothing
 * phones home: usage reporting, update checks, the news feed, external snapshots, the background
 * plugin installer (which would fetch Grafana's default plugin list) are off, and so is the plugin
 * signing-key download unless plugins are configured (then Grafana reaches grafana.com anyway).
 */
export function grafanaEnv(o: GrafanaEnvOptions): k8s.EnvVar[] {
  const v = (name: string, value: string | boolean): k8s.EnvVar => ({ name, value: String(value) });
  const db = o.database;
  const oidc = o.oidc;
  const endpoints = oidc ? oidcEndpoints(oidc.issuer, oidc) : undefined;
  if (oidc && !endpoints) throw new Error(`no OAuth endpoints for issuer ${oidc.issuer}`);
  return [
    v('GF_SECURITY_ADMIN_USER__FILE', `${ADMIN_DIR}/admin-user`),
    v('GF_SECURITY_ADMIN_PASSWORD__FILE', `${ADMIN_DIR}/admin-password`),
    v('GF_PATHS_DATA', GRAFANA_DATA_DIR),
    v('GF_PATHS_PLUGINS', GRAFANA_PLUGINS_DIR),
    v('GF_PATHS_PROVISIONING', GRAFANA_PROVISIONING_DIR),
    v('GF_USERS_ALLOW_SIGN_UP', false),
    v('GF_AUTH_ANONYMOUS_ENABLED', false),
    v('GF_ANALYTICS_REPORTING_ENABLED', false),
    v('GF_ANALYTICS_CHECK_FOR_UPDATES', false),
    v('GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', false),
    v('GF_PLUGINS_PREINSTALL_DISABLED', true),
    ...(o.plugins.length ? [] : [v('GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED', true)]),
    v('GF_NEWS_NEWS_FEED_ENABLED', false),
    v('GF_SNAPSHOTS_EXTERNAL_ENABLED', false),
    ...(o.exposure
      ? [v('GF_SERVER_DOMAIN', o.exposure.host), v('GF_SERVER_ROOT_URL', o.exposure.url), ...(o.exposure.tls ? [v('GF_SECURITY_COOKIE_SECURE', true)] : [])]
      : []),
    ...(db
      ? [
          v('GF_DATABASE_TYPE', db.type),
          v('GF_DATABASE_HOST', db.host),
          v('GF_DATABASE_NAME', db.name),
          v('GF_DATABASE_USER', db.user),
          v('GF_DATABASE_PASSWORD__FILE', `${DATABASE_DIR}/${db.passwordSecret.key}`),
          v('GF_DATABASE_SSL_MODE', db.sslMode ?? (db.type === 'postgres' ? 'require' : 'true')),
        ]
      : []),
    ...(oidc && endpoints
      ? [
          v('GF_AUTH_GENERIC_OAUTH_ENABLED', true),
          v('GF_AUTH_GENERIC_OAUTH_NAME', oidc.name),
          v('GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP', true),
          v('GF_AUTH_GENERIC_OAUTH_CLIENT_ID', oidc.clientId),
          v('GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET__FILE', `${OIDC_DIR}/${oidc.clientSecret.key}`),
          v('GF_AUTH_GENERIC_OAUTH_SCOPES', oidc.scopes.join(' ')),
          v('GF_AUTH_GENERIC_OAUTH_AUTH_URL', endpoints.authUrl),
          v('GF_AUTH_GENERIC_OAUTH_TOKEN_URL', endpoints.tokenUrl),
          v('GF_AUTH_GENERIC_OAUTH_API_URL', endpoints.apiUrl),
          v('GF_AUTH_GENERIC_OAUTH_USE_PKCE', true),
          ...(oidc.roleAttributePath ? [v('GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH', oidc.roleAttributePath)] : []),
          v('GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT', oidc.roleAttributeStrict),
          v('GF_AUTH_GENERIC_OAUTH_GROUPS_ATTRIBUTE_PATH', oidc.groupsAttributePath),
          ...(oidc.allowedGroups.length ? [v('GF_AUTH_GENERIC_OAUTH_ALLOWED_GROUPS', JSON.stringify(oidc.allowedGroups))] : []),
          ...(oidc.allowedDomains.length ? [v('GF_AUTH_GENERIC_OAUTH_ALLOWED_DOMAINS', oidc.allowedDomains.join(' '))] : []),
        ]
      : []),
    ...(o.haPeers
      ? [
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          v('GF_UNIFIED_ALERTING_HA_LISTEN_ADDRESS', `0.0.0.0:${ALERTING_HA_PORT}`),
          v('GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS', `$(POD_IP):${ALERTING_HA_PORT}`),
          v('GF_UNIFIED_ALERTING_HA_PEERS', o.haPeers),
        ]
      : []),
  ];
}

/**
 * The datasource provisioning file: per cloud, Prometheus, Loki, Tempo (and Alertmanager when in
 * the cluster), cross-linked within the cloud. `$$` is Grafana's escape for a literal `$`;
 * `$__file{…}` reads the bearer token from the mounted Secret.
 */
export function grafanaDatasources(backends: readonly GrafanaBackendSet[], tokenFile: string, spanMetrics: SpanMetricsSeries, globalMetrics?: string): object {
  const global = globalMetrics
    ? [{ name: datasourceName(GLOBAL_PROMETHEUS_UID), type: 'prometheus', uid: GLOBAL_PROMETHEUS_UID, url: globalMetrics, access: 'proxy', editable: false, jsonData: { httpMethod: 'POST' } }]
    : [];
  return { apiVersion: 1, datasources: [...backends.flatMap((b, i) => cloudDatasources(b, i === 0, tokenFile, spanMetrics)), ...global] };
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
