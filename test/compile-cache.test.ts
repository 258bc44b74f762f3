import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evaluateCached } from '../src/compile-cache.ts';
import { readTree } from './support/tree.ts';

// The config validator is compiled through a V8 code cache (src/compile-cache.ts). What matters:
// the cache is used when it can be, and a missing, foreign, corrupt or unwritable one changes
// nothing but the time.

const dir = mkdtempSync(join(tmpdir(), 'o11y-compile-cache-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => delete process.env.O11Y_COMPILE_CACHE);

// V8 keeps compiled scripts in memory too: off, so that each evaluation below meets only the disk cache.
setFlagsFromString('--no-compilation-cache');

const SOURCE = '(function () { return (n) => n * 6 + 0.5; })';
const NAME = 'test-fn';

/** Evaluates SOURCE with the cache in `cacheDir`, calls it, saves: whether the cache was used, and the result. */
function useOnce(cacheDir: string): { fromCache: boolean; result: number } {
  process.env.O11Y_COMPILE_CACHE = cacheDir;
  const evaluated = evaluateCached(SOURCE, NAME);
  const result = (evaluated.value as () => (n: number) => number)()(7);
  evaluated.save();
  return { fromCache: evaluated.fromCache, result };
}

describe('evaluateCached', () => {
  it('compiles, stores, then uses its cache', () => {
    const cache = join(dir, 'private');
    expect(useOnce(cache)).toEqual({ fromCache: false, result: 42.5 });
    expect(readdirSync(cache)).toEqual([expect.stringMatching(/^test-fn-[0-9a-f]{16}\.bin$/)]);
    expect(useOnce(cache)).toEqual({ fromCache: true, result: 42.5 });
  });

  it.each([
    {
      name: 'a cache folder that cannot be created (a file is in the way)',
      setup: () => {
        writeFileSync(join(dir, 'a-file'), '');
        return join(dir, 'a-file', 'cache');
      },
      afterwards: (cache: string) => expect(() => readdirSync(cache)).toThrow(),
    },
    {
      name: 'a cache folder others may write to, holding a valid cache: never read',
      setup: () => shared('shared-full', true),
      afterwards: (cache: string) => expect(useOnce(cache).fromCache).toBe(false),
    },
    {
      name: 'an empty cache folder others may write to: never written',
      setup: () => shared('shared-empty', false),
      afterwards: (cache: string) => expect(readdirSync(cache)).toEqual([]),
    },
    {
      name: 'a corrupt cache file: rejected, then replaced',
      setup: () => {
        const cache = join(dir, 'corrupt');
        useOnce(cache);
        for (const f of readdirSync(cache)) writeFileSync(join(cache, f), 'not V8 code');
        return cache;
      },
      afterwards: (cache: string) => expect(useOnce(cache)).toEqual({ fromCache: true, result: 42.5 }),
    },
  ])('$name: compiles from the source, same result', ({ setup, afterwards }) => {
    const cache = setup();
    expect(useOnce(cache)).toEqual({ fromCache: false, result: 42.5 });
    afterwards(cache);
  });
});

/** A folder anyone may write to, with a valid cache copied in or empty. */
function shared(name: string, withCache: boolean): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  chmodSync(folder, 0o777);
  if (withCache) {
    const good = join(dir, `${name}-source`);
    useOnce(good);
    for (const f of readdirSync(good)) copyFileSync(join(good, f), join(folder, f));
  }
  return folder;
}

describe('o11y synth with the validator cache', () => {
  const BIN = fileURLToPath(new URL('../bin/o11y.js', import.meta.url));
  const synth = (cache: string, out: string, config = 'o11y.yaml') =>
    spawnSync(process.execPath, [BIN, 'synth', '--config', config, '--out', out], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 120_000, env: { ...process.env, O11Y_COMPILE_CACHE: cache } });

  it('writes the same files with an unwritable, a cold and a warm cache, and refuses a bad config alike', () => {
    const cold = join(dir, 'synth-cache');
    const runs = [join(dir, 'a-file', 'cache'), cold, cold].map((cache, i) => {
      const out = join(dir, `out-${i}`);
      const r = synth(cache, out);
      expect(r.status, r.stderr).toBe(0);
      return readTree(out);
    });
    expect(readdirSync(cold)).toHaveLength(1);
    expect(runs[0]!.size).toBeGreaterThan(5);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters:\n  - name: a\n    cloud: mars\n');
    const refused = [join(dir, 'a-file', 'cache'), cold].map((cache) => synth(cache, join(dir, 'bad-out'), bad));
    for (const r of refused) expect(r.status).toBe(2);
    expect(refused[0]!.stderr).toMatch(/bad\.yaml:3.*mars/s);
    expect(refused[1]!.stderr).toBe(refused[0]!.stderr);
  });
});
