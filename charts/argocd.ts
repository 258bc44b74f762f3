import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, Chart, YamlOutputType, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { buildArgoCdObjects, type ClusterInventory } from '../src/gitops/argocd-objects.ts';
import { ARGOCD_CM_PATCH_FILE, argocdCmPatch } from '../src/gitops/health.ts';
import type { GitopsSettings } from '../src/gitops/settings.ts';
import { addObjects } from './objects.ts';

export interface ArgoCdChartProps extends ChartProps {
  /** The resolved `gitops:` section (see `resolveGitops`). */
  readonly settings: GitopsSettings;
  /** Every cluster's synthesized objects: the AppProject allows exactly their kinds and namespaces. */
  readonly inventories: readonly ClusterInventory[];
}

/** The AppProject and, per `gitops.mode`, one ApplicationSet or one Application per cluster. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string, props: ArgoCdChartProps) {
    super(scope, id, props);
    addObjects(this, buildArgoCdObjects(props.settings, props.inventories));
  }
}

/**
 * Writes `dir/argocd.k8s.yaml` (the {@link ArgoCdChart}) and `dir/patches/argocd-cm.yaml` (resource
 * tracking and Lua health checks for Argo CD's config) when the resolved `gitops:` section has flavor argocd.
 * `inventories` must be the final, annotated objects of every cluster. Returns the files written.
 */
export function synthArgoCd(settings: GitopsSettings | undefined, inventories: readonly ClusterInventory[], dir: string): string[] {
  if (settings?.flavor !== 'argocd') return [];
  const app = new App({ outdir: dir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new ArgoCdChart(app, 'argocd', { settings, inventories });
  app.synth();
  const patch = join(dir, ARGOCD_CM_PATCH_FILE);
  mkdirSync(dirname(patch), { recursive: true });
  writeFileSync(patch, argocdCmPatch(inventories.flatMap((i) => i.manifests)));
  return [join(dir, 'argocd.k8s.yaml'), patch];
}
