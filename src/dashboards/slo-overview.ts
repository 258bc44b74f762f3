/**
 * Every SLO on one page, from the SLO recording rules (src/slo/rules.ts): budget left and burn
 * rates per SLO, each row linking to its service's dashboard (src/slo/dashboard.ts).
 */
import { SERIES } from '../slo/rules.ts';
import { dashboard, tagLinks, type DefaultDatasources, type Row } from './grafana-json.ts';
import type { DashboardFile } from './stack-health.ts';

/** The tag of the per-service SLO dashboards. */
const SLO_TAG = 'slo';
const BY = 'sloth_service, sloth_slo';
const perSlo = (series: string) => `max by (${BY}) (${series})`;

export function sloOverviewDashboard(defaults: DefaultDatasources): DashboardFile {
  // The per-service dashboard, found by its service name among the SLO dashboards (its uid may be hashed).
  const serviceLink = { title: 'SLO dashboard of ${__data.fields.sloth_service}', url: `/dashboards?tag=${SLO_TAG}&query=\${__data.fields.sloth_service}` };
  const rows: Row[] = [
    {
      title: 'Every SLO',
      panels: [
        {
          title: 'Budget and burn by SLO',
          description: 'Budget remaining over the SLO period (below 0: the objective is missed), the burn rate over the period and now (1 = spending the budget exactly over the period), and firing SLO alerts.',
          type: 'table',
          unit: 'short',
          queries: [
            { expr: perSlo(SERIES.objective), instant: true },
            { expr: perSlo(SERIES.budgetRemaining), instant: true },
            { expr: perSlo(SERIES.periodBurnRate), instant: true },
            { expr: perSlo(SERIES.currentBurnRate), instant: true },
            { expr: `count by (${BY}) (ALERTS{alertstate="firing", sloth_id!=""}) or ${perSlo(SERIES.objective)} * 0`, instant: true },
          ],
          columns: ['objective', 'budget remaining', 'period burn rate', 'current burn rate', 'firing alerts'],
          dataLinks: [serviceLink],
          width: 24,
          height: 10,
        },
        {
          title: 'Error budget remaining by SLO',
          unit: 'percentunit',
          queries: [{ expr: perSlo(SERIES.budgetRemaining), legend: '{{sloth_service}} / {{sloth_slo}}' }],
          dataLinks: [{ title: 'SLO dashboard of ${__field.labels.sloth_service}', url: `/dashboards?tag=${SLO_TAG}&query=\${__field.labels.sloth_service}` }],
        },
        {
          title: 'Current burn rate by SLO',
          unit: 'short',
          queries: [{ expr: perSlo(SERIES.currentBurnRate), legend: '{{sloth_service}} / {{sloth_slo}}' }],
          dataLinks: [{ title: 'SLO dashboard of ${__field.labels.sloth_service}', url: `/dashboards?tag=${SLO_TAG}&query=\${__field.labels.sloth_service}` }],
        },
      ],
    },
  ];
  return dashboard(
    {
      uid: 'o11y-slo-overview',
      title: 'SLOs / Overview',
      description: "Every SLO this Prometheus evaluates, on one page: its objective, error budget left, period and current burn rate and firing alerts, each linking to its service's SLO dashboard.",
      tags: ['slo-overview'],
      variables: [],
      rows,
      links: [tagLinks('Service SLO dashboards', SLO_TAG)],
      from: 'now-7d',
    },
    defaults,
  );
}
