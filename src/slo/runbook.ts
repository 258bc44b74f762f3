import { formatDuration } from '../duration.ts';
import { silenceAdvice, sloAnchor, type RunbookSection } from '../rules/runbook.ts';
import { dashboardUid } from './dashboard.ts';
import type { BurnWindow, Slo } from './model.ts';
import { alertRules } from './rules.ts';

const days = (seconds: number) => `${+(seconds / 86400).toFixed(2)}d`;

/** A burn-rate condition, and how soon it spends the whole budget. */
function windowText(w: BurnWindow, period: number): string {
  return `${w.factor}× the budget over both ${formatDuration(w.short)} and ${formatDuration(w.long)} (the whole ${days(period)} budget gone in ${formatDuration(period / w.factor)})`;
}

/**
 * The runbook section of one SLO, generated from it: objective, SLI queries, and each alert it
 * raises with its burn-rate windows. Its alerts link here unless the SLO names a runbook of its own.
 */
export function sloSection(slo: Slo): RunbookSection {
  const rules = alertRules(slo);
  const burns = slo.alerting?.alerts ?? [];
  const alerts = rules.map((r, i) => {
    const burn = burns[i];
    const head = `\`${r.alert}\` (${r.labels?.severity ?? 'none'}${r.for ? `, after ${r.for}` : ''})`;
    return burn ? `- ${head}: the error rate burns ${burn.windows.map((w) => windowText(w, slo.period)).join(', or ')}.` : `- ${head}: ${r.annotations?.summary ?? ''}`;
  });
  return {
    anchor: sloAnchor(slo),
    title: `SLO ${slo.service} / ${slo.name}`,
    body: [
      `**Objective.** ${slo.objective}% of ${slo.service}'s events good over ${days(slo.period)} (sloth_id \`${slo.id}\`)${slo.description ? `: ${slo.description}` : ''}. Error budget: ${+(100 - slo.objective).toFixed(6)}% of the events.`,
      `**SLI** (${slo.sli.kind}; \`{{.window}}\` is each window). Errors:\n\n\`\`\`promql\n${slo.sli.errorQuery}\n\`\`\`\n\nTotal:\n\n\`\`\`promql\n${slo.sli.totalQuery}\n\`\`\``,
      `**Alerts.**\n\n${alerts.length ? alerts.join('\n') : '- none (alerting disabled)'}`,
      `**Meaning.** A burn-rate alert: ${slo.service} fails (or is slow for) more of its requests than the objective allows; at that rate the objective is missed before the period ends. A no-data or no-error-series alert: the SLO cannot be measured.`,
      "**Impact.** The service's users meet the errors or latency the SLI counts; once the budget is spent, the objective is missed for the period.",
      `**What to check.** The SLO's dashboard (folder SLOs, uid \`${dashboardUid(slo.service)}\`): which window burns, since when. Run the queries above in Explore with a window such as 5m to see the failing requests; look at recent deploys of ${slo.service} and the alerts of what it depends on.`,
      `**Silence safely.** ${silenceAdvice([`sloth_id="${slo.id}"`, 'alertname="<alertname>"'])}`,
    ].join('\n\n'),
  };
}
