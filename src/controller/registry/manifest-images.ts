import { InputError, type InputProblem } from '../../errors.ts';
import { isRecord, readManifestDir, type ManifestObject } from '../../manifests/manifest-dir.ts';
import { POD_SPEC_PATHS } from '../../manifests/pod-spec.ts';
import { parseImageReference } from './reference.ts';

export interface ManifestImage {
  image: string;
  /** `Deployment observability/grafana (grafana)`, one per container using the image. */
  usedBy: string[];
}

/** Every distinct image of the containers and initContainers of the workloads in `dir/*.k8s.yaml`. */
export function imagesFromManifests(dir: string): ManifestImage[] {
  return imagesOf(readManifestDir(dir));
}

/** Images of workload objects; a container without a valid image reference is a located InputError. */
export function imagesOf(objects: readonly ManifestObject[]): ManifestImage[] {
  const byImage = new Map<string, string[]>();
  const problems: InputProblem[] = [];
  for (const { source, object } of objects) {
    const specPath = POD_SPEC_PATHS[String(object.kind)];
    if (!specPath) continue;
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const owner = `${String(object.kind)} ${metadata.namespace ? `${String(metadata.namespace)}/` : ''}${String(metadata.name)}`;
    const spec = specPath.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), object);
    if (!isRecord(spec)) continue;
    for (const field of ['initContainers', 'containers'] as const) {
      const containers = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
      containers.forEach((c, i) => {
        const path = [...specPath, field, i, 'image'];
        const image = isRecord(c) ? c.image : undefined;
        if (typeof image !== 'string' || image.trim() === '') {
          problems.push(source.problem(path, `${owner}: container has no image`));
          return;
        }
        try {
          parseImageReference(image);
        } catch (e) {
          problems.push(source.problem(path, `${owner}: ${(e as Error).message}`));
          return;
        }
        const users = byImage.get(image) ?? [];
        users.push(`${owner} (${isRecord(c) ? String(c.name) : '?'})`);
        byImage.set(image, users);
      });
    }
  }
  if (problems.length) throw new InputError(problems);
  return [...byImage].map(([image, usedBy]) => ({ image, usedBy }));
}
