import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize } from '../../src/synth.ts';
import { loadManifestDir } from './load-manifests.ts';
import type { K8sObject } from './manifest-checks.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The repository's default config (its SLOs included) with its backend switched to the victoriametrics-cluster metrics mode. */
export function vmModeConfig(): string {
  const text = readFileSync(join(ROOT, 'o11y.yaml'), 'utf8').replace('slos: [slos/*.yaml]', `slos: [${join(ROOT, 'slos')}/*.yaml]`);
  const switched = text.replace(/^( +)region: dc1\n/m, '$1region: dc1\n$1metrics: { mode: victoriametrics-cluster }\n');
  if (switched === text) throw new Error('o11y.yaml changed shape: cannot switch its backend to the victoriametrics-cluster mode');
  return switched;
}

/** The first container's args of workload `name`. */
export function containerArgs(objects: readonly K8sObject[], name: string): string[] {
  const workload = objects.find((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind) && o.metadata.name === name);
  if (!workload) throw new Error(`no workload named ${name}`);
  return [...(workload.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args];
}

/** Synthesizes {@link vmModeConfig} into `work/dist` and returns the objects of its `local` cluster. */
export function synthesizeVmMode(work: string): K8sObject[] {
  writeFileSync(join(work, 'o11y.yaml'), vmModeConfig());
  synthesize({ configFile: join(work, 'o11y.yaml'), outDir: join(work, 'dist') });
  return loadManifestDir(join(work, 'dist', 'local'));
}
