import { Chart } from 'cdk8s';
import { redactionPolicy } from '../src/model/redaction.ts';
import type { Construct } from 'constructs';
import { ALERTMANAGER_PORT } from '../constructs/alertmanager.ts';
import { serviceHost, type ChartContext } from '../constructs/common.ts';
import { overridesFor } from './overrides.ts';
import { Grafana, grafanaDatasources, type GrafanaBackendSet } from '../constructs/grafana.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { metricsEndpoints } from './metrics-endpoints.ts';
import { victoriaMetricsDashboard } from '../src/dashboards/victoriametrics.ts';
import { victoriaMetricsInUse } from '../src/model/topology.ts';
import { metricsMode } from '../src/model/types.ts';
import { GlobalVmSelect, globalSelectUrl, type GlobalSelectSource } from '../constructs/victoriametrics/global-select.ts';
import { spanMetricsSeries } from '../src/model/span-metrics.ts';
import { TEMPO_HTTP_PORT } from '../constructs/tempo.ts';
import { datasourceUids } from '../src/dashboards/datasources.ts';
import { dashboardFolders, type DashboardFolder } from '../src/dashboards/folders.ts';
import { runbookDashboard } from '../src/dashboards/runbook.ts';
import { globalOverviewDashboard, stackHealthDashboard, type DashboardFile } from '../src/dashboards/stack-health.ts';
import { runbookParts } from '../src/rules/catalogue.ts';
import type { ProvisionedDatasource } from '../src/user/dashboards.ts';

/**
 * The backends Grafana shows: in a single-cluster stack its own; in a multi-cluster stack every
 * cloud's, in the cluster when Grafana runs beside them, through their query URLs otherwise.
 * The Grafana cluster's own cloud comes first (the default datasource).
 */
export function grafanaBackends(ctx: ChartContext): GrafanaBackendSet[] {
  const ns = ctx.config.namespace;
  const url = (service: string, port: number, path = '') => `http://${serviceHost(service, ns)}:${port}${path}`;
  const { query } = metricsEndpoints(ctx);
  const local = (cloud?: string): GrafanaBackendSet => ({
    cloud,
    prometheus: url(query.service, query.port, query.path),
    loki: url('loki', LOKI_HTTP_PORT),
    tempo: url('tempo', TEMPO_HTTP_PORT),
    alertmanager: url('alertmanager', ALERTMANAGER_PORT),
    remote: false,
  });
  if (!ctx.topology.multiCluster) return [local()];
  const sets: GrafanaBackendSet[] = [];
  for (const cloud of ctx.topology.backendClouds) {
    const backend = ctx.topology.backendOf(cloud)!;
    if (backend.kind === 'cluster' && backend.cluster.name === ctx.cluster.name) sets.unshift(local(cloud));
    else {
      const query = backend.kind === 'cluster' ? backend.cluster.query : backend.query;
      if (query) sets.push({ cloud, ...query, remote: true });
    }
  }
  return sets;
}

/** Uid of Grafana's default Prometheus datasource (in the Grafana cluster's context), where dashboards' cloud selectors start. */
export function grafanaPrometheusUid(grafanaCluster: ChartContext): string {
  return datasourceUids(grafanaBackends(grafanaCluster)[0]?.cloud).prometheus;
}

/**
 * The stack's dashboards by folder (in the Grafana cluster's context): Kubernetes, the stack's
 * components with stack health (and the global overview of several clouds) and the runbook (by
 * default its alerts' sections without SLOs), the SLOs.
 */
export function stackDashboards(ctx: ChartContext, sloDashboards: readonly DashboardFile[], runbook: DashboardFile = runbookDashboard(runbookParts())): DashboardFolder[] {
  const backends = grafanaBackends(ctx);
  const prometheusUid = (b: GrafanaBackendSet) => datasourceUids(b.cloud).prometheus;
  const defaults = datasourceUids(backends[0]!.cloud);
  return dashboardFolders(defaults, {
    stack: [
      stackHealthDashboard(
        defaults.prometheus,
        spanMetricsSeries(ctx.config.scale.spanMetricsInGateway),
        ctx.config.clusters.some((c) => redactionPolicy(ctx.config, c)) ? { lokiUid: defaults.loki } : undefined,
      ),
      ...(backends.length > 1 ? [globalOverviewDashboard(backends.map((b) => ({ cloud: b.cloud!, prometheusUid: prometheusUid(b) })))] : []),
      runbook,
      // Only when a backend runs the VictoriaMetrics cluster (its datasource is picked by the cloud selector).
      ...(victoriaMetricsInUse(ctx.config.clusters, ctx.topology) ? [victoriaMetricsDashboard(defaults, { globalSelect: ctx.config.components.victoriametrics.globalSelect })] : []),
    ],
    slos: sloDashboards,
  });
}

/**
 * The victoriametrics-cluster backends the global vmselect reads (in the Grafana cluster's
 * context), in the order of `clusters`; undefined without `components.victoriametrics.globalSelect`.
 */
export function globalSelectSources(ctx: ChartContext): GlobalSelectSource[] | undefined {
  if (!ctx.config.components.victoriametrics.globalSelect) return undefined;
  return ctx.config.clusters
    .filter((c) => ctx.topology.rolesOf(c).has('backend') && metricsMode(c) === 'victoriametrics-cluster')
    .map((c) => (c.name === ctx.cluster.name ? { local: true } : { endpoint: c.metrics!.clusternativeEndpoint! }));
}

/** Uids and names of the datasources Grafana provisions (in the Grafana cluster's context): what dashboards may refer to. */
export function provisionedDatasources(ctx: ChartContext): ProvisionedDatasource[] {
  const global = globalSelectSources(ctx) ? globalSelectUrl(ctx.config.namespace) : undefined;
  const file = grafanaDatasources(grafanaBackends(ctx), '', spanMetricsSeries(ctx.config.scale.spanMetricsInGateway), global) as { datasources: ProvisionedDatasource[] };
  return file.datasources.map(({ uid, name }) => ({ uid, name }));
}

/** The user's dashboards (`dashboards:` in the config), in their own folder. */
export const CUSTOM_FOLDER = { name: 'custom', title: 'Custom' } as const;

/** Grafana, its datasources and dashboards: the stack's folders (`sloDashboards` in the SLOs folder), and the user's in `Custom`. */
export class GrafanaChart extends Chart {
  readonly grafana: Grafana;
  /** Only with `components.victoriametrics.globalSelect`. */
  readonly globalSelect?: GlobalVmSelect;

  constructor(scope: Construct, id: string, ctx: ChartContext, sloDashboards: readonly DashboardFile[], customDashboards: readonly DashboardFile[] = [], runbook?: DashboardFile) {
    super(scope, id, { disableResourceNameHashes: true });
    const backends = grafanaBackends(ctx);
    const spanMetrics = spanMetricsSeries(ctx.config.scale.spanMetricsInGateway);
    const grafana = ctx.config.components.grafana;
    const sources = globalSelectSources(ctx);
    if (sources) {
      this.globalSelect = new GlobalVmSelect(this, 'vmselect-global', ctx, {
        namespace: ctx.config.namespace,
        replicas: ctx.config.components.victoriametrics.vmselectGlobal.replicas,
        sources,
        dedupInterval: ctx.config.components.prometheus.scrapeInterval,
        reader: 'grafana',
        overrides: overridesFor(ctx, 'vmselectGlobal'),
      });
    }
    this.grafana = new Grafana(this, 'grafana', ctx, {
      namespace: ctx.config.namespace,
      adminSecret: grafana.adminSecret,
      replicas: grafana.replicas,
      storage: grafana.storage,
      database: grafana.database,
      oidc: grafana.oidc,
      plugins: grafana.plugins,
      expose: grafana.expose,
      ingressNamespace: ctx.config.networkPolicy.ingressNamespace,
      tokenSecret: ctx.config.crossCluster.tokenSecret,
      backends,
      spanMetrics,
      overrides: overridesFor(ctx, 'grafana'),
      metricsQuery: { app: metricsEndpoints(ctx).query.service, port: metricsEndpoints(ctx).query.port },
      globalMetrics: sources ? globalSelectUrl(ctx.config.namespace) : undefined,
      dashboards: [...stackDashboards(ctx, sloDashboards, runbook), ...(customDashboards.length ? [{ ...CUSTOM_FOLDER, dashboards: customDashboards }] : [])],
    });
  }
}
