import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';
import { synthesize } from '../../src/synth.ts';
import { loadManifestDir } from './load-manifests.ts';

/** A collector config as its ConfigMap carries it (the parts the tests read). */
export interface CollectorConfig {
  receivers: Record<string, { operators?: (Record<string, unknown> & { type: string; id?: string })[]; protocols?: { grpc?: { endpoint?: string } } }>;
  processors?: Record<string, Record<string, unknown>>;
  connectors?: Record<string, { default_pipelines: string[]; table: { condition: string; pipelines: string[] }[] }>;
  exporters: Record<string, Record<string, unknown>>;
  service: { pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

/** Synthesizes `configFile` into `outDir` and returns, per cluster, its collector configs by component (otel-gateway, otel-agent, otel-scraper). */
export function synthesizedCollectors(configFile: string, outDir: string): { cluster: string; collectors: Record<string, CollectorConfig> }[] {
  synthesize({ configFile, outDir });
  return loadConfigFile(configFile).clusters.map((cluster) => {
    const configMaps = loadManifestDir(join(outDir, cluster.name)).filter((o) => o.kind === 'ConfigMap' && /^otel-/.test(o.metadata.name ?? ''));
    const collectors = Object.fromEntries(
      configMaps.map((cm) => [cm.metadata.labels!['app.kubernetes.io/component']!, parseYaml((cm.data as Record<string, string>)['config.yaml']!) as CollectorConfig]),
    );
    return { cluster: cluster.name, collectors };
  });
}
