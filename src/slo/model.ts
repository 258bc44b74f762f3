import type { Seconds } from '../duration.ts';
import type { SourceLocation } from '../errors.ts';

/** Input formats we accept; the value is what a document declares itself as. */
export type SloFormat = 'prometheus/v1' | 'sloth.slok.dev/v1' | 'openslo/v1' | 'o11y/v1';

export type { Seconds };

/**
 * How the SLI is measured. Every kind is reduced to two PromQL templates containing `{{.window}}`:
 * errors and total. For `raw` SLIs the "error" template is the ratio itself and total is a weight of 1
 * per evaluation, so a long window is the mean of the short ratios (Sloth's meaning of raw SLIs).
 */
export interface Sli {
  readonly kind: 'events' | 'raw' | 'latency' | 'availability';
  readonly errorQuery: string;
  readonly totalQuery: string;
  /** Latency SLIs: the histogram and threshold the queries were built from. */
  readonly histogram?: LatencyHistogram;
}

export interface LatencyHistogram {
  /** Metric name, without the `_bucket`/`_count`/`_sum` suffix of a classic histogram. */
  readonly metric: string;
  /** Label matchers of the spec's selector, without braces. */
  readonly matchers: string;
  /** Seconds; a classic histogram needs a bucket with exactly this `le`. */
  readonly threshold: number;
  readonly native: boolean;
  /** Where the threshold is written: problems about the buckets point there. */
  readonly thresholdAt: SourceLocation;
}

/** One multi-window burn-rate condition: both windows above `factor` × error budget. */
export interface BurnWindow {
  readonly short: Seconds;
  readonly long: Seconds;
  readonly factor: number;
}

/** One alerting rule: several burn-rate conditions OR-ed together. */
export interface BurnAlert {
  /** `alertname`; Sloth gives page and ticket the same name. */
  readonly name: string;
  /** Value of `sloth_severity` (page, ticket, or an OpenSLO severity). */
  readonly severity: string;
  readonly windows: readonly BurnWindow[];
  readonly for: Seconds;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface SloAlerting {
  /** Sloth's `alerting.name`; the absent-data alert is `<name>NoData`. */
  readonly name: string;
  readonly alerts: readonly BurnAlert[];
  /** Fire `<name>NoData` when the SLI's total series is absent for this long. */
  readonly absentFor?: Seconds;
}

export interface Slo {
  /** `<service>-<name>`, Sloth's `sloth_id`. */
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly description: string;
  /** Percent, in (0, 100]. */
  readonly objective: number;
  readonly period: Seconds;
  /** Service labels merged with SLO labels; put on every recorded series. */
  readonly labels: Readonly<Record<string, string>>;
  readonly sli: Sli;
  /** Undefined when every alert is disabled. */
  readonly alerting?: SloAlerting;
  readonly links: { readonly runbook?: string; readonly dashboard?: string };
  /** Where the SLO was declared; `path` is its key path such as `slos[1]`. */
  readonly origin: { readonly format: SloFormat; readonly location: SourceLocation; readonly path: string };
}
