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
