import type { KeyPath } from '../../input/yaml-source.ts';
import type { BurnAlert, Sli, Slo, SloAlerting } from '../model.ts';
import { splitSelector } from '../promql.ts';
import { shortWindowFor } from '../windows.ts';
import { checkAlertName, checkName, checkObjective, checkPeriod, checkQueryTemplate, eventsSli, finishSlo, rawSli, staleAck, type ParseResult, type UnpairedAck } from './common.ts';
import { Fields } from './fields.ts';

/** Kinds we read; the others are valid OpenSLO that has no bearing on Prometheus rules. */
const IGNORED_KINDS = ['Service', 'DataSource', 'AlertNotificationTarget'];
const KINDS = ['SLO', 'SLI', 'AlertPolicy', 'AlertCondition', ...IGNORED_KINDS];
/** SLO annotation acknowledging a good/bad query that reads other series than the total's; its value says why. */
const ACK_ANNOTATION = 'o11y.dev/unpaired-series';
/** Absent-data alert delay when a policy asks for `alertWhenNoData` without saying how long. */
const DEFAULT_NO_DATA_FOR = 600;

/**
 * OpenSLO v1 documents of one or more files: SLOs with ratio (or raw) Prometheus metrics, SLIs and
 * alert policies referenced by name. Burn-rate conditions become alerts; OpenSLO gives no short window,
 * so it is 1/12 of the lookback window.
 */
export function parseOpenSlo(docs: readonly Fields[]): ParseResult {
  const problems = docs[0]?.problems ?? [];
  const byKind = new Map<string, Map<string, Fields>>();
  const slos: Fields[] = [];
  for (const doc of docs) {
    doc.allowOnly(['apiVersion', 'kind', 'metadata', 'spec']);
    const kind = doc.string('kind');
    if (kind && !KINDS.includes(kind)) doc.problem('kind', `unknown OpenSLO kind "${kind}"; allowed: ${KINDS.join(', ')}`);
    const name = doc.object('metadata')?.string('name') ?? '';
    if (kind === 'SLO') slos.push(doc);
    else if (name) (byKind.get(kind) ?? byKind.set(kind, new Map()).get(kind)!).set(name, doc);
  }
  const resolve: Resolve = (kind, name, report) => {
    const found = byKind.get(kind)?.get(name);
    if (name && !found) report(`no ${kind} named "${name}" in the given files`);
    return found?.object('spec');
  };
  return { slos: slos.flatMap((doc) => readSlo(doc, resolve)), problems };
}

/** Finds the spec of a document referenced by name; `report` locates the problem when there is none. */
type Resolve = (kind: string, name: string, report: (message: string) => void) => Fields | undefined;

/** Resolves `holder[key]` as a reference to a document of `kind`. */
function resolveRef(resolve: Resolve, kind: string, holder: Fields, key: string): Fields | undefined {
  return resolve(kind, holder.string(key), (m) => holder.problem(key, m));
}

function readSlo(doc: Fields, resolve: Resolve): Slo[] {
  const metadata = doc.object('metadata');
  metadata?.allowOnly(['name', 'displayName', 'labels', 'annotations', 'namespace']);
  const name = metadata?.string('name') ?? '';
  if (metadata) checkName(metadata, 'name', name);
  const labels = metadata?.labels('labels', true) ?? {};
  const annotations = metadata?.object('annotations');
  const ack: UnpairedAck = {
    reason: annotations?.string(ACK_ANNOTATION, false),
    how: `the annotation ${ACK_ANNOTATION}: "<why>" in the SLO's metadata.annotations`,
    problem: (m) => annotations?.problem(ACK_ANNOTATION, m),
  };
  const spec = doc.object('spec');
  if (!spec) {
    doc.problem('spec', 'required');
    return [];
  }
  spec.allowOnly(['description', 'service', 'indicator', 'indicatorRef', 'timeWindow', 'budgetingMethod', 'objectives', 'alertPolicies']);
  const service = spec.string('service');
  checkName(spec, 'service', service);
  const method = spec.string('budgetingMethod', false) ?? 'Occurrences';
  if (method !== 'Occurrences') spec.problem('budgetingMethod', `budgetingMethod "${method}" is not supported: only Occurrences maps to Prometheus ratio rules`);
  const sli = readIndicator(spec, resolve, name, ack);
  const period = readTimeWindow(spec);
  const alerting = readAlertPolicies(spec, resolve);
  const objectives = spec.list('objectives');
  if (!objectives.length) spec.problem('objectives', 'at least one objective is required');
  return objectives.flatMap((item, i) => {
    const objective = Fields.of(spec.source, item.path, item.value, spec.problems, 'an objective');
    if (!objective) return [];
    objective.allowOnly(['displayName', 'target', 'targetPercent', 'op', 'value', 'timeSliceTarget', 'timeSliceWindow']);
    const target = objective.number('target');
    const percent = objective.has('targetPercent') ? objective.number('targetPercent') : target === undefined ? undefined : Number((target * 100).toPrecision(12));
    const slo = finishSlo(
      {
        service,
        name: objectives.length > 1 ? `${name}-${i + 1}` : name,
        description: spec.string('description', false) ?? '',
        objective: checkObjective(objective, objective.has('targetPercent') ? 'targetPercent' : 'target', percent),
        period,
        labels,
        sli,
        alerting,
      },
      'openslo/v1',
      doc,
    );
    return slo ? [slo] : [];
  });
}

function readIndicator(spec: Fields, resolve: Resolve, sloName: string, ack: UnpairedAck): Sli | undefined {
  let sliSpec: Fields | undefined;
  if (spec.has('indicator')) {
    sliSpec = spec.object('indicator')?.allowOnly(['metadata', 'spec']).object('spec');
  } else if (spec.has('indicatorRef')) {
    sliSpec = resolveRef(resolve, 'SLI', spec, 'indicatorRef');
  } else {
    spec.problem(undefined, 'no SLI given: set indicator or indicatorRef');
  }
  if (!sliSpec) return undefined;
  sliSpec.allowOnly(['description', 'thresholdMetric', 'ratioMetric']);
  if (sliSpec.has('thresholdMetric')) {
    sliSpec.problem('thresholdMetric', 'thresholdMetric SLIs are not supported: use ratioMetric');
    return undefined;
  }
  const ratio = sliSpec.object('ratioMetric');
  if (!ratio) {
    sliSpec.problem(undefined, 'no SLI given: set ratioMetric');
    return undefined;
  }
  ratio.allowOnly(['counter', 'good', 'bad', 'total', 'raw', 'rawType']);
  const counter = ratio.bool('counter');
  const kinds = ['good', 'bad', 'raw'].filter((k) => ratio.has(k));
  if (kinds.length !== 1) {
    ratio.problem(kinds[1], kinds.length ? `only one SLI type is allowed, found ${kinds.join(' and ')}` : 'no SLI given: set good or bad (with total), or raw');
    return undefined;
  }
  const kind = kinds[0]!;
  const query = metricQuery(ratio, kind, counter);
  if (kind === 'raw') {
    staleAck(ack, `SLO "${sloName}"`);
    const rawType = ratio.string('rawType', false) ?? 'failure';
    if (rawType !== 'success' && rawType !== 'failure') ratio.problem('rawType', `"${rawType}" is not one of success, failure`);
    return rawSli(rawType === 'success' ? `1 - (${query})` : query);
  }
  const total = metricQuery(ratio, 'total', counter);
  if (!query || !total) return undefined;
  const errorQuery = kind === 'bad' ? query : `(${total}) - (${query})`;
  return eventsSli(ratio, kind, errorQuery, total, `SLO "${sloName}"`, ack);
}

/** `<key>.metricSource.spec.query`; a bare counter selector gets `sum(rate(…[{{.window}}]))` around it. */
function metricQuery(ratio: Fields, key: string, counter: boolean): string {
  const source = ratio.object(key)?.allowOnly(['metricSource']).object('metricSource');
  if (!source) {
    if (!ratio.has(key)) ratio.problem(key, 'required');
    return '';
  }
  source.allowOnly(['metricSourceRef', 'type', 'spec']);
  const type = source.string('type', false) ?? 'Prometheus';
  if (type.toLowerCase() !== 'prometheus') source.problem('type', `metric source type "${type}" is not supported: only Prometheus`);
  const querySpec = source.object('spec');
  if (!querySpec) {
    source.problem('spec', 'required: spec.query holds the PromQL');
    return '';
  }
  const query = querySpec.string('query');
  const wrapped = counter && !query.includes('{{') && splitSelector(query) ? `sum(rate(${query.trim()}[{{.window}}]))` : query;
  return wrapped && checkQueryTemplate(querySpec, 'query', wrapped);
}

function readTimeWindow(spec: Fields): number {
  const windows = spec.list('timeWindow');
  if (windows.length !== 1) {
    spec.problem('timeWindow', 'exactly one time window is required');
    return NaN;
  }
  const window = Fields.of(spec.source, windows[0]!.path, windows[0]!.value, spec.problems, 'a time window');
  if (!window) return NaN;
  window.allowOnly(['duration', 'isRolling', 'calendar']);
  if (window.has('calendar') || window.value.isRolling === false) {
    window.problem(undefined, 'calendar time windows cannot be expressed as a PromQL range: use a rolling window (isRolling: true)');
  }
  const duration = window.duration('duration');
  if (duration === undefined && !window.has('duration')) window.problem('duration', 'required, e.g. 28d');
  return checkPeriod(window, 'duration', duration);
}

function readAlertPolicies(spec: Fields, resolve: Resolve): SloAlerting | undefined {
  const alerts: BurnAlert[] = [];
  let absent: { name: string; for: number } | undefined;
  for (const item of spec.list('alertPolicies')) {
    const policy = policyFields(spec, item, resolve);
    if (!policy) continue;
    policy.spec.allowOnly(['description', 'alertWhenNoData', 'alertWhenResolved', 'alertWhenBreaching', 'conditions', 'notificationTargets']);
    const name = alertName(policy.name);
    checkAlertName(policy.spec, undefined, name);
    for (const c of policy.spec.list('conditions')) {
      const ref = Fields.of(spec.source, c.path, c.value, spec.problems, 'a condition');
      const condition = ref && (ref.has('conditionRef') ? resolveRef(resolve, 'AlertCondition', ref, 'conditionRef') : ref.allowOnly(['kind', 'metadata', 'spec']).object('spec'));
      const alert = condition && readCondition(condition, name);
      if (alert) addCondition(alerts, alert);
    }
    if (policy.spec.bool('alertWhenNoData')) absent ??= { name, for: alerts.at(-1)?.for || DEFAULT_NO_DATA_FOR };
  }
  if (!alerts.length && !absent) return undefined;
  return { name: absent?.name ?? alerts[0]!.name, alerts, absentFor: absent?.for };
}

/** An alert policy given by name, as `{alertPolicyRef: name}`, or inline. */
function policyFields(spec: Fields, item: { path: KeyPath; value: unknown }, resolve: Resolve) {
  if (typeof item.value === 'string') {
    const found = resolve('AlertPolicy', item.value, (m) => spec.problems.push(spec.source.problem(item.path, m)));
    return found && { name: item.value, spec: found };
  }
  const ref = Fields.of(spec.source, item.path, item.value, spec.problems, 'an alert policy');
  if (!ref) return undefined;
  if (ref.has('alertPolicyRef')) {
    const found = resolveRef(resolve, 'AlertPolicy', ref, 'alertPolicyRef');
    return found && { name: ref.string('alertPolicyRef'), spec: found };
  }
  ref.allowOnly(['kind', 'metadata', 'spec']);
  const policySpec = ref.object('spec');
  return policySpec && { name: ref.object('metadata')?.string('name') ?? '', spec: policySpec };
}

function readCondition(condition: Fields, name: string): BurnAlert | undefined {
  condition.allowOnly(['description', 'severity', 'condition']);
  const severity = condition.string('severity');
  const burn = condition.object('condition');
  if (!burn) {
    condition.problem('condition', 'required');
    return undefined;
  }
  burn.allowOnly(['kind', 'op', 'threshold', 'lookbackWindow', 'alertAfter']);
  const kind = burn.string('kind');
  if (kind && kind !== 'burnrate') burn.problem('kind', `condition kind "${kind}" is not supported: only burnrate`);
  const op = burn.string('op', false) ?? 'gte';
  if (op !== 'gt' && op !== 'gte') burn.problem('op', `op "${op}" is not supported for burn rates: use gt or gte`);
  const threshold = burn.number('threshold');
  if (threshold === undefined) burn.problem('threshold', 'required: the burn rate factor, e.g. 14.4');
  else if (!(threshold >= 1)) {
    burn.problem('threshold', `burn-rate threshold ${threshold} is below 1: it would fire for a service on track to end its period with budget left; use 1 or more (1 spends the budget exactly over the period)`);
  }
  const long = burn.duration('lookbackWindow');
  if (long === undefined && !burn.has('lookbackWindow')) burn.problem('lookbackWindow', 'required, e.g. 1h');
  if (threshold === undefined || long === undefined || !severity) return undefined;
  return {
    name,
    severity,
    windows: [{ short: shortWindowFor(long), long, factor: threshold }],
    for: burn.duration('alertAfter') ?? 0,
    labels: {},
    annotations: {},
  };
}

/** Conditions of one policy and severity become one alert (OR of their windows), so their ALERTS series cannot collide. */
function addCondition(alerts: BurnAlert[], alert: BurnAlert): void {
  const i = alerts.findIndex((a) => a.name === alert.name && a.severity === alert.severity);
  if (i < 0) alerts.push(alert);
  else alerts[i] = { ...alerts[i]!, windows: [...alerts[i]!.windows, ...alert.windows], for: Math.max(alerts[i]!.for, alert.for) };
}

/** OpenSLO names are DNS labels (`fast-burn`); alert names must be metric-name-like (`FastBurn`). */
export function alertName(name: string): string {
  return name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
