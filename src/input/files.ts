import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { locateInConfig } from '../config/load.ts';
import { InputError } from '../errors.ts';
import type { InputFilesEntry } from '../model/types.ts';
import type { KeyPath } from './yaml-source.ts';


/** What a config list names, for messages: e.g. `SLO file` listed in `slos`. */
export interface InputFilesList {
  readonly what: string;
  /** Key path of the list in the config, e.g. `['scrape', 'monitors']`. */
  readonly key: KeyPath;
}

/** How a user makes an entry optional, in messages. */
const OPTIONAL_HINT = 'a file or glob (absolute, or relative to the config\'s folder) that matches at least one file, or { files: [...], optional: true } for one that may match none';

/**
 * The files of one entry, and a problem for every pattern that matches nothing (unless the entry
 * is optional): a config copied to another folder must not silently lose its files.
 */
export function entryFiles(entry: InputFilesEntry, at: KeyPath, baseDir: string, what: string): { files: string[]; problems: { path: KeyPath; message: string }[] } {
  const patterns = typeof entry === 'string' ? [{ pattern: entry, path: at }] : entry.files.map((pattern, j) => ({ pattern, path: [...at, 'files', j] }));
  const optional = typeof entry !== 'string' && entry.optional === true;
  const files: string[] = [];
  const problems: { path: KeyPath; message: string }[] = [];
  for (const { pattern, path } of patterns) {
    const found = isDynamicPattern(pattern)
      ? globSync(pattern, { cwd: baseDir, onlyFiles: true, expandDirectories: false }).map((match) => resolve(baseDir, match))
      : existsSync(resolve(baseDir, pattern))
        ? [resolve(baseDir, pattern)]
        : [];
    files.push(...found);
    if (!found.length && !optional) {
      const miss = isDynamicPattern(pattern) ? `"${pattern}" matches no ${what}` : `${what} "${pattern}" not found`;
      problems.push({ path, message: `${miss} in ${baseDir}; allowed: ${OPTIONAL_HINT}` });
    }
  }
  return { files, problems };
}

/**
 * Expands a config list of input files into a sorted, de-duplicated list of files. Every pattern
 * that matches nothing is a problem located at its entry in `configFile`, naming the folder searched.
 */
export function resolveInputFiles(entries: readonly InputFilesEntry[], list: InputFilesList, baseDir: string, configFile: string): string[] {
  const results = entries.map((entry, i) => entryFiles(entry, [...list.key, i], baseDir, list.what));
  const problems = results.flatMap((r) => r.problems);
  if (problems.length) throw new InputError(locateInConfig(configFile, problems));
  return [...new Set(results.flatMap((r) => r.files))].sort();
}
