import { createHash } from 'node:crypto';
import { cloudVariable, SCHEMA_VERSION } from '../dashboards/stack-health.ts';
import type { Slo } from './model.ts';
import { BASE_WINDOW, errorBudget, SERIES, sloSelector } from './rules.ts';

/** Panels query the Prometheus picked in the dashboard's cloud selector. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Grafana's limit on dashboard uids. */
const MAX_UID = 40;

/** Stable Grafana uid for a service's SLO dashboard; a hash keeps names that had to be shortened or rewritten apart. */
export function dashboardUid(service: string): string {
  const uid = `slo-${service}`;
  if (uid.length <= MAX_UID && /^[a-z0-9-_]+$/.test(uid)) return uid;
  const hash = createHash('sha256').update(service).digest('hex').slice(0, 8);
  return `${uid.toLowerCase().replace(/[^a-z0-9-_]/g, '-').slice(0, MAX_UID - 9)}-${hash}`;
}

/**
 * One dashboard per service: a row per SLO with the SLI, error budget remaining over the period, burn
 * rates (current, period, and every alert window) and the SLO's alert state.
 */
export function serviceDashboard(service: string, slos: readonly Slo[], defaultPrometheusUid = 'prometheus'): { fileName: string; json: object } {
  const uid = dashboardUid(service);
  const panels: object[] = [];
  slos.forEach((slo, i) => {
    const y = i * 9;
    const sel = sloSelector(slo);
    const title = `${slo.name} — ${slo.objective}% over ${slo.period / 86400}d`;
    panels.push({ type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    panels.push(stat(`SLI (${BASE_WINDOW / 60}m)`, `1 - ${SERIES.ratio(BASE_WINDOW)}${sel}`, 'percentunit', { x: 0, y: y + 1 }, slo.objective / 100));
    panels.push(stat('Error budget remaining', `${SERIES.budgetRemaining}${sel}`, 'percentunit', { x: 4, y: y + 1 }, 0));
    panels.push(stat('Firing alerts', `count(ALERTS${alertSel(slo)}) or vector(0)`, 'none', { x: 0, y: y + 5 }, 1, true));
    panels.push(stat('Period burn rate', `${SERIES.periodBurnRate}${sel}`, 'none', { x: 4, y: y + 5 }, 1, true));
    panels.push({
      type: 'timeseries',
      title: 'Burn rate by window (1 = spending the budget exactly over the period)',
      datasource: DATASOURCE,
      gridPos: { h: 8, w: 16, x: 8, y: y + 1 },
      fieldConfig: { defaults: { unit: 'none', min: 0 }, overrides: [] },
      targets: [
        { refId: 'A', datasource: DATASOURCE, expr: `${SERIES.currentBurnRate}${sel}`, legendFormat: 'current (5m)' },
        { refId: 'B', datasource: DATASOURCE, expr: `${SERIES.windowRatio}${sel} / ${errorBudget(slo) || 1}`, legendFormat: '{{sloth_window}}' },
        { refId: 'C', datasource: DATASOURCE, expr: `${SERIES.periodBurnRate}${sel}`, legendFormat: 'period' },
      ],
      links: slo.links.runbook ? [{ title: 'Runbook', url: slo.links.runbook }] : [],
    });
  });
  return {
    fileName: `${uid}.json`,
    json: {
      uid,
      title: `SLOs / ${service}`,
      tags: ['slo', 'o11y'],
      timezone: 'browser',
      schemaVersion: SCHEMA_VERSION,
      version: 1,
      editable: false,
      time: { from: 'now-7d', to: 'now' },
      refresh: '1m',
      templating: { list: [cloudVariable(defaultPrometheusUid)] },
      annotations: { list: [] },
      panels: panels.map((p, id) => ({ id: id + 1, ...p })),
    },
  };
}

function alertSel(slo: Slo): string {
  return `{alertstate="firing", sloth_id=${JSON.stringify(slo.id)}}`;
}

/** A stat panel; `threshold` is where the colour turns (red below it, or above it when `redAbove`). */
function stat(title: string, expr: string, unit: string, pos: { x: number; y: number }, threshold: number, redAbove = false): object {
  const [low, high] = redAbove ? ['green', 'red'] : ['red', 'green'];
  return {
    type: 'stat',
    title,
    datasource: DATASOURCE,
    gridPos: { h: 4, w: 4, ...pos },
    targets: [{ refId: 'A', datasource: DATASOURCE, expr, instant: true }],
    fieldConfig: {
      defaults: { unit, decimals: 3, thresholds: { mode: 'absolute', steps: [{ color: low, value: null }, { color: high, value: threshold }] } },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background' },
  };
}
