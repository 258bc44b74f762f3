import { parse as parseYaml } from 'yaml';
import type { K8sObject } from './manifest-checks.ts';

// What the synthesized Grafana reads: its datasource provisioning file and dashboard files, and the
// queries in them with Grafana's variables substituted, for tests that run them on real engines.

export const configMapData = (objs: readonly K8sObject[], name: string): Record<string, string> =>
  objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)!.data as Record<string, string>;

/** Every dashboard file of every folder's ConfigMap, as [file name, JSON text]. */
export const dashboardFiles = (objs: readonly K8sObject[]): [string, string][] =>
  objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('grafana-dashboards-')).flatMap((o) => Object.entries(o.data as Record<string, string>));

/** Grafana's `$name` / `${name}` in `expr`, replaced from `values`; an unknown one is an error, never a silent pass. */
export function substitute(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$([A-Za-z_]\w*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = values[(braced ?? bare)!];
    if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`);
    return value;
  });
}

export type Datasource = { uid: string; name: string; type: string; jsonData: Record<string, unknown> };

/** The provisioning file as Grafana reads it: `$$` is a literal `$`. */
export const provisionedDatasources = (objs: readonly K8sObject[]): Datasource[] =>
  (parseYaml(configMapData(objs, 'grafana-datasources')['datasources.yaml']!.replaceAll('$$', '$')) as { datasources: Datasource[] }).datasources;

/** A query Grafana runs, and where it comes from. */
export interface GrafanaQuery {
  readonly where: string;
  readonly expr: string;
}

/** Each Tempo datasource's trace → metrics queries, `$__tags` set from the span's attributes as Grafana maps them. */
export function traceToMetricsQueries(objs: readonly K8sObject[], span: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>): GrafanaQuery[] {
  return provisionedDatasources(objs)
    .filter((d) => d.type === 'tempo')
    .flatMap((d) => {
      const links = d.jsonData.tracesToMetrics as { tags: { key: string; value: string }[]; queries: { name: string; query: string }[] };
      const tags = links.tags.map((t) => `${t.value}="${span[t.key]}"`).join(', ');
      return links.queries.map((q) => ({ where: `datasource ${d.uid} tracesToMetrics "${q.name}"`, expr: substitute(q.query, { ...variables, __tags: tags }) }));
    });
}

type Panel = { title?: string; panels?: Panel[]; targets?: Record<string, unknown>[] };

/** Every query target of every dashboard panel (rows' panels included), with where it is. */
export function dashboardTargets(objs: readonly K8sObject[]): { where: string; target: Record<string, unknown> }[] {
  return dashboardFiles(objs).flatMap(([file, text]) =>
    (JSON.parse(text) as { panels: Panel[] }).panels
      .flatMap((p) => [p, ...(p.panels ?? [])])
      .flatMap((p) => (p.targets ?? []).map((target) => ({ where: `${file} "${p.title}"`, target }))),
  );
}
