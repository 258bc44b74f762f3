/**
 * The runbook's sections in one place: the stack's alerts, the Kubernetes alerts and the SLOs', and
 * the link every `runbook_url` is built with. docs/runbook.md (`npx tsx scripts/runbook.ts`) and
 * the Grafana dashboard "o11y / Runbook" are rendered from the same sections.
 */
import { grafanaRunbookLink, type RunbookPart } from '../dashboards/runbook.ts';
import { grafanaRootUrl } from '../grafana/root-url.ts';
import type { Topology } from '../model/topology.ts';
import type { StackConfig } from '../model/types.ts';
import type { Slo } from '../slo/model.ts';
import { sloSection } from '../slo/runbook.ts';
import { allKubernetesAlerts } from './kubernetes/index.ts';
import { alertSection, anchorLink, type RunbookLink } from './runbook.ts';
import { allStackAlerts } from './stack-rules.ts';
import { allVictoriaMetricsAlerts } from './victoriametrics.ts';

/**
 * The runbook's parts: the stack's alerts (with the VictoriaMetrics cluster's where a backend runs
 * it, and the global vmselect's where it runs), the Kubernetes alerts, then one section per SLO.
 */
export function runbookParts(slos: readonly Slo[] = [], opts: { victoriaMetrics?: boolean; globalSelect?: boolean } = {}): RunbookPart[] {
  return [
    { title: 'Stack', sections: allStackAlerts().map(alertSection) },
    ...(opts.victoriaMetrics ? [{ title: 'VictoriaMetrics', sections: allVictoriaMetricsAlerts(opts).map(alertSection) }] : []),
    { title: 'Kubernetes', sections: allKubernetesAlerts().map(alertSection) },
    { title: 'SLOs', sections: slos.map(sloSection) },
  ];
}

/**
 * Where alerts link: `monitoring.runbookUrl#<anchor>` when the user keeps a runbook of their own,
 * else the section's panel of the Grafana dashboard "o11y / Runbook", at the URL users open Grafana
 * with (the Grafana cluster's).
 */
export function runbookLink(config: StackConfig, topology: Topology): RunbookLink {
  return config.monitoring.runbookUrl ? anchorLink(config.monitoring.runbookUrl) : grafanaRunbookLink(grafanaRootUrl(config, topology));
}

/** docs/runbook.md: one section per alert of the stack (the VictoriaMetrics mode's included) and of the Kubernetes rules, anchored by the alert's name. */
export function runbookMarkdown(): string {
  const parts = runbookParts([], { victoriaMetrics: true, globalSelect: true }).filter((p) => p.sections.length);
  const index = parts.map((p) => `**${p.title}:** ${p.sections.map((s) => `[${s.title}](#${s.anchor})`).join(' · ')}`);
  const sections = parts.flatMap((p) => p.sections.map((s) => `## ${s.title}\n\n${s.body}\n`));
  return [
    '# Runbook',
    '',
    'One section per alert the stack ships: its own alerts (`src/rules/stack-rules.ts`, `src/rules/victoriametrics.ts`) and the Kubernetes',
    'alerts (`src/rules/kubernetes/`). Generated from the rule definitions by `npx tsx scripts/runbook.ts`;',
    'a test keeps it in step. A synthesized stack provisions the same sections, and one per SLO, as the',
    'Grafana dashboard "o11y / Runbook", where every alert\'s `runbook_url` points (README, "Runbooks").',
    '',
    ...index.flatMap((line) => [line, '']),
    ...sections,
  ].join('\n');
}
