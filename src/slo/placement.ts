import { dirname, resolve } from 'node:path';
import { locateInConfig } from '../config/load.ts';
import type { Topology } from '../model/topology.ts';
import { metricsMode, type Cloud, type ClusterConfig, type InputFilesEntry, type StackConfig } from '../model/types.ts';
import { parseDuration } from '../duration.ts';
import { InputError } from '../errors.ts';
import type { KeyPath } from '../input/yaml-source.ts';
import { datasourceUids } from '../dashboards/datasources.ts';
import { serviceDashboards, type SloPlacement } from './dashboard.ts';
import { entryFiles } from '../input/files.ts';
import { compileSloFiles, compileSlos, type CompiledSlos, type CompileOptions } from './index.ts';
import type { Slo } from './model.ts';
import { vmalertLag } from './rules.ts';

/** The config's SLOs: all of them, and those the Prometheus (or vmalert) of each backend cluster evaluates. */
export interface PlacedSlos {
  /** Every SLO: the global Grafana's dashboards. */
  readonly all: CompiledSlos;
  forBackend(cluster: ClusterConfig): CompiledSlos;
}

/**
 * Compiles the config's SLO files and places them where their services' telemetry lands. A plain
 * file or glob goes to every backend cluster; an entry with `clouds` and/or `clusters` only to the
 * backends of those clouds (a cluster's telemetry lands in its cloud's backend), so its no-data
 * alerts fire only where the service runs. Refuses, located in the config, a cloud without a backend
 * cluster of this stack, an unknown cluster, and a Prometheus retention shorter than an SLO's period
 * (its period window would silently cover only the retained part).
 */
export function placeSlos(config: StackConfig, topology: Topology, options: CompileOptions): PlacedSlos {
  const baseDir = dirname(resolve(config.source));
  const problems: { path: KeyPath; message: string }[] = [];
  /** Clouds per file; undefined: every backend. */
  const placement = new Map<string, Set<Cloud> | undefined>();
  const place = (entry: InputFilesEntry, i: number, clouds?: Set<Cloud>) => {
    const found = entryFiles(entry, ['slos', i], baseDir, 'SLO file');
    problems.push(...found.problems);
    for (const file of found.files) {
      const earlier = placement.has(file) ? placement.get(file) : new Set<Cloud>();
      placement.set(file, earlier && clouds ? new Set([...earlier, ...clouds]) : undefined);
    }
  };
  /** Whether a backend cluster of this stack holds `cloud`'s telemetry; a located problem if not. */
  const hasPrometheus = (cloud: Cloud, path: KeyPath, subject: string) => {
    const backend = topology.backendOf(cloud);
    if (backend?.kind === 'cluster') return true;
    const allowed = topology.backendClouds.filter((c) => topology.backendOf(c)?.kind === 'cluster').join(', ') || 'none';
    problems.push({
      path,
      message: `${subject} ${backend ? `served by backends.${cloud}.remote` : 'without a backend'}: no Prometheus of this stack would evaluate these SLOs; clouds with a backend cluster: ${allowed}`,
    });
    return false;
  };
  config.slos.forEach((entry, i) => {
    if (typeof entry === 'string') return place(entry, i);
    const clouds = new Set<Cloud>();
    entry.clouds?.forEach((cloud, j) => hasPrometheus(cloud, ['slos', i, 'clouds', j], `cloud ${cloud} is`) && clouds.add(cloud));
    entry.clusters?.forEach((name, j) => {
      const path = ['slos', i, 'clusters', j];
      const cluster = config.clusters.find((c) => c.name === name);
      if (!cluster) problems.push({ path, message: `no cluster named "${name}"; clusters: ${config.clusters.map((c) => c.name).join(', ')}` });
      else if (hasPrometheus(cluster.cloud, path, `cluster ${name} is in cloud ${cluster.cloud},`)) clouds.add(cluster.cloud);
    });
    place(entry, i, clouds);
  });
  const fail = () => {
    throw new InputError(locateInConfig(config.source, problems));
  };
  if (problems.length) fail();

  const all = compileSloFiles([...placement.keys()].sort(), options);
  const places = (slo: Slo, cloud: Cloud) => {
    const clouds = placement.get(slo.origin.location.file);
    return !clouds || clouds.has(cloud);
  };
  const backends = config.clusters.filter((c) => topology.rolesOf(c).has('backend'));
  const evaluated = all.slos.filter((s) => backends.some((c) => places(s, c.cloud)));
  const retention = config.components.prometheus.retention;
  const tooLong = evaluated.filter((s) => s.period > parseDuration(retention)!).sort((a, b) => b.period - a.period);
  if (tooLong.length) {
    const longest = tooLong[0]!;
    const period = `${longest.period / 86400}d`;
    const { file, line, column } = longest.origin.location;
    problems.push({
      path: ['components', 'prometheus', 'retention'],
      message:
        `retention ${retention} is shorter than the ${period} period of SLO ${longest.id} (${file}:${line}:${column})${tooLong.length > 1 ? ` and ${tooLong.length - 1} more` : ''}: ` +
        `its budget would silently cover only the last ${retention}; set retention to at least ${period}`,
    });
    fail();
  }
  // VictoriaMetrics stores no native histograms and MetricsQL has no histogram_count: vmalert would
  // refuse the whole SLO rule file, so no SLO of that backend would be evaluated.
  const nativeOnVm = evaluated.filter((s) => s.sli.histogram?.native).flatMap((slo) =>
    backends.filter((c) => metricsMode(c) === 'victoriametrics-cluster' && places(slo, c.cloud)).map((c) => ({ slo, cluster: c.name })),
  );
  if (nativeOnVm.length) {
    throw new InputError(
      nativeOnVm.map(({ slo, cluster }) => ({
        location: slo.sli.histogram!.thresholdAt,
        path: slo.origin.path,
        message:
          `SLO ${slo.id} reads a native histogram, but backend cluster "${cluster}" stores metrics in mode victoriametrics-cluster, which keeps classic histograms only ` +
          '(vmalert would refuse the whole SLO rule file); read the classic histogram (drop `native: true`), or place this file only on prometheus-mode backends (slos[].clouds or slos[].clusters)',
      })),
    );
  }
  // In a multi-cluster stack the global Grafana has one Prometheus datasource per backend cloud: each
  // SLO's dashboard reads the clouds it is placed in, and adds them up when there are several (in
  // one query where the global vmselect reads them all).
  const inGlobal = (cloud: Cloud) => {
    const backend = topology.backendOf(cloud);
    return config.components.victoriametrics.globalSelect && backend?.kind === 'cluster' && metricsMode(backend.cluster) === 'victoriametrics-cluster';
  };
  const cloudsOf: SloPlacement = (slo) =>
    topology.backendClouds
      .filter((c) => topology.backendOf(c)?.kind === 'cluster' && places(slo, c))
      .map((cloud) => ({ cloud, prometheusUid: datasourceUids(cloud).prometheus, ...(inGlobal(cloud) ? { inGlobal: true } : {}) }));
  const dashboards = topology.multiCluster ? serviceDashboards(all.slos, options.prometheusUid, cloudsOf) : all.dashboards;
  // vmalert evaluates a victoriametrics-cluster backend's rules every scrape interval.
  const vmalert = { lag: vmalertLag(parseDuration(config.components.prometheus.scrapeInterval)!) };
  return {
    all: { ...all, dashboards },
    forBackend: (cluster) => compileSlos(all.slos.filter((s) => places(s, cluster.cloud)), metricsMode(cluster) === 'victoriametrics-cluster' ? { ...options, vmalert } : options),
  };
}
