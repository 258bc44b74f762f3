import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** Where compiled code is kept: `O11Y_COMPILE_CACHE`, else a folder of this user's own in the OS temp folder. */
export function compileCacheDir(): string {
  return process.env.O11Y_COMPILE_CACHE ?? join(tmpdir(), `o11y-compile-cache-${process.getuid?.() ?? 'user'}`);
}

export interface Evaluated {
  readonly value: unknown;
  /** Whether V8 accepted a cached compilation (else the code was compiled from its source). */
  readonly fromCache: boolean;
  /** Stores the compilation, once the code has run: V8 then includes the functions it compiled lazily, the bulk of the cost. */
  save(): void;
}

/**
 * Evaluates `source`, one JavaScript expression, with V8's code cache for it (Node 20 has no module
 * compile cache). The cache is only read from a folder owned by this user and writable by no one
 * else (compiled code is code), and V8 rejects one made by another source or version. A missing,
 * rejected or unwritable cache costs only the compile: the result is the same.
 */
export function evaluateCached(source: string, name: string): Evaluated {
  const dir = compileCacheDir();
  const key = createHash('sha256').update(`${process.version}\0${process.arch}\0${source}`).digest('hex').slice(0, 16);
  const file = join(dir, `${name}-${key}.bin`);
  const cachedData = privateDir(dir) ? readOrUndefined(file) : undefined;
  const script = new Script(source, { filename: `${name}.js`, cachedData });
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  return {
    value: script.runInThisContext(),
    fromCache,
    save() {
      if (fromCache) return;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (!privateDir(dir)) return;
        // Written aside, then renamed: a start at the same time never reads half a cache.
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, file);
      } catch {
        // No cache: the next start compiles again.
      }
    },
  };
}

function privateDir(dir: string): boolean {
  try {
    const s = statSync(dir);
    return s.isDirectory() && (s.mode & 0o022) === 0 && (process.getuid === undefined || s.uid === process.getuid());
  } catch {
    return false;
  }
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
