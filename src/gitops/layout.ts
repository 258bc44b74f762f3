import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { readYamlFile } from '../input/yaml-source.ts';
import type { ClusterFolder, GitopsLayout, GitopsProblem, SourceObject } from './check.ts';
import type { Manifest } from './manifest.ts';

export const ARGOCD_FOLDER = 'argocd';
const YAML_FILE = /\.ya?ml$/;

/**
 * Reads a synth output folder for {@link checkGitopsLayout}: `DIR/argocd/*.yaml` and, for every other
 * folder of DIR, its file names and the documents of its YAML files. Subfolders are listed by name
 * only: they hold non-Kubernetes artefacts. Throws UsageError when DIR is not a folder and
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
  let argocd: Parsed = { objects: [], malformed: [] };
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const display = join(dir, e.name);
    const files = readdirSync(display, { withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => f.name)
      .sort();
    const parsed = readObjects(files.filter((f) => YAML_FILE.test(f)).map((f) => join(display, f)));
    if (e.name === ARGOCD_FOLDER) argocd = parsed;
    else folders.push({ name: e.name, display, files, ...parsed });
  }
  return { dir: resolve(dir), argocd: argocd.objects, argocdMalformed: argocd.malformed, folders };
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
