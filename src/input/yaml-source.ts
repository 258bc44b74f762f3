import { readFileSync } from 'node:fs';
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { InputError, type InputProblem, type SourceLocation } from '../errors.ts';

/** Inputs are hand-written config and SLO files: anything bigger is a mistake or an attack. */
const MAX_BYTES = 4 * 1024 * 1024;
/** Deeper nesting than this has no use in our formats and would exhaust the stack further on. */
const MAX_DEPTH = 64;
/** Aliases expanded per document; a small number defeats "billion laughs" bombs. */
const MAX_ALIASES = 100;

export type KeyPath = readonly (string | number)[];

/** One parsed YAML document that can answer "where in the file is this key?". */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    /** Index of this document within a multi-document file. */
    readonly index = 0,
  ) {}

  /** The plain JavaScript value of the document. */
  toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      throw new InputError([{ location: this.at([]), path: '', message: `cannot expand YAML: ${(e as Error).message}` }]);
    }
  }

  /** Location of the node at `path`, or of its nearest existing ancestor. */
  at(path: KeyPath): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node?.range) return this.position(node.range[0]);
    }
    return this.position(this.doc.range?.[0] ?? 0);
  }

  /** Location of the key (not the value) of `path`'s last step in its mapping. */
  keyAt(path: KeyPath): SourceLocation {
    const parent = this.doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const last = path[path.length - 1];
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      const key = pair?.key as Node | undefined;
      if (key?.range) return this.position(key.range[0]);
    }
    return this.at(path);
  }

  problem(path: KeyPath, message: string): InputProblem {
    return { location: this.at(path), path: formatKeyPath(path), message };
  }

  private position(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/** `['clusters', 0, 'cloud']` → `clusters[0].cloud` */
export function formatKeyPath(path: KeyPath): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** Reads and parses a YAML file; see {@link parseYaml}. */
export function readYamlFile(file: string): YamlSource[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new InputError([{ location: { file, line: 1, column: 1 }, path: '', message: `cannot read: ${reason}` }]);
  }
  return parseYaml(text, file);
}

/**
 * Parses every document of a YAML text, refusing hostile input (binary data, huge files,
 * alias bombs, absurd nesting) with a located error instead of a crash or a hang.
 */
export function parseYaml(text: string, file: string): YamlSource[] {
  const start: SourceLocation = { file, line: 1, column: 1 };
  const fail = (location: SourceLocation, message: string): never => {
    throw new InputError([{ location, path: '', message }]);
  };
  if (text.length > MAX_BYTES) fail(start, `file is larger than ${MAX_BYTES / 1024 / 1024} MiB`);
  const binary = /[\u0000-\u0008\u000e-\u001f\ufffd]/.exec(text);
  if (binary) fail(locateOffset(text, binary.index, file), 'not a YAML text file (contains binary data)');
  const depth = firstTooDeep(text) ?? firstTooIndented(text);
  if (depth !== undefined) fail(locateOffset(text, depth, file), `nesting deeper than ${MAX_DEPTH} levels`);

  const lines = new LineCounter();
  let docs: Document.Parsed[] | unknown;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The guards above keep recursion shallow; this is the backstop for shapes they do not foresee.
    if (e instanceof RangeError) fail(start, `nesting too deep to parse`);
    throw e;
  }
  // parseAllDocuments returns an EmptyStream (not an array) for a text without documents.
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const problems: InputProblem[] = [];
  list.forEach((doc) => {
    for (const err of doc.errors) {
      const { line, col } = lines.linePos(err.pos[0]);
      problems.push({ location: { file, line, column: col }, path: '', message: `invalid YAML: ${firstLine(err.message)}` });
    }
  });
  if (problems.length) throw new InputError(problems);
  const sources = list.map((doc, i) => new YamlSource(file, doc, lines, i));
  for (const s of sources) checkDepth(s);
  return sources;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}

function locateOffset(text: string, offset: number, file: string): SourceLocation {
  const before = text.slice(0, offset).split('\n');
  return { file, line: before.length, column: before[before.length - 1]!.length + 1 };
}

/**
 * Cheap pre-parse guard against flow-style nesting like `[[[[…`, which the parser would recurse into.
 * Brackets inside strings (PromQL, regexes) come in balanced pairs, so they do not add up.
 */
function firstTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/**
 * Cheap pre-parse guard against block-style nesting (`- - - - x`, or ever deeper indentation),
 * which the parser would also recurse into: every level takes at least one column of prefix.
 */
function firstTooIndented(text: string): number | undefined {
  const tooDeep = new RegExp(`^(?:[ \\t]*-[ \\t]+){${MAX_DEPTH + 1}}|^[ \\t]{${MAX_DEPTH * 8},}\\S`, 'm');
  const match = tooDeep.exec(text);
  return match ? match.index : undefined;
}

/** Guards block-style nesting (indentation), iteratively so that it cannot overflow the stack itself. */
function checkDepth(source: YamlSource): void {
  const stack: { node: unknown; depth: number; path: (string | number)[] }[] = [
    { node: source.doc.contents, depth: 0, path: [] },
  ];
  while (stack.length) {
    const { node, depth, path } = stack.pop()!;
    if (depth > MAX_DEPTH) {
      throw new InputError([source.problem(path, `nesting deeper than ${MAX_DEPTH} levels`)]);
    }
    if (isMap(node)) {
      for (const p of node.items) {
        const key = isScalar(p.key) ? String(p.key.value) : '?';
        stack.push({ node: p.value, depth: depth + 1, path: [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, depth: depth + 1, path: [...path, i] }));
    }
  }
}
