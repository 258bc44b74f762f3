import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './manifest-checks.ts';

/**
 * Parses a multi-document Kubernetes YAML text. Empty documents (`---` at the end) are dropped and
 * `kind: List` documents are flattened into their items. Every object is a fresh tree (YAML
 * aliases are copied, not shared), so a test may mutate one object without touching another.
 */
export function parseManifests(text: string, file = '<text>'): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: a document is not a mapping`);
    const object = value as K8sObject;
    const items = object.kind === 'List' ? (object.items as K8sObject[]) : [object];
    objects.push(...items.map((o) => JSON.parse(JSON.stringify(o)) as K8sObject));
  }
  return objects;
}

/**
 * Every object in `dir/*.k8s.yaml`, files in name order. Subfolders are not read: they hold
 * non-Kubernetes artefacts (promtool rule files and tests).
 */
export function loadManifestDir(dir: string): K8sObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort()
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

/** Reads one YAML file of manifests. */
export function loadManifestFile(file: string): K8sObject[] {
  return parseManifests(readFileSync(file, 'utf8'), file);
}
