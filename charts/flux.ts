import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { buildFluxClusters, FLUX_OBJECTS_FILE, type ClusterFiles } from '../src/gitops/flux-objects.ts';
import type { GitopsSettings } from '../src/gitops/settings.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { addObjects } from './objects.ts';

/**
 * Writes `dir/<cluster>/flux.k8s.yaml` (GitRepository and Kustomizations, for that cluster's Flux)
 * and `dir/layers/<cluster>/<layer>/kustomization.yaml` when the resolved `gitops:` section has
 * flavor flux. Returns the files written.
 */
export function synthFlux(settings: GitopsSettings | undefined, clusters: readonly ClusterFiles[], dir: string): string[] {
  if (settings?.flavor !== 'flux') return [];
  const written: string[] = [];
  for (const flux of buildFluxClusters(settings, clusters)) {
    const app = new App({ outdir: join(dir, flux.cluster), outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
    addObjects(new Chart(app, 'flux'), flux.objects);
    app.synth();
    written.push(join(dir, flux.cluster, FLUX_OBJECTS_FILE));
    for (const layer of flux.layers) {
      const file = join(dir, layer.kustomizationFile);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, dumpYaml(layer.kustomization));
      written.push(file);
    }
  }
  return written;
}
