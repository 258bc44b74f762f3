import type { InputProblem } from '../../errors.ts';
import { formatKeyPath } from '../../input/yaml-source.ts';
import { formatDuration } from '../../duration.ts';
import type { BurnAlert, Seconds, Sli, Slo, SloAlerting, SloFormat } from '../model.ts';
import { hasWindowVar, promqlError, renderWindow, unknownTemplate } from '../promql.ts';
import { unpairedErrorSelector } from '../pairing.ts';
import { burnWindows, DEFAULT_PERIOD, PERIODS } from '../windows.ts';
import { Fields } from './fields.ts';

/** Sloth's rule for SLO and service names; they end up in label values and rule group names. */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Alert names become `alertname` and must also be valid metric names for promtool. */
const ALERT_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** `for:` of the page and ticket alerts unless the spec says otherwise: debounces a single bad scrape. */
const DEFAULT_FOR = { page: 120, ticket: 900 } as const;

export function checkName(fields: Fields, key: string, value: string): void {
  if (value && !NAME.test(value)) {
    fields.problem(key, `"${value}" is not a valid name: it must start and end with a letter or digit and contain only letters, digits, '.', '_' and '-'`);
  }
}

export function checkAlertName(fields: Fields, key: string | undefined, value: string): void {
  if (!ALERT_NAME.test(value)) fields.problem(key, `alert name "${value}" is not valid: use letters, digits, _ and :, not starting with a digit`);
}

/** Objective in percent; Sloth's rule is (0, 100]. */
export function checkObjective(fields: Fields, key: string, objective: number | undefined): number {
  if (objective === undefined) {
    if (!fields.has(key)) fields.problem(key, 'required');
    return NaN;
  }
  if (!(objective > 0 && objective <= 100)) fields.problem(key, `objective ${objective} is outside (0, 100]: give a percentage such as 99.9`);
  return objective;
}

/** A period with an alert window catalog; the default period (after a problem) for any other, so alerts can still be built. */
export function checkPeriod(fields: Fields, key: string, period: Seconds | undefined): Seconds {
  if (period === undefined || PERIODS.includes(period)) return period ?? DEFAULT_PERIOD;
  fields.problem(key, `period ${formatDuration(period)} is not supported: use one of ${PERIODS.map((p) => `${p / 86400}d`).join(', ')} (the periods with an alert window catalog)`);
  return DEFAULT_PERIOD;
}

/** A PromQL template that must contain `{{.window}}` and parse once rendered; empty (after a problem) when it does not. */
export function checkQueryTemplate(fields: Fields, key: string, template: string): string {
  if (!template) return template;
  const stray = unknownTemplate(template);
  const problem = stray
    ? `unknown template ${stray}: only {{.window}} is available`
    : !hasWindowVar(template)
      ? 'query must contain the {{.window}} variable, e.g. rate(x[{{.window}}])'
      : promqlError(renderWindow(template, '5m'));
  if (!problem) return template;
  fields.problem(key, problem);
  return '';
}

/**
 * The per-SLO acknowledgement that its error query reads other series than the total's (a pair the
 * lint cannot know), with the reason given; each format has its own place for it.
 */
export interface UnpairedAck {
  /** The reason written, undefined when there is none. */
  readonly reason: string | undefined;
  /** How to write it in this format, for messages. */
  readonly how: string;
  /** Records a problem located at the acknowledgement. */
  readonly problem: (message: string) => void;
}

/**
 * A problem a live Prometheus can lift: `o11y slo validate --prometheus-url` drops it when every
 * selector of `selectors` returns series there.
 */
export interface UnpairedProblem extends InputProblem {
  readonly selectors: readonly string[];
  /** How to acknowledge it in the file, once proven. */
  readonly how: string;
}

export function isUnpairedProblem(p: InputProblem): p is UnpairedProblem {
  return 'selectors' in p;
}

/**
 * An events SLI from error and total templates (both already checked). `owner` names the SLO in
 * messages. Each selector of the error query must be paired with one of the total's
 * (`unpairedErrorSelector`): a missing error series counts as no errors, so an error query that reads
 * anything else, such as a misspelt metric, would report a perfect SLO instead of failing. `ack`
 * lets the SLO say that its unusual pair is real.
 */
export function eventsSli(fields: Fields, errorKey: string, errorQuery: string, totalQuery: string, owner: string, ack: UnpairedAck): Sli {
  if (errorQuery && normalise(errorQuery) === normalise(totalQuery)) {
    fields.problem(errorKey, 'the error and total queries are identical: the error ratio would always be 1');
  } else if (errorQuery && totalQuery) {
    const unpaired = unpairedErrorSelector(renderWindow(errorQuery, '5m'), renderWindow(totalQuery, '5m'));
    if (unpaired && ack.reason === undefined) {
      const message =
        `${owner}: ${unpaired.selector.text} does not read the total query's series: ${unpaired.reason}. ` +
        'Allowed: the metric of a total selector, another series of its histogram (le may differ) or its pair in the table of metric pairs, ' +
        'with every matcher of that selector plus an error filter, e.g. total x{job="a"}, errors x{job="a", code=~"5.."}; ' +
        'anything else (a misspelt metric, a matcher the total lacks) would count as zero errors. ' +
        `If this pair is real, prove it with o11y slo validate --prometheus-url <url> and acknowledge it with ${ack.how}`;
      const problem: UnpairedProblem = {
        ...fields.located(errorKey, message),
        selectors: [unpaired.selector.text, ...unpaired.totals.map((t) => t.text)],
        how: ack.how,
      };
      fields.problems.push(problem);
    } else if (!unpaired) {
      staleAck(ack, owner);
    }
  }
  return { kind: 'events', errorQuery, totalQuery };
}

/** An acknowledgement where nothing is unpaired would hide a later typo. */
export function staleAck(ack: UnpairedAck, owner: string): void {
  if (ack.reason !== undefined) {
    ack.problem(`${owner}: nothing to acknowledge: every selector of the error query reads the total query's series (or the SLI has no error and total queries); remove it`);
  }
}

/** Sloth's raw SLI: the ratio per evaluation; each evaluation with a number weighs 1 (NaN weighs 0). */
export function rawSli(errorRatioQuery: string): Sli {
  return { kind: 'raw', errorQuery: errorRatioQuery, totalQuery: `(${errorRatioQuery}) >= bool 0` };
}

function normalise(query: string): string {
  return query.replace(/\s+/g, '');
}

/** Exactly one of the SLI keys must be present. */
export function oneSliKind(sli: Fields, kinds: readonly string[]): string | undefined {
  const present = kinds.filter((k) => sli.has(k));
  if (present.length === 0) sli.problem(undefined, `no SLI given: set exactly one of ${kinds.join(', ')}`);
  if (present.length > 1) sli.problem(present[1], `only one SLI type is allowed, found ${present.join(' and ')}`);
  return present.length === 1 ? present[0] : undefined;
}

/** Key names of Sloth-style alerting blocks, which differ between the YAML spec, the CRD and our format. */
export interface AlertingKeys {
  readonly page: string;
  readonly ticket: string;
  /** Extra keys our native format allows on the alerting block and on page/ticket. */
  readonly extra: readonly string[];
  readonly extraPerAlert: readonly string[];
}

/**
 * Reads `<slo>.alerting {name, labels, annotations, page, ticket}` with Sloth's meaning: page and ticket
 * are on unless `disable: true`, and while either is on the alert name is required.
 */
export function readSlothAlerting(slo: Fields, keys: AlertingKeys, period: Seconds): SloAlerting | undefined {
  const alerting = slo.object('alerting');
  alerting?.allowOnly(['name', 'labels', 'annotations', keys.page, keys.ticket, ...keys.extra]);
  const name = alerting?.string('name', false) ?? '';
  const alerts: BurnAlert[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const block = alerting?.object(keys[severity]);
    block?.allowOnly(['disable', 'labels', 'annotations', ...keys.extraPerAlert]);
    if (block?.bool('disable')) continue;
    alerts.push({
      name,
      severity,
      windows: burnWindows(severity, period),
      for: block?.duration('for') ?? DEFAULT_FOR[severity],
      labels: { ...alerting?.labels('labels'), ...block?.labels('labels') },
      annotations: { ...alerting?.labels('annotations'), ...block?.labels('annotations') },
    });
  }
  const absentFor = alerting?.has('absent') ? alerting.duration('absent') : undefined;
  if (!alerts.length && absentFor === undefined) return undefined;
  if (!name) {
    const message = `alert name is required while alerts are enabled: set alerting.name, or disable them with ${keys.page}.disable and ${keys.ticket}.disable`;
    if (alerting) alerting.problem('name', message);
    else slo.problem(undefined, message);
  } else {
    checkAlertName(alerting!, 'name', name);
  }
  return { name, alerts, absentFor };
}

/** Fields every parser fills in; `finishSlo` derives the rest. */
export interface SloDraft {
  readonly service: string;
  readonly name: string;
  readonly description: string;
  readonly objective: number;
  readonly period: Seconds;
  readonly labels: Record<string, string>;
  readonly sli: Sli | undefined;
  readonly alerting: SloAlerting | undefined;
  readonly links?: Slo['links'];
}

export function finishSlo(draft: SloDraft, format: SloFormat, fields: Fields): Slo | undefined {
  if (!draft.sli || !draft.service || !draft.name || Number.isNaN(draft.objective)) return undefined;
  return {
    id: `${draft.service}-${draft.name}`,
    service: draft.service,
    name: draft.name,
    description: draft.description,
    objective: draft.objective,
    period: draft.period,
    labels: draft.labels,
    sli: draft.sli,
    alerting: draft.alerting,
    links: draft.links ?? {},
    origin: { format, location: fields.source.at(fields.path), path: formatKeyPath(fields.path) },
  };
}

/**
 * The frame of Sloth-shaped documents: `service`, `labels` and a list of `slos`, each one checked for
 * `allowedKeys` and a valid `name`, then built by `readSlo`.
 */
export function readServiceSlos(
  doc: Fields,
  allowedKeys: readonly string[],
  readSlo: (slo: Fields, head: { name: string; service: string; serviceLabels: Record<string, string> }) => Slo | undefined,
): ParseResult {
  const service = doc.string('service');
  checkName(doc, 'service', service);
  const serviceLabels = doc.labels('labels');
  const slos: Slo[] = [];
  const items = doc.list('slos');
  if (!items.length) doc.problem('slos', 'at least one SLO is required');
  for (const item of items) {
    const slo = Fields.of(doc.source, item.path, item.value, doc.problems, 'an SLO');
    if (!slo) continue;
    slo.allowOnly(allowedKeys);
    const name = slo.string('name');
    checkName(slo, 'name', name);
    const built = readSlo(slo, { name, service, serviceLabels });
    if (built) slos.push(built);
  }
  return { slos, problems: doc.problems };
}

/** Problems gathered while reading a document, plus the SLOs that were complete enough to build. */
export interface ParseResult {
  readonly slos: Slo[];
  readonly problems: InputProblem[];
}
