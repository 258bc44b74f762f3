import { posix } from 'node:path';
import { checkName, dirRelative, mustBeShipped, type ClusterFolder, type GitopsLayout, type GitopsProblem, type GitopsReport, type SourceObject } from './check.ts';
import { FLUX_FORCE_ANNOTATION } from './flux-objects.ts';
import { crdScopes, describeRef, refKey, refOf } from './manifest.ts';
import { referencesOf } from './references.ts';

/** One folder of `DIR/flux/` with Flux objects: what one cluster's Flux applies. */
export interface FluxTarget {
  readonly display: string;
  readonly objects: readonly SourceObject[];
}

export interface FluxLayout {
  readonly targets: readonly FluxTarget[];
  readonly malformed: readonly GitopsProblem[];
}

interface KustomizationView {
  readonly key: string;
  readonly name: string;
  readonly file: string;
  readonly dependsOn: readonly string[];
  readonly objects: readonly SourceObject[];
}

const YAML_FILE = /\.ya?ml$/;

/**
 * Checks that Flux will apply `DIR/<cluster>/` completely, once and in a working order. Per folder
 * of `DIR/flux/` (one cluster's Flux): every Kustomization reads an existing GitRepository and a path
 * of DIR (a kustomization's resources, or a plain folder, which Flux reads recursively), depends on
 * existing Kustomizations without a cycle, applies no object another one applies, and finds the
 * namespaces, ConfigMaps and ServiceAccounts its objects need in itself or in what it depends on;
 * Jobs can be recreated; every file of every cluster folder is applied by some Kustomization. Pure.
 */
export function checkFluxLayout(layout: GitopsLayout, flux: FluxLayout): GitopsReport {
  const problems: GitopsProblem[] = [...flux.malformed];
  const warnings: GitopsProblem[] = [];
  const covered = new Set<string>();
  let kustomizations = 0;
  let objectCount = 0;
  const resolve = pathResolver(layout, covered);
  for (const target of flux.targets) {
    const repositories = new Set<string>();
    for (const o of target.objects.filter((o) => o.manifest.kind === 'GitRepository')) {
      const m = o.manifest;
      repositories.add(`${m.metadata.namespace ?? ''}/${m.metadata.name}`);
      if (!(m.spec as { ref?: unknown } | undefined)?.ref) {
        problems.push({ file: o.file, object: describeRef(refOf(m)), message: 'no spec.ref: Flux would check out the master branch' });
      }
    }
    const views: KustomizationView[] = [];
    for (const o of target.objects.filter((o) => o.manifest.kind === 'Kustomization')) {
      kustomizations++;
      const m = o.manifest;
      const namespace = m.metadata.namespace ?? '';
      const name = m.metadata.name ?? '';
      const spec = (m.spec ?? {}) as { path?: string; sourceRef?: { kind?: string; name?: string; namespace?: string }; dependsOn?: { name: string; namespace?: string }[]; wait?: boolean; healthChecks?: unknown[] };
      const problem = (message: string) => problems.push({ file: o.file, object: `Kustomization ${namespace}/${name}`, message });
      const source = spec.sourceRef;
      if (source?.kind === 'GitRepository' && !repositories.has(`${source.namespace ?? namespace}/${source.name}`)) {
        problem(`sourceRef names GitRepository ${source.namespace ?? namespace}/${source.name}, which ${target.display}/ does not define`);
      }
      if (spec.wait !== true && !spec.healthChecks?.length) {
        warnings.push({ file: o.file, object: `Kustomization ${namespace}/${name}`, message: 'neither wait: true nor healthChecks: Flux reports Ready before the workloads are' });
      }
      const objects = spec.path ? resolve(spec.path, problem) : (problem('spec.path is missing'), []);
      objectCount += objects.length;
      views.push({ key: `${namespace}/${name}`, name, file: o.file, dependsOn: (spec.dependsOn ?? []).map((d) => `${d.namespace ?? namespace}/${d.name}`), objects });
    }
    checkTarget(views, problems);
  }
  let files = 0;
  for (const folder of layout.folders) {
    const manifests = folder.files.filter((f) => YAML_FILE.test(f));
    files += manifests.length;
    const uncovered = manifests.filter((f) => !covered.has(fileOf(folder, f)));
    if (uncovered.length && uncovered.length === manifests.length) {
      problems.push({ file: `${folder.display}/`, message: 'not applied by any Flux Kustomization: nothing in this folder would be deployed' });
    } else for (const f of uncovered) problems.push({ file: fileOf(folder, f), message: 'not applied by any Flux Kustomization (no kustomization lists it)' });
  }
  return { problems, warnings, applications: 0, kustomizations, files, objects: objectCount };
}

const fileOf = (folder: ClusterFolder, name: string) => `${folder.display}/${name}`;

/**
 * Resolves a Kustomization's repository-relative path to the objects Flux would build from it,
 * marking their files covered: a folder with a kustomization applies its resources (files of
 * cluster folders, or folders with a kustomization); a cluster folder without one, every YAML file
 * in it and below (Flux generates the kustomization).
 */
function pathResolver(layout: GitopsLayout, covered: Set<string>) {
  const kustomizeByDir = new Map(layout.kustomizeFiles.map((k) => [k.dir, k]));
  const folders = new Map(layout.folders.map((f) => [f.name, f]));
  const objectsOf = (folder: ClusterFolder, files: readonly string[]) => {
    for (const f of files) covered.add(fileOf(folder, f));
    return folder.objects.filter((o) => files.some((f) => o.file === fileOf(folder, f)));
  };
  const build = (dir: string, problem: (message: string) => void, seen: Set<string>): SourceObject[] => {
    const kustomization = kustomizeByDir.get(dir);
    if (kustomization) {
      if (seen.has(dir)) {
        problem(`${kustomization.file} is part of a resource cycle`);
        return [];
      }
      seen.add(dir);
      return kustomization.resources.flatMap((resource) => {
        const target = posix.normalize(posix.join(dir, resource));
        const [folderName, ...rest] = target.split('/');
        const folder = folders.get(folderName ?? '');
        if (kustomizeByDir.has(target)) return build(target, problem, seen);
        if (folder && rest.length === 1 && folder.files.includes(rest[0]!)) return objectsOf(folder, rest);
        problem(`${kustomization.file} lists ${resource}, which is ${target.startsWith('..') ? 'outside' : 'not a file or kustomization folder of'} ${layout.dir}`);
        return [];
      });
    }
    const folder = folders.get(dir);
    if (!folder) {
      problem(`reads ${dir}/, which has no kustomization.yaml and is not a cluster folder of ${layout.dir}`);
      return [];
    }
    if (folder.subfolders.length) {
      problem(`Flux reads ${folder.display}/ recursively (it has no kustomization.yaml): the subfolders ${folder.subfolders.join(', ')} would be applied too`);
    }
    return objectsOf(folder, folder.files.filter((f) => YAML_FILE.test(f)));
  };
  return (path: string, problem: (message: string) => void): SourceObject[] => {
    const dir = dirRelative(layout.dir, path);
    if (dir === undefined) {
      problem(`path ${path} is not a folder of ${layout.dir}`);
      return [];
    }
    return build(dir, problem, new Set());
  };
}

/** Dependencies, duplicates, what objects need from other Kustomizations, and Jobs, for one cluster's Kustomizations. */
function checkTarget(views: readonly KustomizationView[], problems: GitopsProblem[]): void {
  const byKey = new Map(views.map((v) => [v.key, v]));
  const owner = new Map<string, KustomizationView>();
  const scopes = crdScopes(views.flatMap((v) => v.objects.map((o) => o.manifest)));
  for (const v of views) {
    for (const dep of v.dependsOn) {
      if (!byKey.has(dep)) problems.push({ file: v.file, object: `Kustomization ${v.key}`, message: `dependsOn ${dep}, which is not defined beside it` });
    }
    const cycle = findCycle(v.key, byKey);
    if (cycle) problems.push({ file: v.file, object: `Kustomization ${v.key}`, message: `dependsOn cycle: ${cycle.join(' -> ')}` });
    for (const o of v.objects) {
      const key = refKey(refOf(o.manifest));
      const first = owner.get(key);
      if (first) problems.push({ file: o.file, object: describeRef(refOf(o.manifest)), message: `duplicate resource: applied by Kustomization ${first.key} and ${v.key}` });
      else owner.set(key, v);
    }
  }
  for (const v of views) {
    const before = dependenciesOf(v.key, byKey);
    for (const o of v.objects) {
      const m = o.manifest;
      const problem = (message: string) => problems.push({ file: o.file, object: describeRef(refOf(m)), message });
      checkName(m, refOf(m), scopes, problem);
      if (m.kind === 'Job' && m.metadata.annotations?.[FLUX_FORCE_ANNOTATION] !== 'enabled') {
        problem(`a Job's pod template is immutable: without the annotation ${FLUX_FORCE_ANNOTATION}: enabled, Flux fails to apply its next version`);
      }
      for (const r of referencesOf(m)) {
        const from = owner.get(refKey(r.target));
        if (from === undefined) {
          if (!r.optional && mustBeShipped(r.target)) problem(`${r.field} refers to ${describeRef(r.target)}, which no Kustomization of this cluster applies`);
        } else if (from !== v && !before.has(from.key)) {
          problem(`${r.field} refers to ${describeRef(r.target)}, applied by Kustomization ${from.key}, which ${v.key} does not depend on`);
        }
      }
    }
  }
}

/** Every Kustomization `key` depends on, directly or not. */
function dependenciesOf(key: string, byKey: ReadonlyMap<string, KustomizationView>): Set<string> {
  const found = new Set<string>();
  const visit = (k: string) => {
    for (const dep of byKey.get(k)?.dependsOn ?? []) {
      if (found.has(dep)) continue;
      found.add(dep);
      visit(dep);
    }
  };
  visit(key);
  return found;
}

/** A dependsOn path from `start` back to itself, if there is one. */
function findCycle(start: string, byKey: ReadonlyMap<string, KustomizationView>): string[] | undefined {
  const visit = (k: string, path: string[], seen: Set<string>): string[] | undefined => {
    for (const dep of byKey.get(k)?.dependsOn ?? []) {
      if (dep === start) return [...path, dep];
      if (seen.has(dep)) continue;
      seen.add(dep);
      const found = visit(dep, [...path, dep], seen);
      if (found) return found;
    }
    return undefined;
  };
  return visit(start, [start], new Set());
}
