/**
 * Building blocks of the generated Grafana dashboards: panels laid out in rows, template variables
 * and the dashboard envelope. Pure functions, so every dashboard's JSON is deterministic.
 */
import { cloudVariable, SCHEMA_VERSION, type DashboardFile } from './stack-health.ts';

/** The Prometheus picked in the dashboard's cloud selector (the `datasource` variable). */
export const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' } as const;
/** The Loki picked in the dashboard's logs selector (the `logs` variable). */
export const LOKI = { type: 'loki', uid: '${logs}' } as const;
/** The Tempo picked in the dashboard's traces selector (the `traces` variable). */
export const TEMPO = { type: 'tempo', uid: '${traces}' } as const;

export type DatasourceRef = typeof PROMETHEUS | typeof LOKI | typeof TEMPO;

/** One query of a panel: PromQL, LogQL or TraceQL depending on the panel's datasource. */
export interface Query {
  readonly expr: string;
  /** Series name shown in the legend, Grafana's `{{label}}` syntax. @default the series' labels */
  readonly legend?: string;
  /** Evaluate once at the end of the range (stat and table panels). @default false */
  readonly instant?: boolean;
}

export interface Panel {
  readonly title: string;
  /** What the panel answers, shown in its info tooltip. */
  readonly description?: string;
  /** @default 'timeseries' */
  readonly type?: 'timeseries' | 'stat' | 'table' | 'logs' | 'traces';
  /** Grafana unit id: `percentunit`, `bytes`, `Bps`, `s`, `ops`, `short`, `cores`… @default 'short' */
  readonly unit?: string;
  readonly queries: readonly Query[];
  /** @default PROMETHEUS */
  readonly datasource?: DatasourceRef;
  /** Of the 24 grid columns. @default 12 (6 for stat panels, 24 for logs and traces) */
  readonly width?: number;
  /** @default 8 (4 for stat panels) */
  readonly height?: number;
  /** Axis / gauge maximum, e.g. 1 for a ratio. */
  readonly max?: number;
  /** Value at which a stat turns red. */
  readonly redAbove?: number;
  /** Table panels: the name of each query's value column, in query order. */
  readonly columns?: readonly string[];
  /** Per-field data links (table cells, series): Grafana interpolates `${__value.raw}`, `${__data.fields.x}`. */
  readonly dataLinks?: readonly { readonly title: string; readonly url: string }[];
}

export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

/** Grafana `current` of an All-by-default variable. */
const ALL = { text: 'All', value: '$__all' };

/** A variable whose options are label values of a Prometheus query on the selected datasource. */
export function labelVariable(name: string, label: string, query: string, opts: { all?: boolean } = {}): object {
  return {
    name,
    label,
    type: 'query',
    datasource: PROMETHEUS,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    // On time range change: pods and nodes come and go.
    refresh: 2,
    sort: 1,
    hide: 0,
    multi: false,
    includeAll: opts.all === true,
    // All matches a series without the label too (a stack whose series carry no `cluster`).
    ...(opts.all ? { allValue: '.*', current: ALL } : { current: {} }),
    options: [],
  };
}

/** A variable with fixed options (`text` shown, `value` substituted). */
export function customVariable(name: string, label: string, options: readonly { text: string; value: string }[]): object {
  const [first] = options;
  return {
    name,
    label,
    type: 'custom',
    query: options.map((o) => `${o.text} : ${o.value}`).join(','),
    current: { text: first!.text, value: first!.value },
    options: options.map((o, i) => ({ ...o, selected: i === 0 })),
    hide: 0,
    multi: false,
    includeAll: false,
  };
}

/** A datasource picker of one type (`loki`, `tempo`), starting on the given uid. */
export function datasourceVariable(name: string, label: string, type: 'loki' | 'tempo', defaultUid: string, defaultName: string): object {
  return { name, label, type: 'datasource', query: type, current: { text: defaultName, value: defaultUid }, hide: 0, refresh: 1 };
}

/** The datasource uids a dashboard's selectors start on (the Grafana cluster's own cloud). */
export interface DefaultDatasources {
  readonly prometheus: string;
  readonly loki: string;
  readonly tempo: string;
}

/** Query refIds: A, B, …, Z (a panel never has more). */
function refId(i: number): string {
  if (i >= 26) throw new Error('a panel has at most 26 queries');
  return String.fromCharCode(65 + i);
}

function target(q: Query, i: number, ds: DatasourceRef, table: boolean): object {
  const common = { refId: refId(i), datasource: ds, ...(table ? { format: 'table' } : {}) };
  if (ds.type === 'loki') return { ...common, expr: q.expr, queryType: 'range' };
  if (ds.type === 'tempo') return { ...common, queryType: 'traceql', query: q.expr, limit: 20, tableType: 'traces' };
  return { ...common, expr: q.expr, ...(q.legend ? { legendFormat: q.legend } : {}), ...(q.instant ? { instant: true, range: false } : { range: true }) };
}

function panelJson(p: Panel, gridPos: object): object {
  const type = p.type ?? 'timeseries';
  const ds = p.datasource ?? PROMETHEUS;
  const thresholds =
    p.redAbove !== undefined
      ? { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: p.redAbove }] }
      : { mode: 'absolute', steps: [{ color: 'green', value: null }] };
  const options: Record<string, object> = {
    timeseries: { legend: { displayMode: 'table', placement: 'right', calcs: ['mean', 'max', 'lastNotNull'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    stat: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: p.redAbove === undefined ? 'none' : 'background', graphMode: 'area' },
    table: { showHeader: true, cellHeight: 'sm' },
    logs: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
    traces: {},
  };
  return {
    type: type === 'traces' ? 'table' : type,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource: ds,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: p.unit ?? 'short',
        ...(p.max !== undefined ? { max: p.max } : {}),
        ...(type === 'timeseries' ? { min: 0 } : {}),
        thresholds,
        ...(p.dataLinks ? { links: p.dataLinks } : {}),
      },
      overrides: [],
    },
    options: options[type],
    // A table of series: one row per label set, each query's value a named column.
    ...(type === 'table'
      ? {
          transformations: [
            { id: 'merge', options: {} },
            {
              id: 'organize',
              options: {
                excludeByName: { Time: true },
                renameByName: Object.fromEntries((p.columns ?? []).map((name, i) => [p.queries.length > 1 ? `Value #${refId(i)}` : 'Value', name])),
              },
            },
          ],
        }
      : {}),
    targets: p.queries.map((q, i) => target(q, i, ds, type === 'table')),
  };
}

/** Rows of panels flowing left to right, wrapping at Grafana's 24 columns. */
export function layout(rows: readonly Row[]): object[] {
  const out: object[] = [];
  let y = 0;
  for (const row of rows) {
    out.push({ type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const small = p.type === 'stat';
      const w = p.width ?? (small ? 6 : p.type === 'logs' || p.type === 'traces' ? 24 : 12);
      const h = p.height ?? (small ? 4 : 8);
      if (x + w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      out.push(panelJson(p, { h, w, x, y }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return out.map((p, i) => ({ id: i + 1, ...p }));
}

/** A generated dashboard, before it becomes JSON. */
export interface DashboardSpec {
  /** Stable, ≤ 40 characters: links and bookmarks point at it. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** Variables after the cloud selector (`datasource`), in the order Grafana shows them. */
  readonly variables: readonly object[];
  readonly rows: readonly Row[];
  /** Links in the dashboard's header. */
  readonly links?: readonly object[];
  /** @default 'now-1h' */
  readonly from?: string;
}

/** Grafana's limit on dashboard uids. */
const MAX_UID = 40;

/** The dashboard file: `<uid>.json`, panels on the Prometheus of the cloud selector. */
export function dashboard(spec: DashboardSpec, defaults: DefaultDatasources): DashboardFile {
  if (spec.uid.length > MAX_UID || !/^[a-z0-9-]+$/.test(spec.uid)) throw new Error(`bad dashboard uid ${spec.uid}`);
  return {
    fileName: `${spec.uid}.json`,
    json: {
      uid: spec.uid,
      title: spec.title,
      description: spec.description,
      tags: ['o11y', ...spec.tags],
      timezone: 'browser',
      schemaVersion: SCHEMA_VERSION,
      editable: false,
      graphTooltip: 1,
      time: { from: spec.from ?? 'now-1h', to: 'now' },
      refresh: '1m',
      links: spec.links ?? [],
      annotations: { list: [] },
      templating: { list: [cloudVariable(defaults.prometheus), ...spec.variables] },
      panels: layout(spec.rows),
    },
  };
}

/** A header link to the other dashboards of a tag, as a dropdown, keeping the time range and variables. */
export function tagLinks(title: string, tag: string): object {
  return { type: 'dashboards', title, tags: [tag], asDropdown: true, includeVars: true, keepTime: true };
}
