/**
 * Image references as Docker and containerd read them (distribution/reference, "normalized named"):
 * `nginx` is `docker.io/library/nginx:latest`; the first path component is a registry host only if it
 * contains `.` or `:`, or is `localhost`.
 */
export interface ImageReference {
  /** Registry as users write it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/nginx`, `grafana/grafana`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

/** Parses an image reference; throws an Error whose message says what is wrong with it. */
export function parseImageReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw new Error('empty image reference');
  const at = text.indexOf('@');
  const namePart = at >= 0 ? text.slice(0, at) : text;
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST.test(digest)) throw new Error(`invalid digest "${digest}" (want algorithm:hex, e.g. sha256:…)`);
  if (digest?.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`invalid sha256 digest "${digest}"`);

  const lastSlash = namePart.lastIndexOf('/');
  const colon = namePart.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? namePart.slice(0, colon) : namePart;
  const tag = colon >= 0 ? namePart.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) throw new Error(`invalid tag "${tag}"`);

  const parts = name.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) throw new Error(`invalid registry host "${registry}"`);
    if (registry === 'index.docker.io') registry = DOCKER_HUB;
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      throw new Error(
        part.toLowerCase() !== part && COMPONENT.test(part.toLowerCase())
          ? `repository name "${repository}" must be lowercase`
          : `invalid repository path component "${part}"`,
      );
    }
  }
  if (repository.length > MAX_NAME) throw new Error(`repository name longer than ${MAX_NAME} characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}), ...(tag === undefined && digest === undefined ? { tag: 'latest' } : {}) };
}

/** `docker.io/library/nginx:1.27@sha256:…`: the fully qualified form, for reports. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What to ask the manifests endpoint for: the digest when pinned (the tag is then informational, as in containerd). */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Base URL of the registry API. Loopback registries speak plain HTTP, as Docker allows by default; all others HTTPS. */
export function registryBaseUrl(registry: string): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  const hostname = host.replace(/:[0-9]+$/, '');
  const loopback = hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
  return `${loopback ? 'http' : 'https'}://${host}`;
}
