import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { provisionTestTools } from '../test/support/test-tools.ts';
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
 * Wall time of finding or provisioning every test tool with the cache in `cache`, on a PATH without
 * the tools this benchmark run itself was given (else nothing would be provisioned).
 */
function provisioningSeconds(cache: string): number {
  const saved = { ...process.env };
  process.env.O11Y_TEST_TOOLS_CACHE = cache;
  delete process.env.O11Y_TEST_TOOLS;
  process.env.PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes(`${sep}.cache${sep}test-tools${sep}`)).join(delimiter);
  const start = process.hrtime.bigint();
  try {
    provisionTestTools();
  } finally {
    process.env = saved;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * The README's test command, cold (an empty tool cache: every real component downloaded and
 * unpacked first) and then warm (the same cache, nothing provisioned); and the provisioning step
 * alone, cold and warm. The suite's own wall time varies by tens of seconds between runs (live
 * tests wait for real evaluation and notification intervals), so compare the provisioning rows for
 * what the cache saves.
 */
export async function run(): Promise<BenchResult[]> {
  const suiteCache = mkdtempSync(join(tmpdir(), 'o11y-bench-tools-'));
  const stepCache = mkdtempSync(join(tmpdir(), 'o11y-bench-step-'));
  try {
    const cold = npmTestSeconds(suiteCache);
    const warm = npmTestSeconds(suiteCache);
    const provisionCold = provisioningSeconds(stepCache);
    const provisionWarm = provisioningSeconds(stepCache);
    return [
      { name: '`npm test`, cold: real components provisioned into an empty cache', value: cold, unit: 's', note: 'one run; downloads from the Debian mirror included' },
      { name: '`npm test`, warm: components from the cache', value: warm, unit: 's', note: 'one run, right after the cold one' },
      { name: 'test-tool provisioning alone, cold (apt lists, 6 packages downloaded and unpacked)', value: provisionCold, unit: 's' },
      { name: 'test-tool provisioning alone, warm (found in the cache, versions checked)', value: provisionWarm, unit: 's' },
    ];
  } finally {
    rmSync(suiteCache, { recursive: true, force: true });
    rmSync(stepCache, { recursive: true, force: true });
  }
}
