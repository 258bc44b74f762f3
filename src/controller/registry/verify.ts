import { formatPlatform, missingPlatforms, normalizePlatform, type Platform } from './platform.ts';
import { formatReference, manifestReference, parseImageReference, type ImageReference } from './reference.ts';
import { RegistryClient, RegistryError, type RegistryFailure } from './client.ts';

export type ImageStatus = 'ok' | 'missing-platform' | RegistryFailure;

export interface ImageVerdict {
  /** The image as written in the manifest or on the command line. */
  image: string;
  /** Fully qualified: `docker.io/library/nginx:1.27`. */
  reference: string;
  status: ImageStatus;
  /** Digest of the manifest (index) the tag resolves to. */
  digest?: string;
  /** The tag or digest names a multi-platform index (manifest list), not a single image. */
  index?: boolean;
  /** Platforms the image offers, `os/arch[/variant]`. */
  platforms: string[];
  /** Required platforms it lacks. */
  missing: string[];
  message: string;
  /** Workloads that use the image (manifest mode). */
  usedBy?: string[];
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** Asks the registry which platforms `image` offers and judges them against `required`; registry failures become verdicts, not exceptions. */
export async function verifyImage(client: RegistryClient, image: string, required: readonly Platform[]): Promise<ImageVerdict> {
  let ref: ImageReference;
  try {
    ref = parseImageReference(image);
  } catch (e) {
    return { image, reference: image, status: 'error', platforms: [], missing: [], message: (e as Error).message };
  }
  const reference = formatReference(ref);
  try {
    const { offered, digest, index } = await offeredPlatforms(client, ref);
    const missing = missingPlatforms(required, offered).map(formatPlatform);
    const platforms = [...new Set(offered.filter((p) => p.os !== 'unknown').map(formatPlatform))].sort();
    const base = { image, reference, digest, index, platforms, missing };
    return missing.length
      ? { ...base, status: 'missing-platform', message: `lacks ${missing.join(', ')} (has ${platforms.join(', ') || 'no platform'})` }
      : { ...base, status: 'ok', message: `has ${required.map(formatPlatform).join(', ')}` };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    return { image, reference, status: e.kind, platforms: [], missing: [], message: e.message };
  }
}

/**
 * The platforms behind a tag or digest: an index lists them (entries without a platform are resolved
 * through their own manifest); a single manifest names its platform only in its config blob.
 */
async function offeredPlatforms(client: RegistryClient, ref: ImageReference): Promise<{ offered: Platform[]; digest: string; index: boolean }> {
  const top = await client.manifest(ref, manifestReference(ref));
  const entries = top.body.manifests;
  if (INDEX_TYPES.has(top.mediaType) || Array.isArray(entries)) {
    const list = Array.isArray(entries) ? (entries as { digest?: string; platform?: Partial<Platform> }[]) : [];
    const offered = await Promise.all(
      list.map(async (entry) => {
        if (entry.platform?.os && entry.platform.architecture) return [platformOf(entry.platform)];
        if (!entry.digest) return [];
        const child = await client.manifest(ref, entry.digest);
        return Array.isArray(child.body.manifests) ? [] : [await singleManifestPlatform(client, ref, child.body)];
      }),
    );
    return { offered: offered.flat(), digest: top.digest, index: true };
  }
  return { offered: [await singleManifestPlatform(client, ref, top.body)], digest: top.digest, index: false };
}

async function singleManifestPlatform(client: RegistryClient, ref: ImageReference, manifest: Record<string, unknown>): Promise<Platform> {
  // Docker schema 1 carries the architecture in the manifest itself.
  if (manifest.schemaVersion === 1 && typeof manifest.architecture === 'string') return platformOf({ os: 'linux', architecture: manifest.architecture });
  const config = manifest.config as { digest?: string } | undefined;
  if (!config?.digest) throw new RegistryError('error', 'manifest has no config blob, so its platform is unknown');
  const blob = await client.jsonBlob(ref, config.digest);
  if (typeof blob.architecture !== 'string' || typeof blob.os !== 'string') {
    throw new RegistryError('error', `config ${config.digest} names no os/architecture (not a container image?)`);
  }
  return platformOf(blob as Partial<Platform>);
}

function platformOf(p: Partial<Platform>): Platform {
  return normalizePlatform({ os: String(p.os), architecture: String(p.architecture), ...(p.variant ? { variant: String(p.variant) } : {}) });
}

/** Verifies distinct images, `concurrency` at a time, in input order. */
export async function verifyImages(
  images: readonly { image: string; usedBy?: string[] }[],
  required: readonly Platform[],
  client: RegistryClient,
  concurrency = 6,
): Promise<ImageVerdict[]> {
  const verdicts: ImageVerdict[] = new Array(images.length);
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const i = next++;
      const { image, usedBy } = images[i]!;
      verdicts[i] = { ...(await verifyImage(client, image, required)), ...(usedBy ? { usedBy } : {}) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, images.length) }, worker));
  return verdicts;
}
