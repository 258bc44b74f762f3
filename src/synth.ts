import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { synthArgoCd } from '../charts/argocd.ts';
import { synthFlux } from '../charts/flux.ts';
import { O11yStack, stackArtifacts } from '../charts/stack.ts';
import type { Flow } from '../constructs/network-policy.ts';
import { loadConfigFile } from './config/load.ts';
import { resolveTopology } from './model/topology.ts';
import { FLUX_FOLDER } from './gitops/flux-objects.ts';
import { resolveGitops } from './gitops/settings.ts';
import { ARGOCD_FOLDER } from './gitops/layout.ts';


export interface SynthOptions {
  readonly configFile: string;
  readonly outDir: string;
}

/**
 * Validates the config and writes `outDir/<cluster>/` for every cluster. Atomic: everything is
 * written to a staging folder beside `outDir` and renamed into place, so a failure (bad config,
 * bad SLO file) leaves `outDir` exactly as it was.
 */
export function synthesize(opts: SynthOptions): { files: string[]; flows: Record<string, readonly Flow[]> } {
  const config = loadConfigFile(opts.configFile);
  const topology = resolveTopology(config);
  // Before anything is written: a bad gitops section refuses the whole synth.
  const gitops = resolveGitops(config);
  const artifacts = stackArtifacts(config, topology);
  const outDir = resolve(opts.outDir);
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.staging-`));
  try {
    const flows: Record<string, readonly Flow[]> = {};
    const inventories = config.clusters.map((cluster) => {
      // One App per cluster: cdk8s names each chart's file after its id.
      const app = new App({ outdir: join(staging, cluster.name), outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
      const stack = new O11yStack(app, cluster.name, { resolved: { config, cluster, topology, artifacts } });
      app.synth();
      const files = stack.writeFiles(app, staging);
      flows[cluster.name] = stack.flows.flows();
      return { cluster: cluster.name, manifests: files.flatMap((f) => f.manifests), files };
    });
    synthArgoCd(gitops, inventories, join(staging, ARGOCD_FOLDER));
    synthFlux(gitops, inventories, join(staging, FLUX_FOLDER));
    const files = listFiles(staging).map((f) => relative(staging, f));
    replaceDir(staging, outDir);
    return { files, flows };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Swaps `staging` into `target`; the old tree is removed only once the new one is in place. */
function replaceDir(staging: string, target: string): void {
  const old = `${staging}.old`;
  let moved = false;
  try {
    renameSync(target, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  renameSync(staging, target);
  if (moved) rmSync(old, { recursive: true, force: true });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
