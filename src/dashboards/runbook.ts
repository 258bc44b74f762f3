/**
 * The Grafana dashboard "o11y / Runbook": one row per alert the stack ships (and per SLO), each a
 * text panel with its runbook section. Every alert's default `runbook_url` opens its panel
 * (`?viewPanel=panel-<id>`), on the user's own Grafana: nothing to reach outside their network.
 * Panel ids are hashes of the sections' anchors, so a link sent in an old notification still opens
 * the same section after alerts or SLOs are added or removed.
 */
import { createHash } from 'node:crypto';
import type { RunbookLink, RunbookSection } from '../rules/runbook.ts';
import { SCHEMA_VERSION, type DashboardFile } from './stack-health.ts';

export const RUNBOOK_UID = 'o11y-runbook';
const TITLE = 'o11y / Runbook';
/** Grafana's slug of the title, the second part of a dashboard URL. */
const SLUG = 'o11y-runbook';

/** A part of the runbook, listed under its heading in the index panel. */
export interface RunbookPart {
  readonly title: string;
  readonly sections: readonly RunbookSection[];
}

/** A stable Grafana panel id (a positive 31-bit integer) for a key. */
function stableId(key: string): number {
  return (parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16) >>> 1) || 1;
}

/** Id of the text panel of the section with this anchor. */
export const runbookPanelId = (anchor: string) => stableId(`section/${anchor}`);

/** Links that open a section's panel on the Grafana at `rootUrl` (ending in `/`). */
export const grafanaRunbookLink =
  (rootUrl: string): RunbookLink =>
  (anchor) =>
    `${rootUrl}d/${RUNBOOK_UID}/${SLUG}?viewPanel=panel-${runbookPanelId(anchor)}`;

/** Grid height (30 px units) that shows `markdown` without scrolling on a full-width panel. */
function heightOf(markdown: string): number {
  const lines = markdown.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 170)), 0);
  return Math.max(4, Math.ceil(lines * 0.8) + 2);
}

const text = (id: number, title: string, content: string, y: number) => ({
  id,
  type: 'text',
  title,
  gridPos: { h: heightOf(content), w: 24, x: 0, y },
  options: { mode: 'markdown', content, code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false } },
});

export function runbookDashboard(parts: readonly RunbookPart[]): DashboardFile {
  const index = parts
    .filter((p) => p.sections.length)
    .map((p) => `**${p.title}:** ${p.sections.map((s) => `[${s.title}](?viewPanel=panel-${runbookPanelId(s.anchor)})`).join(' · ')}`)
    .join('\n\n');
  const intro = `Every alert the stack ships links to its section here. Open one section alone with the alert's \`runbook_url\`.\n\n${index}`;
  const first = text(stableId('index'), 'Alerts', intro, 0);
  const panels: { readonly id: number; readonly [key: string]: unknown }[] = [first];
  let y = first.gridPos.h;
  for (const section of parts.flatMap((p) => p.sections)) {
    const panel = text(runbookPanelId(section.anchor), section.title, section.body, y + 1);
    panels.push({ id: stableId(`row/${section.anchor}`), type: 'row', title: section.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] }, panel);
    y += 1 + panel.gridPos.h;
  }
  const ids = panels.map((p) => p.id);
  const clash = ids.find((id, i) => ids.indexOf(id) !== i);
  if (clash !== undefined) throw new Error(`runbook panel id ${clash} is used twice: rename a section`);
  return {
    fileName: `${RUNBOOK_UID}.json`,
    json: { uid: RUNBOOK_UID, title: TITLE, tags: ['o11y', 'runbook'], schemaVersion: SCHEMA_VERSION, editable: false, time: { from: 'now-1h', to: 'now' }, templating: { list: [] }, panels },
  };
}
