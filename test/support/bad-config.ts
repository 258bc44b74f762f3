import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { InputError } from '../../src/errors.ts';

/** The located problems of a config text, as `bad.yaml:line:col path: message` lines; none when it loads. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof InputError) return e.message.split('\n');
    throw e;
  }
  return [];
}

/** Asserts that `text` is refused with a problem matching `message`, located at `at` (`line:col path`). */
export function expectLocatedProblem(text: string, at: string, message: RegExp): void {
  expectLocatedIn(problemsOf(text), 'bad.yaml', at, message);
}

/** Asserts that one of `problems` matches `message` (a pattern, or text it contains) and is located at `file:at`; returns it. */
export function expectLocatedIn(problems: readonly string[], file: string, at: string, message: RegExp | string): string {
  const located = problems.find((p) => (typeof message === 'string' ? p.includes(message) : message.test(p)));
  expect(located, problems.join('\n')).toBeDefined();
  expect(located!.startsWith(`${file}:${at}: `), located).toBe(true);
  return located!;
}

const BIN = fileURLToPath(new URL('../../bin/o11y.js', import.meta.url));

/** Runs the real `o11y synth` on a config file and asserts exit 2; returns its stderr. */
export function synthRefuses(configFile: string, outDir: string): string {
  const run = spawnSync(process.execPath, [BIN, 'synth', '--config', configFile, '--out', outDir], { encoding: 'utf8', timeout: 60_000 });
  expect(run.error).toBeUndefined();
  expect(run.status, run.stderr).toBe(2);
  return run.stderr;
}
