/**
 * The runbook: one section per alert the stack ships (meaning, impact, what to check, how to
 * silence safely), written as data beside each rule definition, and the link each alert's
 * `runbook_url` carries. The same sections become the Grafana dashboard "Runbook" the stack
 * provisions (src/dashboards/runbook.ts) and this project's docs/runbook.md.
 */
import type { Slo } from '../slo/model.ts';

/** What the runbook says about an alert; the rule definitions carry it (stack-rules.ts, kubernetes/). */
export interface RunbookAlert {
  readonly alert: string;
  readonly for?: string;
  readonly severity: string;
  /** What is wrong, in one line. */
  readonly summary: string;
  /** The firing instance: the labels it names are what a safe silence matches. */
  readonly description: string;
  /** What it breaks. */
  readonly impact: string;
  /** What to check first. */
  readonly action: string;
  /** How to silence it, where matching the firing instance for the time of the fix is not the advice. */
  readonly silence?: string;
}

/** One section of the runbook. */
export interface RunbookSection {
  /** `#<anchor>` in a markdown runbook (GitHub's anchor of the `## <title>` heading for alerts). */
  readonly anchor: string;
  readonly title: string;
  /** Markdown. */
  readonly body: string;
}

/** Builds an alert's `runbook_url` from its section's anchor. */
export type RunbookLink = (anchor: string) => string;

/** GitHub's anchor of a `## <alert>` heading. */
export const alertAnchor = (alert: string) => alert.toLowerCase();

/** An SLO's section: its alerts' names are the user's and may repeat across SLOs, its id does not. */
export const sloAnchor = (slo: Pick<Slo, 'id'>) => `slo-${slo.id.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;

/** Links into a markdown runbook of the user's (`monitoring.runbookUrl`): `<base>#<anchor>`. */
export const anchorLink =
  (base: string): RunbookLink =>
  (anchor) =>
    `${base}#${anchor}`;

/** The labels an alert's description names: what tells one firing instance from another. */
export function instanceLabels(description: string): string[] {
  return [...new Set(['cluster', ...[...description.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]!)])];
}

/** The advice to silence one firing instance, for the time of the fix, with `amtool` or Alertmanager's UI. */
export function silenceAdvice(matchers: readonly string[]): string {
  return (
    `Silence only the firing instance, for the time of the fix: \`amtool silence add ${matchers.join(' ')} --duration=2h --comment="<ticket>"\` ` +
    "(or a new silence with these matchers in Alertmanager's UI), with the values of the alert's labels. " +
    'A silence on the alert name alone also hides the same failure everywhere else, for as long as it lasts.'
  );
}

export function alertSection(a: RunbookAlert): RunbookSection {
  const matchers = [`alertname=${a.alert}`, ...instanceLabels(a.description).map((l) => `${l}="<${l}>"`)];
  return {
    anchor: alertAnchor(a.alert),
    title: a.alert,
    body: [
      `**Severity:** ${a.severity}${a.for ? `, after ${a.for}` : ''}.`,
      `**Meaning.** ${a.summary}.`,
      `**Impact.** ${a.impact}`,
      `**What to check.** ${a.action}`,
      `**Silence safely.** ${a.silence ?? silenceAdvice(matchers)}`,
    ].join('\n\n'),
  };
}
