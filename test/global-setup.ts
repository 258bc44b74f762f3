import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRequiredEngines, findEngines, publishEngines, skipSummary } from './support/engines.ts';
import { provisionTestTools, publishTestTools } from './support/test-tools.ts';

/**
 * Runs once before any test file: finds or provisions the real components the tests need and puts
 * them first on PATH. A tool that cannot be provided stops the whole run with one message. Engines
 * Debian does not package are looked up only (support/engines.ts): the suites needing a missing one
 * are not run and named at the end, unless O11Y_REQUIRE_ENGINES=1 makes the miss fatal.
 */
export default function setup(): () => void {
  const log = (line: string) => console.log(`[test-tools] ${line}`);
  publishTestTools(provisionTestTools(log));
  const lookup = findEngines();
  for (const [name, { path, version }] of Object.entries(lookup.found)) log(`${name} ${version ?? ''} (engine): ${path}`);
  assertRequiredEngines(lookup);
  const scratch = mkdtempSync(join(tmpdir(), 'o11y-engine-skips-'));
  const skipsFile = join(scratch, 'skips.tsv');
  publishEngines(lookup, skipsFile);
  return () => {
    const summary = skipSummary(skipsFile);
    if (summary) console.log(`\n[test-tools] ${summary}\n`);
    rmSync(scratch, { recursive: true, force: true });
  };
}
