import { allKubernetesAlerts } from './index.ts';
import { runbookAnchor } from './rule.ts';

/** docs/runbook.md: one section per Kubernetes alert, anchored by the alert's name (what `runbook_url` points at). */
export function runbookMarkdown(): string {
  const sections = allKubernetesAlerts().map((a) =>
    [
      `## ${a.alert}`,
      '',
      `**Severity:** ${a.severity}${a.for ? `, after ${a.for}` : ''}.`,
      '',
      `**Meaning.** ${a.summary}.`,
      '',
      `**Impact.** ${a.impact}`,
      '',
      `**What to check.** ${a.action}`,
      '',
    ].join('\n'),
  );
  const index = allKubernetesAlerts().map((a) => `[${a.alert}](#${runbookAnchor(a.alert)})`).join(' · ');
  return [
    '# Runbook: Kubernetes alerts',
    '',
    'One section per alert of the `prometheus-rules-kubernetes` rule file (`src/rules/kubernetes/`); each',
    'alert\'s `runbook_url` points at its section. Generated from the rule definitions by',
    '`npx tsx scripts/runbook.ts`; a test keeps it in step. The stack\'s own alerts are in the README',
    '("Stack alerts").',
    '',
    index,
    '',
    ...sections,
  ].join('\n');
}
