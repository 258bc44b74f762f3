import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { buildArgoCdObjects, type ClusterInventory } from '../src/gitops/argocd-objects.ts';
import { argocdCmPatch } from '../src/gitops/health.ts';
import type { Manifest } from '../src/gitops/manifest.ts';
import type { GitopsSettings } from '../src/gitops/settings.ts';

export interface ArgoCdChartProps extends ChartProps {
  /** The resolved `gitops:` section (see `resolveGitops`). */
  readonly settings: GitopsSettings;
  /** Each cluster's chart, complete: the AppProject allows exactly the kinds and namespaces they hold. */
  readonly clusterCharts: readonly { readonly cluster: string; readonly chart: Chart }[];
}

/**
 * `dist/argocd/`: the AppProject and, per `gitops.mode`, one ApplicationSet or one Application per
 * cluster. Build it after the cluster charts are complete. {@link argocdCmPatch} is the text of
 * the `argocd-cm` patch to write beside it (it is not an object to apply).
 */
export class ArgoCdChart extends Chart {
  readonly argocdCmPatch: string;

  constructor(scope: Construct, id: string, props: ArgoCdChartProps) {
    super(scope, id, props);
    const inventories: ClusterInventory[] = props.clusterCharts.map((c) => ({ cluster: c.cluster, manifests: c.chart.toJson() as Manifest[] }));
    for (const m of buildArgoCdObjects(props.settings, inventories)) {
      const { apiVersion, kind, metadata, ...rest } = m;
      new ApiObject(this, `${kind}-${metadata.name}`, { apiVersion, kind, metadata, ...rest });
    }
    this.argocdCmPatch = argocdCmPatch(inventories.flatMap((i) => i.manifests));
  }
}
