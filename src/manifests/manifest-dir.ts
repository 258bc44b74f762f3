import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { readYamlFile, type YamlSource } from '../input/yaml-source.ts';

/** One Kubernetes object of a synthesized manifest, with the YAML document it came from (for located errors). */
export interface ManifestObject {
  readonly source: YamlSource;
  readonly object: Record<string, unknown>;
}

/**
 * Reads every object of `dir/*.k8s.yaml` (a `dist/<cluster>` folder), in file-name order.
 * A folder without manifests is bad input: checking nothing must not look like success.
 */
export function readManifestDir(dir: string): ManifestObject[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir).filter((n) => n.endsWith('.k8s.yaml')).sort();
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message;
    throw new InputError([{ location: { file: dir, line: 1, column: 1 }, path: '', message: `cannot read manifests: ${reason}` }]);
  }
  if (names.length === 0) {
    throw new InputError([{ location: { file: dir, line: 1, column: 1 }, path: '', message: 'no *.k8s.yaml manifests in this directory' }]);
  }
  const objects: ManifestObject[] = [];
  for (const name of names) {
    for (const source of readYamlFile(join(dir, name))) {
      const object = source.toJS();
      if (isRecord(object)) objects.push({ source, object });
    }
  }
  return objects;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
