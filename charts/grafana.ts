import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { ALERTMANAGER_PORT } from '../constructs/alertmanager.ts';
import type { StackContext } from '../constructs/common.ts';
import { DATASOURCE_UIDS, Grafana } from '../constructs/grafana.ts';
import { LOKI_HTTP_PORT } from '../constructs/loki.ts';
import { PROMETHEUS_PORT } from '../constructs/prometheus.ts';
import { TEMPO_HTTP_PORT } from '../constructs/tempo.ts';
import { stackHealthDashboard, type DashboardFile } from '../src/dashboards/stack-health.ts';

/** Grafana, its datasources and dashboards. */
export class GrafanaChart extends Chart {
  constructor(scope: Construct, id: string, ctx: StackContext, extraDashboards: readonly DashboardFile[]) {
    super(scope, id, { disableResourceNameHashes: true });
    const ns = ctx.config.namespace;
    new Grafana(this, 'grafana', ctx, {
      namespace: ns,
      adminSecret: ctx.config.components.grafana.adminSecret,
      prometheus: { service: 'prometheus', namespace: ns, port: PROMETHEUS_PORT },
      loki: { service: 'loki', namespace: ns, port: LOKI_HTTP_PORT },
      tempo: { service: 'tempo', namespace: ns, port: TEMPO_HTTP_PORT },
      alertmanager: { service: 'alertmanager', namespace: ns, port: ALERTMANAGER_PORT },
      dashboards: [stackHealthDashboard(DATASOURCE_UIDS.prometheus), ...extraDashboards],
    });
  }
}
