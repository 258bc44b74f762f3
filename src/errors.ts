/** Exit codes of the `o11y` CLI (contract, see README). */
export const ExitCode = {
  Ok: 0,
  /** Unhealthy, verification failed or timed out. */
  Failed: 1,
  /** Bad input or usage. */
  BadInput: 2,
  /** Could not check: cluster or Prometheus unreachable, forbidden. */
  Unreachable: 3,
} as const;

/** A position in a source file, 1-based; line 0 when the input is not a file (typed props). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One problem in an input file, located as `file:line:col path: message`. */
export interface InputProblem {
  readonly location: SourceLocation;
  /** Key path such as `clusters[0].cloud`, empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = p.location.line ? `${p.location.file}:${p.location.line}:${p.location.column}` : p.location.file;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
}

/** Bad input (config, SLO file, flag). The CLI prints every problem and exits 2. */
export class InputError extends Error {
  constructor(readonly problems: readonly InputProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }
}

/** Bad command-line usage that has no file location. Exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The check could not reach or was not allowed to read what it checks. Exits 3. */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}
