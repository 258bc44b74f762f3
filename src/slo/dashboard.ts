import { createHash } from 'node:crypto';
import { formatDuration } from '../duration.ts';
import { GLOBAL_PROMETHEUS_UID } from '../dashboards/datasources.ts';
import { cloudVariable, SCHEMA_VERSION } from '../dashboards/stack-health.ts';
import type { Slo } from './model.ts';
import { BASE_WINDOW, errorBudget, SERIES, sloSelector } from './rules.ts';

/** Panels query the Prometheus picked in the dashboard's cloud selector. */
const SELECTED = { type: 'prometheus', uid: '${datasource}' };
/** Grafana's limit on dashboard uids. */
const MAX_UID = 40;

/** Stable Grafana uid for a service's SLO dashboard; a hash keeps names that had to be shortened or rewritten apart. */
export function dashboardUid(service: string): string {
  const uid = `slo-${service}`;
  if (uid.length <= MAX_UID && /^[a-z0-9-_]+$/.test(uid)) return uid;
  const hash = createHash('sha256').update(service).digest('hex').slice(0, 8);
  return `${uid.toLowerCase().replace(/[^a-z0-9-_]/g, '-').slice(0, MAX_UID - 9)}-${hash}`;
}

/** The Prometheus datasource that evaluates an SLO's rules in one cloud, and the cloud's name. */
export interface SloCloud {
  readonly cloud: string;
  readonly prometheusUid: string;
  /** The global vmselect reads this cloud's backend (datasource `Prometheus (global)`). @default false */
  readonly inGlobal?: boolean;
}

/**
 * Where each SLO's rules are evaluated: the Prometheus of every cloud it is placed in (a datasource
 * the global Grafana provisions). Without it (a single-cluster stack), every panel queries the
 * Prometheus picked in the dashboard's cloud selector.
 */
export type SloPlacement = (slo: Slo) => readonly SloCloud[];

/** Grafana's server-side expressions. */
export const EXPRESSION_DATASOURCE = { type: '__expr__', uid: '__expr__' } as const;
/** A panel whose queries go to several datasources. */
const MIXED_DATASOURCE = { type: 'datasource', uid: '-- Mixed --' } as const;
/** Divisor floor as in the rules: no traffic anywhere gives an error ratio of 0, not NaN. */
const TINY = '1e-300';

/** Title prefix of the panels that add up every cloud an SLO is placed in. */
export const WHOLE_SERVICE = 'Whole service';

/** One dashboard per service, for each service of `slos` (sorted by service). */
export function serviceDashboards(slos: readonly Slo[], defaultPrometheusUid = 'prometheus', placement?: SloPlacement): { fileName: string; json: object }[] {
  const byService = new Map<string, Slo[]>();
  for (const slo of slos) (byService.get(slo.service) ?? byService.set(slo.service, []).get(slo.service)!).push(slo);
  return [...byService.keys()].sort().map((s) => serviceDashboard(s, byService.get(s)!, defaultPrometheusUid, placement));
}

/**
 * One dashboard per service: a row per SLO with the SLI, error budget remaining over the period, burn
 * rates (current, period, and every alert window) and the SLO's alert state. An SLO placed in one
 * cloud shows that cloud's Prometheus; one placed in several shows the cloud picked in the selector,
 * and below it the whole service across those clouds: budget remaining and burn rates from the sums
 * of errors and of requests over every cloud (Grafana math expressions over one query per cloud),
 * never an average of the clouds' ratios, which would weigh a quiet cloud like a busy one.
 */
export function serviceDashboard(service: string, slos: readonly Slo[], defaultPrometheusUid = 'prometheus', placement?: SloPlacement): { fileName: string; json: object } {
  const uid = dashboardUid(service);
  const panels: object[] = [];
  let y = 0;
  for (const slo of slos) {
    const clouds = placement?.(slo) ?? [];
    const ds = clouds.length === 1 ? { type: 'prometheus', uid: clouds[0]!.prometheusUid } : SELECTED;
    const sel = sloSelector(slo);
    const where = clouds.length === 1 ? ` — ${clouds[0]!.cloud} only` : clouds.length > 1 ? ` — ${clouds.map((c) => c.cloud).join(' + ')}` : '';
    const title = `${slo.name} — ${slo.objective}% over ${slo.period / 86400}d${where}`;
    panels.push({ type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    panels.push(stat(ds, `SLI (${BASE_WINDOW / 60}m)`, `1 - ${SERIES.ratio(BASE_WINDOW)}${sel}`, 'percentunit', { x: 0, y: y + 1 }, slo.objective / 100));
    panels.push(stat(ds, 'Error budget remaining', `${SERIES.budgetRemaining}${sel}`, 'percentunit', { x: 4, y: y + 1 }, 0));
    panels.push(stat(ds, 'Firing alerts', `count(ALERTS${alertSel(slo)}) or vector(0)`, 'none', { x: 0, y: y + 5 }, 1, true));
    panels.push(stat(ds, 'Period burn rate', `${SERIES.periodBurnRate}${sel}`, 'none', { x: 4, y: y + 5 }, 1, true));
    panels.push({
      type: 'timeseries',
      title: 'Burn rate by window (1 = spending the budget exactly over the period)',
      datasource: ds,
      gridPos: { h: 8, w: 16, x: 8, y: y + 1 },
      fieldConfig: { defaults: { unit: 'none', min: 0 }, overrides: [] },
      targets: [
        { refId: 'A', datasource: ds, expr: `${SERIES.currentBurnRate}${sel}`, legendFormat: 'current (5m)' },
        { refId: 'B', datasource: ds, expr: `${SERIES.windowRatio}${sel} / ${errorBudget(slo) || 1}`, legendFormat: '{{sloth_window}}' },
        { refId: 'C', datasource: ds, expr: `${SERIES.periodBurnRate}${sel}`, legendFormat: 'period' },
      ],
      links: slo.links.runbook ? [{ title: 'Runbook', url: slo.links.runbook }] : [],
    });
    y += 9;
    if (clouds.length > 1) {
      panels.push(...wholeServicePanels(slo, clouds, y));
      y += 5;
    }
  }
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

/** Query refIds: A, B, …, Z, AA, AB, … */
function refId(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : refId(Math.floor(i / 26) - 1) + refId(i % 26);
}

/**
 * Per cloud, the sum of errors and the sum of requests over `range` (`sum_over_time` of the recorded
 * 5m rates, as the period ratio rule does) or of the current 5m rates; then one math expression:
 * (Σ errors) / (Σ requests) over the clouds, as a burn rate or as the budget remaining. A cloud
 * without an error series counts 0 errors (as the rules do), one without traffic 0 requests.
 * When the global vmselect reads every one of the clouds, one query to it adds them up instead
 * (their backends label each series with its cloud, so the clouds' series stay apart there).
 */
export function wholeServiceQueries(slo: Slo, clouds: readonly SloCloud[], range: string | undefined, output: 'burnRate' | 'budgetRemaining', instant: boolean): object[] {
  const sel = sloSelector(slo);
  const over = (series: string) => (range ? `sum(sum_over_time(${series}${sel}[${range}]))` : `sum(${series}${sel})`);
  const [errorsOf, requestsOf] = [`${over(SERIES.errors)} or vector(0)`, `clamp_min(${over(SERIES.total)} or vector(0), ${TINY})`];
  const mode = instant ? { instant: true, range: false } : { range: true };
  if (clouds.every((c) => c.inGlobal)) {
    const datasource = { type: 'prometheus', uid: GLOBAL_PROMETHEUS_UID };
    return [{ refId: 'A', datasource, ...mode, expr: budgetExpression(slo, `(${errorsOf})`, `(${requestsOf})`, output, '> bool'), legendFormat: 'all clouds' }];
  }
  const targets = clouds.flatMap((c, i) => {
    const common = { datasource: { type: 'prometheus', uid: c.prometheusUid }, hide: true, ...mode };
    return [
      { refId: refId(2 * i), ...common, expr: errorsOf, legendFormat: `${c.cloud} errors` },
      { refId: refId(2 * i + 1), ...common, expr: requestsOf, legendFormat: `${c.cloud} requests` },
    ];
  });
  const errors = clouds.map((_, i) => `$${refId(2 * i)}`).join(' + ');
  const requests = clouds.map((_, i) => `$${refId(2 * i + 1)}`).join(' + ');
  const expression = budgetExpression(slo, `(${errors})`, `(${requests})`, output, '>');
  return [...targets, { refId: refId(2 * clouds.length), datasource: EXPRESSION_DATASOURCE, type: 'math', expression, hide: false }];
}

/** errors / requests as a burn rate or the budget remaining; `gt` is the comparison that yields 0 or 1 (Grafana math's `>`, PromQL's `> bool`). */
function budgetExpression(slo: Slo, errors: string, requests: string, output: 'burnRate' | 'budgetRemaining', gt: '>' | '> bool'): string {
  const budget = errorBudget(slo);
  // A 100% objective has no budget: any error is an infinite burn (b / (1 - b) with b = 1), none is 0; as the rules.
  const burn = budget > 0 ? `${errors} / ${requests} / ${budget}` : `(${errors} ${gt} 0) / (1 - (${errors} ${gt} 0))`;
  return output === 'burnRate' ? burn : `1 - (${burn})`;
}

/** Budget remaining and burn rates of the whole service: every cloud the SLO is placed in, added up. */
function wholeServicePanels(slo: Slo, clouds: readonly SloCloud[], y: number): object[] {
  const period = formatDuration(slo.period);
  const names = clouds.map((c) => c.cloud).join(' + ');
  const shown = (targets: object[]) => (targets.at(-1) as { refId: string }).refId;
  const budgetTargets = wholeServiceQueries(slo, clouds, period, 'budgetRemaining', true);
  const burnTargets = wholeServiceQueries(slo, clouds, period, 'burnRate', true);
  const currentTargets = wholeServiceQueries(slo, clouds, undefined, 'burnRate', false);
  const global = clouds.every((c) => c.inGlobal);
  const description = `Sum of errors over sum of requests across ${names} (not an average of the clouds' ratios)${global ? ', through the global vmselect' : ''}.`;
  const datasource = global ? { type: 'prometheus', uid: GLOBAL_PROMETHEUS_UID } : MIXED_DATASOURCE;
  const wholeStat = (title: string, targets: object[], unit: string, x: number, threshold: number, redAbove: boolean) => ({
    ...stat(datasource, `${WHOLE_SERVICE}: ${title}`, '', unit, { x, y }, threshold, redAbove),
    description,
    gridPos: { h: 5, w: 4, x, y },
    targets,
    transformations: [{ id: 'filterByRefId', options: { include: shown(targets) } }],
  });
  return [
    wholeStat(`error budget remaining (${names})`, budgetTargets, 'percentunit', 0, 0, false),
    wholeStat(`period burn rate (${names})`, burnTargets, 'none', 4, 1, true),
    {
      type: 'timeseries',
      title: `${WHOLE_SERVICE}: current burn rate (${BASE_WINDOW / 60}m, ${names})`,
      description,
      datasource,
      gridPos: { h: 5, w: 16, x: 8, y },
      fieldConfig: { defaults: { unit: 'none', min: 0, displayName: 'all clouds' }, overrides: [] },
      targets: currentTargets,
      transformations: [{ id: 'filterByRefId', options: { include: shown(currentTargets) } }],
    },
  ];
}

function alertSel(slo: Slo): string {
  return `{alertstate="firing", sloth_id=${JSON.stringify(slo.id)}}`;
}

/** A stat panel; `threshold` is where the colour turns (red below it, or above it when `redAbove`). */
function stat(datasource: object, title: string, expr: string, unit: string, pos: { x: number; y: number }, threshold: number, redAbove = false): object {
  const [low, high] = redAbove ? ['green', 'red'] : ['red', 'green'];
  return {
    type: 'stat',
    title,
    datasource,
    gridPos: { h: 4, w: 4, ...pos },
    targets: [{ refId: 'A', datasource, expr, instant: true }],
    fieldConfig: {
      defaults: { unit, decimals: 3, thresholds: { mode: 'absolute', steps: [{ color: low, value: null }, { color: high, value: threshold }] } },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background' },
  };
}
