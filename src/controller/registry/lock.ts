import type { RegistryClient } from './client.ts';
import type { Platform } from './platform.ts';
import { verifyImages, type ImageVerdict } from './verify.ts';

/** One image of the catalog and the references the clusters pull it by (the source itself, or mirrors). */
export interface LockTarget {
  readonly source: string;
  readonly pulls: readonly string[];
}

export interface LockEntry {
  readonly source: string;
  /** The multi-arch index digest, when every pull reference resolved to the same verified index. */
  readonly digest?: string;
  readonly verdicts: readonly ImageVerdict[];
  /** Why there is no digest. */
  readonly problem?: string;
}

/**
 * Resolves every target's tag to the digest of its multi-arch index through the registry API (the
 * client of `images verify`): each pull reference must be an index offering every required
 * platform, and mirrors must serve the same index (a copy that re-wrote it, or dropped a platform,
 * has another digest). A platform manifest's digest is never recorded.
 */
export async function resolveIndexDigests(targets: readonly LockTarget[], platforms: readonly Platform[], client: RegistryClient): Promise<LockEntry[]> {
  const pulls = [...new Set(targets.flatMap((t) => t.pulls))];
  const verdicts = new Map((await verifyImages(pulls.map((image) => ({ image })), platforms, client)).map((v) => [v.image, v]));
  return targets.map((t) => {
    const own = t.pulls.map((p) => verdicts.get(p)!);
    const bad = own.find((v) => v.status !== 'ok');
    if (bad) return { source: t.source, verdicts: own, problem: `${bad.image}: ${bad.message}` };
    const single = own.find((v) => !v.index);
    if (single) return { source: t.source, verdicts: own, problem: `${single.image} is a single-platform manifest, not a multi-arch index` };
    const digests = [...new Set(own.map((v) => v.digest))];
    if (digests.length !== 1) {
      return { source: t.source, verdicts: own, problem: `the clusters' registries serve different indexes: ${own.map((v) => `${v.image} → ${v.digest}`).join(', ')}` };
    }
    return { source: t.source, digest: digests[0]!, verdicts: own };
  });
}
