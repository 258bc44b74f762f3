import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

/** Sloth's Go-template variable, with or without inner spaces. */
const WINDOW_VAR = /\{\{\s*\.window\s*\}\}/g;

export function hasWindowVar(template: string): boolean {
  return new RegExp(WINDOW_VAR.source).test(template);
}

/** Replaces `{{.window}}` by a PromQL duration. */
export function renderWindow(template: string, window: string): string {
  return template.replace(WINDOW_VAR, window);
}

/** The first `{{…}}` that is not `{{.window}}`: Sloth only defines that variable. */
export function unknownTemplate(template: string): string | undefined {
  return /\{\{.*?\}\}/.exec(template.replace(WINDOW_VAR, ''))?.[0];
}

/** Returns a parse error message for a PromQL expression, or undefined when it parses. */
export function promqlError(expr: string): string | undefined {
  if (!expr.trim()) return 'empty PromQL expression';
  const tree = parser.parse(expr);
  let errorAt: number | undefined;
  tree.iterate({
    enter: (node) => {
      if (errorAt === undefined && node.type.isError) errorAt = node.from;
      return errorAt === undefined;
    },
  });
  if (errorAt === undefined) return undefined;
  const near = expr.slice(Math.max(0, errorAt - 10), errorAt + 10);
  return `PromQL parse error at character ${errorAt + 1} (near "${near}")`;
}

/** A plain vector selector split into metric name and label matchers (without braces). */
export interface SelectorParts {
  readonly metric: string;
  readonly matchers: string;
}

/** Splits `name{a="b"}` into its parts; undefined if `expr` is not a single instant vector selector with a metric name. */
export function splitSelector(expr: string): SelectorParts | undefined {
  const text = expr.trim();
  if (promqlError(text) !== undefined) return undefined;
  const top = parser.parse(text).topNode.firstChild;
  if (top?.name !== 'VectorSelector') return undefined;
  const name = top.getChild('Identifier');
  if (!name) return undefined;
  const matchers = top.getChild('LabelMatchers');
  return {
    metric: text.slice(name.from, name.to),
    matchers: matchers ? text.slice(matchers.from + 1, matchers.to - 1).trim().replace(/,\s*$/, '') : '',
  };
}

/** `{a="b", extra}` with the extra matcher appended; empty when there is no matcher at all. */
export function withMatcher(matchers: string, extra?: string): string {
  const all = [matchers, extra].filter((m) => m);
  return all.length ? `{${all.join(', ')}}` : '';
}

/** One label matcher; a selector's metric name is its `__name__` matcher. */
export interface Matcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A vector selector of an expression, as written and as matchers. */
export interface Selector {
  readonly text: string;
  readonly matchers: readonly Matcher[];
}

/** Every vector selector of an expression that parses, in order. */
export function selectorsOf(expr: string): Selector[] {
  const selectors: Selector[] = [];
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return true;
      selectors.push(selectorAt(ref.node, expr));
      return false;
    },
  });
  return selectors;
}

/** The selector of a `VectorSelector` node of `expr`'s syntax tree. */
export function selectorAt(node: SyntaxNode, expr: string): Selector {
  const text = (n: SyntaxNode | null) => (n ? expr.slice(n.from, n.to) : '');
  const matchers: Matcher[] = [];
  const name = node.getChild('Identifier');
  if (name) matchers.push({ name: '__name__', op: '=', value: text(name) });
  for (let m = node.getChild('LabelMatchers')?.firstChild ?? null; m; m = m.nextSibling) {
    if (m.name === 'QuotedLabelName') matchers.push({ name: '__name__', op: '=', value: unquote(text(m)) });
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    matchers.push({
      name: label?.name === 'QuotedLabelName' ? unquote(text(label)) : text(label),
      op: text(m.getChild('MatchOp')) as Matcher['op'],
      value: unquote(text(m.getChild('StringLiteral'))),
    });
  }
  return { text: text(node), matchers };
}

/** The value of a PromQL string literal ("…", '…' or `…`). */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith('`')) return body;
  try {
    return JSON.parse(`"${literal.startsWith("'") ? body.replace(/\\'/g, "'").replace(/"/g, '\\"') : body}"`) as string;
  } catch {
    return body;
  }
}
