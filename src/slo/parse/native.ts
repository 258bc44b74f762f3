import type { Sli } from '../model.ts';
import { splitSelector, withMatcher } from '../promql.ts';
import {
  checkObjective, checkPeriod, checkQueryTemplate, eventsSli, finishSlo, oneSliKind, rawSli, readServiceSlos,
  readSlothAlerting, staleAck, type ParseResult, type UnpairedAck,
} from './common.ts';
import { Fields } from './fields.ts';

/** SLO key acknowledging an error query that reads other series than the total's; its value says why. */
const ACK_KEY = 'unpairedSeries';

const SLI_KINDS = ['events', 'raw', 'latency', 'availability'] as const;

/**
 * Our `version: o11y/v1` format: Sloth's shape in camelCase, plus `period`, latency and availability
 * SLIs, `alerting.absent`, `alerting.runbook`/`dashboard`, and `for` on page/ticket.
 */
export function parseNative(doc: Fields): ParseResult {
  doc.allowOnly(['version', 'service', 'labels', 'slos']);
  return readServiceSlos(doc, ['name', 'description', 'objective', 'period', 'labels', 'sli', 'alerting', ACK_KEY], (slo, { name, service, serviceLabels }) => {
    const period = checkPeriod(slo, 'period', slo.duration('period'));
    const alerting = slo.object('alerting');
    return finishSlo(
      {
        service,
        name,
        description: slo.string('description', false) ?? '',
        objective: checkObjective(slo, 'objective', slo.number('objective')),
        period,
        labels: { ...serviceLabels, ...slo.labels('labels') },
        sli: readSli(slo, name, { reason: slo.string(ACK_KEY, false), how: `the SLO key ${ACK_KEY}: "<why>"`, problem: (m) => slo.problem(ACK_KEY, m) }),
        alerting: readSlothAlerting(slo, { page: 'page', ticket: 'ticket', extra: ['absent', 'runbook', 'dashboard'], extraPerAlert: ['for'] }, period),
        links: { runbook: alerting?.string('runbook', false), dashboard: alerting?.string('dashboard', false) },
      },
      'o11y/v1',
      slo,
    );
  });
}

function readSli(slo: Fields, name: string, ack: UnpairedAck): Sli | undefined {
  const sli = slo.object('sli');
  if (!sli) {
    slo.problem('sli', `no SLI given: set one of sli.${SLI_KINDS.join(', sli.')}`);
    return undefined;
  }
  sli.allowOnly(SLI_KINDS);
  const kind = oneSliKind(sli, SLI_KINDS);
  const block = kind && sli.object(kind);
  if (!block) return undefined;
  if (kind !== 'events') staleAck(ack, `SLO "${name}"`);
  switch (kind) {
    case 'events': {
      block.allowOnly(['errorQuery', 'totalQuery']);
      const errorQuery = checkQueryTemplate(block, 'errorQuery', block.string('errorQuery'));
      return eventsSli(block, 'errorQuery', errorQuery, checkQueryTemplate(block, 'totalQuery', block.string('totalQuery')), `SLO "${name}"`, ack);
    }
    case 'raw':
      block.allowOnly(['errorRatioQuery']);
      return rawSli(checkQueryTemplate(block, 'errorRatioQuery', block.string('errorRatioQuery')));
    case 'latency':
      return latencySli(block.allowOnly(['histogram', 'threshold', 'native']));
    case 'availability':
      return availabilitySli(block.allowOnly(['gauge']));
  }
  return undefined;
}

/** Requests slower than `threshold` seconds are errors; classic (`_bucket`/`_count`) or native histograms. */
function latencySli(block: Fields): Sli | undefined {
  const selector = selectorField(block, 'histogram', 'a histogram metric selector such as http_request_duration_seconds{job="api"}');
  const threshold = block.number('threshold');
  if (threshold === undefined) {
    if (!block.has('threshold')) block.problem('threshold', 'required: the latency objective in seconds, e.g. 0.5');
  } else if (!(threshold > 0)) block.problem('threshold', `threshold ${threshold} must be a positive number of seconds`);
  if (!selector || threshold === undefined || !(threshold > 0)) return undefined;
  const native = block.bool('native');
  const metric = native ? selector.metric : selector.metric.replace(/_(bucket|count|sum)$/, '');
  const histogram = { metric, matchers: selector.matchers, threshold, native, thresholdAt: block.source.at(block.at('threshold')) };
  if (native) {
    const rate = `sum(rate(${metric}${withMatcher(selector.matchers)}[{{.window}}]))`;
    return {
      kind: 'latency',
      totalQuery: `histogram_count(${rate})`,
      errorQuery: `histogram_count(${rate}) * (1 - histogram_fraction(0, ${threshold}, ${rate}))`,
      histogram,
    };
  }
  const total = `sum(rate(${metric}_count${withMatcher(selector.matchers)}[{{.window}}]))`;
  const good = `sum(rate(${metric}_bucket${withMatcher(selector.matchers, `le=~"${leRegex(threshold)}"`)}[{{.window}}]))`;
  return { kind: 'latency', totalQuery: total, errorQuery: `${total} - ${good}`, histogram };
}

/**
 * Matches the bucket boundary as Prometheus 2 exposes it (`1`) and as Prometheus 3 normalises it
 * (`1.0`); `[.]` avoids backslash escapes inside the PromQL string.
 */
export function leRegex(threshold: number): string {
  const text = String(threshold).replace('.', '[.]');
  return Number.isInteger(threshold) ? `${text}([.]0)?` : text;
}

/** A 0/1 gauge (`up`, `probe_success`): the error ratio is the share of samples that were 0. */
function availabilitySli(block: Fields): Sli | undefined {
  const selector = selectorField(block, 'gauge', 'a 0/1 gauge selector such as probe_success{job="blackbox"}');
  if (!selector) return undefined;
  const gauge = `${selector.metric}${withMatcher(selector.matchers)}[{{.window}}]`;
  return {
    kind: 'availability',
    totalQuery: `sum(count_over_time(${gauge}))`,
    errorQuery: `sum(count_over_time(${gauge})) - sum(sum_over_time(${gauge}))`,
  };
}

function selectorField(block: Fields, key: string, what: string) {
  const text = block.string(key);
  if (!text) return undefined;
  const selector = splitSelector(text);
  if (!selector) block.problem(key, `"${text}" is not ${what}`);
  return selector;
}
