import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResult } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Wall time of one `npm test` (type-check and every test) with the test tools cached in `cache`. */
function npmTestSeconds(cache: string): number {
  const start = process.hrtime.bigint();
  const run = spawnSync('npm', ['test'], { cwd: ROOT, env: { ...process.env, O11Y_TEST_TOOLS_CACHE: cache }, stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`npm test failed (exit ${run.status}); run it to see why`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * The README's test command, cold (an empty tool cache: every real component downloaded and
 * unpacked first) and then warm (the same cache, nothing provisioned).
 */
export async function run(): Promise<BenchResult[]> {
  const cache = mkdtempSync(join(tmpdir(), 'o11y-bench-tools-'));
  try {
    const cold = npmTestSeconds(cache);
    const warm = npmTestSeconds(cache);
    return [
      { name: '`npm test`, cold: real components provisioned into an empty cache', value: cold, unit: 's', note: 'one run; downloads from the Debian mirror included' },
      { name: '`npm test`, warm: components from the cache', value: warm, unit: 's', note: 'one run, right after the cold one' },
      { name: 'provisioning share of the cold run', value: cold - warm, unit: 's', note: 'cold − warm' },
    ];
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
