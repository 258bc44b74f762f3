/** An OCI platform (image-spec image-index.md `platform`), as `os/architecture[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Spellings that mean the same architecture (uname vs GOARCH). */
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };
/** Variants that an image without a variant is assumed to have (containerd's platforms.Normalize). */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** Parses `linux/arm64`, `linux/arm/v7`; throws with a message saying what is allowed. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new Error(`invalid platform "${text}" (want os/architecture[/variant], e.g. linux/arm64)`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}

export function normalizePlatform(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  const variant = p.variant || DEFAULT_VARIANT[architecture];
  return { os: p.os, architecture, ...(variant ? { variant } : {}) };
}

/** `os/arch[/variant]`, leaving out a variant that is the architecture's default (arm64 is arm64/v8), as users write it. */
export function formatPlatform(p: Platform): string {
  const variant = p.variant && p.variant !== DEFAULT_VARIANT[ARCH_ALIASES[p.architecture] ?? p.architecture] ? p.variant : undefined;
  return [p.os, p.architecture, variant].filter(Boolean).join('/');
}

/**
 * Whether an image built for `offered` runs where `required` is asked for. A required platform without a
 * variant accepts any variant (linux/amd64 accepts amd64/v3 builds); with a variant, it must be equal
 * after normalization (arm64 ≡ arm64/v8).
 */
export function platformSatisfies(required: Platform, offered: Platform): boolean {
  const want = normalizePlatform(required);
  const have = normalizePlatform(offered);
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  return required.variant === undefined || want.variant === have.variant;
}

/** Required platforms that none of the offered ones satisfy. `unknown/unknown` entries (attestations) offer nothing. */
export function missingPlatforms(required: readonly Platform[], offered: readonly Platform[]): Platform[] {
  const real = offered.filter((p) => p.os !== 'unknown' && p.architecture !== 'unknown');
  return required.filter((want) => !real.some((have) => platformSatisfies(want, have)));
}
