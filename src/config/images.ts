import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { formatReference, parseImageReference } from '../controller/registry/reference.ts';
import type { InputProblem } from '../errors.ts';
import { readYamlFile, type KeyPath, type YamlSource } from '../input/yaml-source.ts';
import type { ClusterConfig, ImagesConfig, StackConfig } from '../model/types.ts';

/** The lock file `o11y images lock` writes beside the config, and `images.digests: true` reads. */
export const IMAGE_LOCK_FILE = 'images.lock.yaml';
const INDEX_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** How one cluster gets its images: the top-level `images` with the cluster's keys over it. */
export interface ImageSupply {
  readonly registry?: string;
  readonly pathPrefixes: Readonly<Record<string, string>>;
  readonly pullSecrets: readonly string[];
  readonly digests: boolean;
}

export function imageSupply(config: Pick<StackConfig, 'images'>, cluster: Pick<ClusterConfig, 'images'>): ImageSupply {
  const top: ImagesConfig = config.images;
  const own: ImagesConfig = cluster.images ?? {};
  return {
    ...((own.registry ?? top.registry) !== undefined ? { registry: own.registry ?? top.registry } : {}),
    pathPrefixes: { ...top.pathPrefixes, ...own.pathPrefixes },
    pullSecrets: own.pullSecrets ?? top.pullSecrets ?? [],
    digests: own.digests ?? top.digests ?? false,
  };
}

/**
 * Where `source` is pulled from under `supply`: with a `registry`, the mirror keeps the
 * repository path under a prefix per source registry (`pathPrefixes`, else the source host):
 * `quay.io/prometheus/prometheus:v3.14.0` → `harbor.example.com/mirror/quay.io/prometheus/prometheus:v3.14.0`,
 * or with `{ quay.io: quay }` → `<account>.dkr.ecr.<region>.amazonaws.com/quay/prometheus/prometheus:v3.14.0`.
 * Docker Hub images keep their full repository (`library/…` for official images), as ECR
 * pull-through caches and Harbor proxy projects expect.
 */
export function mirrorReference(source: string, supply: Pick<ImageSupply, 'registry' | 'pathPrefixes'>): string {
  if (supply.registry === undefined) return source;
  const ref = parseImageReference(source);
  const prefix = supply.pathPrefixes[ref.registry] ?? ref.registry;
  return formatReference({ ...ref, registry: [supply.registry, prefix].filter(Boolean).join('/').replace(/\/+$/, '') });
}

/** The reference a pod runs: the mirror's, pinned `@<index digest>` when the supply pins digests. */
export function deployedReference(source: string, supply: ImageSupply, digests: Readonly<Record<string, string>>): string {
  const mirrored = mirrorReference(source, supply);
  if (!supply.digests) return mirrored;
  const digest = digests[source];
  // Load refuses a missing entry; reaching here without one is a bug.
  if (!digest) throw new Error(`no index digest for ${source} in ${IMAGE_LOCK_FILE}`);
  return `${mirrored}@${digest}`;
}

/** Path of the lock file of a config file. */
export function imageLockPath(configFile: string): string {
  return join(dirname(configFile), IMAGE_LOCK_FILE);
}

/** The lock file's text: index digests by source reference, sorted. */
export function formatImageLock(digests: Readonly<Record<string, string>>): string {
  const sorted = Object.fromEntries(Object.keys(digests).sort().map((k) => [k, digests[k]!]));
  return `# Written by \`o11y images lock\`: the multi-arch index digest of every image, pinned where images.digests is true.\n${stringify({ images: sorted })}`;
}

/**
 * Reads the lock file when some cluster pins digests, and says (located in the config) which catalog
 * images it lacks. Returns the digests (empty when nothing pins).
 */
export function readImageDigests(source: YamlSource, config: Pick<StackConfig, 'images' | 'clusters'>, catalog: readonly string[]): { digests: Record<string, string>; problems: InputProblem[] } {
  const pinning: KeyPath[] = [];
  if (config.images.digests) pinning.push(['images', 'digests']);
  config.clusters.forEach((c, i) => {
    if (c.images?.digests) pinning.push(['clusters', i, 'images', 'digests']);
  });
  if (!pinning.length) return { digests: {}, problems: [] };
  const lockFile = imageLockPath(source.file);
  const fix = `run \`o11y images lock --config ${source.file}\` and commit ${IMAGE_LOCK_FILE}`;
  if (!existsSync(lockFile)) {
    return { digests: {}, problems: pinning.map((p) => source.problem(p, `digests need ${lockFile}, which does not exist; ${fix}`)) };
  }
  const docs = readYamlFile(lockFile);
  const lock = docs[0];
  const raw = lock?.toJS() as { images?: unknown } | null | undefined;
  const problems: InputProblem[] = [];
  const digests: Record<string, string> = {};
  if (!lock || docs.length !== 1 || !raw || typeof raw !== 'object' || !raw.images || typeof raw.images !== 'object' || Array.isArray(raw.images)) {
    const where = lock ?? source;
    return { digests, problems: [where === source ? source.problem(pinning[0]!, `${lockFile} is not a lock file; ${fix}`) : lock!.problem([], `expected one document with an images: mapping of image → sha256 index digest; ${fix}`)] };
  }
  for (const [image, digest] of Object.entries(raw.images as Record<string, unknown>)) {
    if (typeof digest === 'string' && INDEX_DIGEST.test(digest)) digests[image] = digest;
    else problems.push(lock.problem(['images', image], `${JSON.stringify(digest)} is not a sha256 digest (sha256: and 64 hex digits); ${fix}`));
  }
  const missing = catalog.filter((image) => !digests[image]);
  if (missing.length) {
    for (const p of pinning) problems.push(source.problem(p, `${lockFile} has no index digest for ${missing.join(', ')}; ${fix}`));
  }
  return { digests, problems };
}

/** Every catalog image with the references the clusters pull it by (their mirrors; the source without one), for `images list` and `images lock`. */
export function imagePulls(config: Pick<StackConfig, 'images' | 'clusters'>, catalog: readonly string[]): { source: string; pulls: string[] }[] {
  return catalog.map((source) => ({ source, pulls: [...new Set(config.clusters.map((c) => mirrorReference(source, imageSupply(config, c))))] }));
}

/** The references pods run, each with the clusters that run it, for `images verify --config`. */
export function deployedImages(config: Pick<StackConfig, 'images' | 'clusters' | 'imageDigests'>, catalog: readonly string[]): { image: string; usedBy: string[] }[] {
  const users = new Map<string, string[]>();
  for (const cluster of config.clusters) {
    for (const source of catalog) {
      const image = deployedReference(source, imageSupply(config, cluster), config.imageDigests);
      users.set(image, [...(users.get(image) ?? []), `cluster ${cluster.name}`]);
    }
  }
  return [...users].map(([image, usedBy]) => ({ image, usedBy }));
}
