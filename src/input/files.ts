import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { InputError, type InputProblem } from '../errors.ts';

/**
 * Expands config entries that list input files (files or globs, relative to `baseDir`) into a
 * sorted list of files. A glob that matches nothing is fine; a plain path that does not exist is
 * an error, located at the missing file and naming the config key (`listedIn`) that lists it.
 */
export function resolveInputFiles(patterns: readonly string[], baseDir: string, what: string, listedIn: string): string[] {
  const files = new Set<string>();
  const missing: InputProblem[] = [];
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      for (const match of globSync(pattern, { cwd: baseDir, onlyFiles: true, expandDirectories: false })) {
        files.add(join(baseDir, match));
      }
    } else {
      const file = join(baseDir, pattern);
      if (existsSync(file)) files.add(file);
      else missing.push({ location: { file, line: 1, column: 1 }, path: '', message: `${what} not found (listed in ${listedIn}:)` });
    }
  }
  if (missing.length) throw new InputError(missing);
  return [...files].sort();
}
