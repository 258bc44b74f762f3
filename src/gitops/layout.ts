import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.ts';
import { readYamlFile } from '../input/yaml-source.ts';
import type { ClusterFolder, GitopsLayout, GitopsProblem, KustomizeFile, SourceObject } from './check.ts';
import { FLUX_FOLDER, KUSTOMIZE_FILES } from './flux-objects.ts';
import type { FluxLayout, FluxTarget } from './flux-check.ts';
import type { Manifest } from './manifest.ts';

export const ARGOCD_FOLDER = 'argocd';
/** Folders of DIR that are neither a cluster's manifests nor delivery objects. */
const ARTEFACT_FOLDERS = new Set(['promtool']);
const YAML_FILE = /\.ya?ml$/;

/**
 * Reads a synth output folder for {@link checkGitopsLayout}: `DIR/argocd/*.yaml`, `DIR/flux/` (see
 * {@link readFlux}) and, for every other folder of DIR but `promtool/`, its file names and the
 * documents of its YAML files. Subfolders are listed by name only. Throws UsageError when DIR is not a folder and
 * InputError (located) when a YAML file cannot be parsed; YAML that is not a Kubernetes object is
 * left to the check, which minds it only where an Application reads it.
 */
export function readGitopsLayout(dir: string): GitopsLayout {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new UsageError(`${dir} is not a folder; give the synth output folder, e.g. dist`);
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const folders: ClusterFolder[] = [];
  const kustomizeFiles: KustomizeFile[] = [];
  const kustomizeMalformed: GitopsProblem[] = [];
  let argocd: Parsed | undefined;
  let flux: FluxLayout | undefined;
  for (const e of entries) {
    if (!e.isDirectory() || ARTEFACT_FOLDERS.has(e.name)) continue;
    const display = join(dir, e.name);
    if (e.name === FLUX_FOLDER) {
      flux = readFlux(display, (folder, file) => kustomizeFiles.push(readKustomization(dir, folder, file, kustomizeMalformed)));
      continue;
    }
    const { files, subfolders } = listFolder(display);
    const parsed = readObjects(files.filter((f) => YAML_FILE.test(f) && !isKustomization(f)).map((f) => join(display, f)));
    if (e.name === ARGOCD_FOLDER) argocd = parsed;
    else {
      folders.push({ name: e.name, display, files, subfolders, ...parsed });
      const kustomization = files.find(isKustomization);
      if (kustomization) kustomizeFiles.push(readKustomization(dir, display, kustomization, kustomizeMalformed));
    }
  }
  if (flux) flux = { ...flux, malformed: [...flux.malformed, ...kustomizeMalformed] };
  return { dir: resolve(dir), hasArgocd: argocd !== undefined, argocd: argocd?.objects ?? [], argocdMalformed: argocd?.malformed ?? [], flux, kustomizeFiles, folders };
}

const isKustomization = (file: string) => (KUSTOMIZE_FILES as readonly string[]).includes(file);

function listFolder(display: string): { files: string[]; subfolders: string[] } {
  const entries = readdirSync(display, { withFileTypes: true });
  const names = (keep: (e: (typeof entries)[number]) => boolean) => entries.filter(keep).map((e) => e.name).sort();
  return { files: names((e) => e.isFile()), subfolders: names((e) => e.isDirectory()) };
}

/**
 * `DIR/flux/`: each folder holding YAML files other than kustomizations is one cluster's Flux
 * objects (a target); kustomizations below it go to `onKustomization`.
 */
function readFlux(display: string, onKustomization: (folder: string, file: string) => void): FluxLayout {
  const targets: FluxTarget[] = [];
  const malformed: GitopsProblem[] = [];
  const walk = (folder: string) => {
    const { files, subfolders } = listFolder(folder);
    const manifests = files.filter((f) => YAML_FILE.test(f) && !isKustomization(f));
    if (manifests.length) {
      const parsed = readObjects(manifests.map((f) => join(folder, f)));
      targets.push({ display: folder, objects: parsed.objects });
      malformed.push(...parsed.malformed);
    }
    const kustomization = files.find(isKustomization);
    if (kustomization) onKustomization(folder, kustomization);
    for (const sub of subfolders) walk(join(folder, sub));
  };
  walk(display);
  return { targets, malformed };
}

function readKustomization(dir: string, folder: string, name: string, malformed: GitopsProblem[]): KustomizeFile {
  const file = join(folder, name);
  const dirFromRoot = relative(dir, folder).split(sep).join('/');
  const value = readYamlFile(file)[0]?.toJS() as { resources?: unknown } | undefined;
  const resources = value?.resources;
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
    malformed.push({ file, message: 'resources must be a list of paths' });
    return { dir: dirFromRoot, file, resources: [] };
  }
  return { dir: dirFromRoot, file, resources };
}

interface Parsed {
  readonly objects: SourceObject[];
  readonly malformed: GitopsProblem[];
}

function readObjects(files: readonly string[]): Parsed {
  const parsed: Parsed = { objects: [], malformed: [] };
  for (const file of files) {
    for (const doc of readYamlFile(file)) {
      const value = doc.toJS();
      if (value === null || value === undefined) continue;
      const m = value as Partial<Manifest>;
      if (typeof value !== 'object' || Array.isArray(value) || typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') {
        const { line, column } = doc.at([]);
        parsed.malformed.push({ file, message: `line ${line}:${column}: not a Kubernetes object (expected a mapping with apiVersion and kind)` });
      } else parsed.objects.push({ manifest: { ...m, metadata: m.metadata ?? {} } as Manifest, file });
    }
  }
  return parsed;
}
