import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { formatDuration, parseDuration, type Seconds } from '../duration.ts';
import type { LatencyHistogram, Slo } from './model.ts';
import { renderWindow, selectorAt, selectorsOf, withMatcher, type Matcher, type Selector } from './promql.ts';
import { BASE_WINDOW, SERIES, sloLabels } from './rules.ts';

/** Seconds between input samples: rate() over 5m needs several samples in its window. */
export const INPUT_STEP: Seconds = 60;

/** One promtool input series. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/**
 * How a generated promtool test feeds an SLI: with raw series that the SLO's own queries read (so its
 * metric names, filters and `le` matcher are exercised), or, for query shapes we cannot derive series
 * for, with the recorded 5m series the rules would have computed.
 */
export interface SliFeed {
  /** Series for `steps` input steps of `total` requests/s of which `errors` fail, and the error ratio they really give. */
  inputs(total: number, errors: number, steps: number): { series: InputSeries[]; ratio: number };
  /** False for a gauge, which is sampled whether or not anyone calls: there is no "no traffic" to test. */
  readonly hasTraffic: boolean;
  /** Why the SLI's own query is not exercised; undefined when it is. */
  readonly unexercised?: string;
}

/** A query shape we cannot derive input series for; the message says which part. */
class Unsupported extends Error {}

type Labels = Readonly<Record<string, string>>;

export function sliFeed(slo: Slo): SliFeed {
  const { sli } = slo;
  const [errorQuery, totalQuery] = [sli.errorQuery, sli.totalQuery].map((q) => renderWindow(q, formatDuration(BASE_WINDOW))) as [string, string];
  try {
    if (sli.kind === 'events') return eventsFeed(errorQuery, totalQuery);
    if (sli.kind === 'latency') return histogramFeed(sli.histogram!);
    if (sli.kind === 'availability') return gaugeFeed(selectorsOf(totalQuery)[0]!);
    throw new Unsupported('a raw SLI is a ratio query without request counters to derive series from');
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return recordedFeed(slo, e.message);
  }
}

function errorRatio(total: number, errors: number): number {
  return total > 0 ? errors / total : 0;
}

/** Counters that grow by `good` per good and `bad` per failed request. */
interface Counter {
  readonly labels: Labels;
  readonly good: number;
  readonly bad: number;
}

function counterFeed(counters: readonly Counter[]): SliFeed {
  return {
    hasTraffic: true,
    inputs: (total, errors, steps) => ({
      series: counters.map((c) => ({ series: seriesText(c.labels), values: `0+${decimal((c.good * (total - errors) + c.bad * errors) * INPUT_STEP)}x${steps}` })),
      ratio: errorRatio(total, errors),
    }),
  };
}

/**
 * Events: one series for failed and one for good requests, chosen among label sets built from the
 * queries' matchers so that the error query counts exactly the first and the total query both.
 */
function eventsFeed(errorQuery: string, totalQuery: string): SliFeed {
  const error = compile(errorQuery);
  const total = compile(totalQuery);
  const errorSelectors = selectorsOf(errorQuery);
  const totalSelectors = selectorsOf(totalQuery);
  const candidates = labelSets([...errorSelectors, ...totalSelectors]);
  const fits = (bad: Labels, good: Labels) => {
    const at = (b: number, g: number) => {
      const inputs = [{ labels: bad, rate: b }, { labels: good, rate: g }];
      return [error(inputs), total(inputs)] as const;
    };
    const [e1, t1] = at(1, 0);
    const [e2, t2] = at(0, 1);
    const [e3, t3] = at(2, 3);
    // The queries may scale (increase() is rate × range): only the ratio must come out right.
    return t1 !== undefined && t1 > 0 && e1 === t1 && e2 === 0 && t2 === t1 && close(e3, 2 * t1) && close(t3, 5 * t1);
  };
  const bads = candidates.filter((l) => errorSelectors.some((s) => matches(s, l)));
  const goods = candidates.filter((l) => totalSelectors.some((s) => matches(s, l)));
  for (const bad of bads) {
    const good = goods.find((g) => g !== bad && fits(bad, g));
    if (good) return counterFeed([{ labels: bad, good: 0, bad: 1 }, { labels: good, good: 1, bad: 0 }]);
  }
  throw new Unsupported('no pair of series makes the error query count only the failed requests');
}

/** Classic: `_count`, the threshold's bucket and `+Inf`. Native: good requests below the threshold's bucket, failed ones above it. */
function histogramFeed(h: LatencyHistogram): SliFeed {
  if (!h.native) {
    const labels = satisfy(selectorsOf(`${h.metric}_count${withMatcher(h.matchers)}`)[0]!);
    const bucket = (le: string): Labels => ({ ...labels, __name__: `${h.metric}_bucket`, le });
    return counterFeed([
      { labels, good: 1, bad: 1 },
      // Prometheus 3 writes every `le` as a float ("1.0"); the SLI's matcher must accept that.
      { labels: bucket(Number.isInteger(h.threshold) ? `${h.threshold}.0` : String(h.threshold)), good: 1, bad: 0 },
      { labels: bucket('+Inf'), good: 1, bad: 1 },
    ]);
  }
  const labels = satisfy(selectorsOf(`${h.metric}${withMatcher(h.matchers)}`)[0]!);
  // Schema 0: bucket i holds (2^(i-1), 2^i]. The threshold's own bucket stays empty, so histogram_fraction needs no interpolation.
  const k = Math.ceil(Math.log2(h.threshold));
  const histogram = (good: number, bad: number) =>
    `{{schema:0 count:${decimal(good + bad)} sum:${decimal(good * 2 ** (k - 1) + bad * 2 ** (k + 1))} offset:${k - 1} buckets:[${decimal(good)} 0 ${decimal(bad)}]}}`;
  return {
    hasTraffic: true,
    inputs: (total, errors, steps) => ({
      series: [{ series: seriesText(labels), values: `${histogram(0, 0)}+${histogram((total - errors) * INPUT_STEP, errors * INPUT_STEP)}x${steps}` }],
      ratio: errorRatio(total, errors),
    }),
  };
}

/** A 0/1 gauge can only be fed all-good or all-failed; anything between is fed as all-good, and the ratio says so. */
function gaugeFeed(selector: Selector): SliFeed {
  const labels = satisfy(selector);
  return {
    hasTraffic: false,
    inputs: (total, errors, steps) => {
      const failing = total > 0 && errors >= total;
      return { series: [{ series: seriesText(labels), values: `${failing ? 0 : 1}+0x${steps}` }], ratio: failing ? 1 : 0 };
    },
  };
}

function recordedFeed(slo: Slo, reason: string): SliFeed {
  const labels = { ...sloLabels(slo), sloth_window: formatDuration(BASE_WINDOW) };
  return {
    hasTraffic: true,
    unexercised: reason,
    inputs: (total, errors, steps) => ({
      series: [
        { series: seriesText({ ...labels, __name__: SERIES.total }), values: `${decimal(total)}+0x${steps}` },
        { series: seriesText({ ...labels, __name__: SERIES.errors }), values: `${decimal(errors)}+0x${steps}` },
      ],
      ratio: errorRatio(total, errors),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Label sets from matchers
// ---------------------------------------------------------------------------------------------

/** Values tried where a matcher names none; status-like first, so that series read like real ones. */
const POOL = ['200', '500', 'ok', 'error', 'true', 'false', 'x'];
/** Beyond this many label sets the pair search is not worth it. */
const MAX_CANDIDATES = 500;

/** A value the matcher accepts, and one it refuses (undefined where we find none). */
function acceptedAndRefused(m: Matcher): [string | undefined, string | undefined] {
  const other = POOL.find((v) => v !== m.value);
  if (m.op === '=') return [m.value, other];
  if (m.op === '!=') return [other, m.value];
  const [sample, unmatched] = [sampleRegex(m.value), POOL.find((v) => !anchored(m.value).test(v))];
  return m.op === '=~' ? [sample, unmatched] : [unmatched, sample];
}

/** Every combination of the values the selectors' matchers accept or refuse (and of no value), most labels first. */
function labelSets(selectors: readonly Selector[]): Labels[] {
  const domains = new Map<string, Set<string>>();
  for (const m of selectors.flatMap((s) => s.matchers)) {
    const [accepted, refused] = acceptedAndRefused(m);
    const domain = domains.get(m.name) ?? domains.set(m.name, new Set(m.name === '__name__' ? [] : [''])).get(m.name)!;
    for (const v of m.name === '__name__' ? [accepted] : [accepted, refused]) if (v !== undefined) domain.add(v);
  }
  let sets: Record<string, string>[] = [{}];
  for (const [name, values] of domains) {
    sets = sets.flatMap((s) => [...values].map((v) => ({ ...s, [name]: v })));
    if (sets.length > MAX_CANDIDATES) throw new Unsupported('the queries combine too many label values to search');
  }
  const filled = (l: Labels) => Object.values(l).filter(Boolean).length;
  return sets.filter((l) => l.__name__).sort((a, b) => filled(b) - filled(a) || (seriesText(a) < seriesText(b) ? -1 : 1));
}

/** The labels of one series the selector matches. */
function satisfy(selector: Selector): Labels {
  const found = labelSets([selector]).find((l) => matches(selector, l));
  if (!found) throw new Unsupported(`no series we can build matches ${selector.text}`);
  return found;
}

function matches(selector: Selector, labels: Labels): boolean {
  return selector.matchers.every((m) => {
    const v = labels[m.name] ?? '';
    if (m.op === '=') return v === m.value;
    if (m.op === '!=') return v !== m.value;
    return anchored(m.value).test(v) === (m.op === '=~');
  });
}

const regexes = new Map<string, RegExp>();

/** RE2 syntax that JavaScript reads differently or not at all: POSIX classes, \\p, \\Q…\\E, \\z, \\A, flags. */
const RE2_ONLY = /\[:|\\[pPQEzAC]|\(\?[a-zA-Z]/;

/** PromQL regexes are fully anchored RE2; patterns JavaScript would read otherwise are a shape we do not feed. */
function anchored(pattern: string): RegExp {
  let re = regexes.get(pattern);
  if (!re) {
    re = RE2_ONLY.test(pattern) ? undefined : jsRegExp(`^(?:${pattern})$`);
    if (!re) throw new Unsupported(`the regex "${pattern}" is not one we can sample`);
    regexes.set(pattern, re);
  }
  return re;
}

function jsRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/**
 * A string the fully anchored `pattern` matches, built for the plain patterns label filters use
 * (literals, `.`, classes, groups, alternation, quantifiers); undefined for anything else.
 */
export function sampleRegex(pattern: string): string | undefined {
  let i = 0;
  const fail = (): never => {
    throw new Unsupported(pattern);
  };
  const alternation = (): string => {
    const first = sequence();
    while (pattern[i] === '|') {
      i++;
      sequence();
    }
    return first;
  };
  const sequence = (): string => {
    let out = '';
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') out += repeat(atom());
    return out;
  };
  const atom = (): string => {
    const c = pattern[i++]!;
    if (c === '(') {
      if (pattern.startsWith('?:', i)) i += 2;
      const inner = alternation();
      if (pattern[i++] !== ')') fail();
      return inner;
    }
    if (c === '[') {
      // A `]` right after `[` or `[^` is a member, not the end.
      const end = pattern.indexOf(']', pattern.startsWith(']', i) ? i + 1 : pattern.startsWith('^]', i) ? i + 2 : i);
      if (end < 0) fail();
      const cls = anchored(pattern.slice(i - 1, end + 1));
      i = end + 1;
      return CLASS_CANDIDATES.find((ch) => cls.test(ch)) ?? fail();
    }
    if (c === '\\') {
      const e = pattern[i++] ?? fail();
      return ESCAPES[e] ?? (/[A-Za-z0-9]/.test(e) ? fail() : e);
    }
    if (c === '.') return '0';
    if (c === '^' || c === '$') return '';
    if ('*+?{'.includes(c)) fail();
    return c;
  };
  const ESCAPES: Record<string, string> = { d: '0', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' };
  const repeat = (piece: string): string => {
    const q = /^(?:[?*+]|\{(\d+)(?:,\d*)?\})\??/.exec(pattern.slice(i));
    if (!q) return piece;
    i += q[0].length;
    return piece.repeat(q[0][0] === '+' ? 1 : q[1] !== undefined ? Number(q[1]) : 0);
  };
  try {
    const sample = alternation();
    return i === pattern.length && anchored(pattern).test(sample) ? sample : undefined;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

const CLASS_CANDIDATES = [...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-. '];

// ---------------------------------------------------------------------------------------------
// A tiny evaluator for the query shapes we feed
// ---------------------------------------------------------------------------------------------

interface Input {
  readonly labels: Labels;
  /** Per second. */
  readonly rate: number;
}

/** A query's value for steady counters; undefined where Prometheus would return no series. */
type Evaluate = (inputs: readonly Input[]) => number | undefined;

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** Compiles sums of rate()/increase() of counters, numbers, vector(n), + - * / and `or`; anything else is Unsupported. */
function compile(expr: string): Evaluate {
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const children = (node: SyntaxNode) => {
    const out: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  };
  const visit = (node: SyntaxNode): Evaluate => {
    const kids = children(node);
    switch (node.name) {
      case 'PromQL':
      case 'ParenExpr':
        if (kids.length === 1) return visit(kids[0]!);
        break;
      case 'NumberDurationLiteral': {
        const n = Number(text(node));
        if (Number.isFinite(n)) return () => n;
        break;
      }
      case 'FunctionCall':
        if (node.getChild('FunctionIdentifier')?.firstChild?.name === 'Vector') {
          const arg = visit(node.getChild('FunctionCallBody')!.firstChild!);
          return (inputs) => arg(inputs);
        }
        break;
      case 'AggregateExpr':
        if (kids.length === 2 && kids[0]!.firstChild?.name === 'Sum') return counterSum(kids[1]!.firstChild);
        break;
      case 'BinaryExpr': {
        if (kids.length !== 3) break; // bool, on(), ignoring(), group_left…
        const [left, right] = [visit(kids[0]!), visit(kids[2]!)];
        const op = kids[1]!.name;
        if (op === 'Or') return (inputs) => left(inputs) ?? right(inputs);
        const f = ARITHMETIC[op];
        if (f) {
          return (inputs) => {
            const [a, b] = [left(inputs), right(inputs)];
            return a === undefined || b === undefined ? undefined : f(a, b);
          };
        }
        break;
      }
    }
    throw new Unsupported(`\`${text(node)}\` is not a shape we derive input series for`);
  };
  /** `sum(rate(s[r]))` or `sum(increase(s[r]))`: the matching inputs' rates, times r for increase. */
  const counterSum = (call: SyntaxNode | null): Evaluate => {
    const fn = call?.name === 'FunctionCall' ? call.getChild('FunctionIdentifier')?.firstChild?.name : undefined;
    const matrix = call?.getChild('FunctionCallBody')?.firstChild;
    const range = matrix?.name === 'MatrixSelector' ? parseDuration(text(matrix.getChild('DurationExpr')!)) : undefined;
    if ((fn !== 'Rate' && fn !== 'Increase') || range === undefined) throw new Unsupported(`\`${call ? text(call) : ''}\` is not rate() or increase() of a counter`);
    const selector = selectorAt(matrix!.getChild('VectorSelector')!, expr);
    const scale = fn === 'Increase' ? range : 1;
    return (inputs) => {
      const matched = inputs.filter((i) => matches(selector, i.labels));
      return matched.length ? matched.reduce((sum, i) => sum + i.rate, 0) * scale : undefined;
    };
  };
  return visit(parser.parse(expr).topNode);
}

function close(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-9 * Math.abs(b);
}

/** `name{a="b"}` with labels sorted; empty values are no label at all. */
function seriesText(labels: Labels): string {
  const pairs = Object.keys(labels)
    .filter((k) => k !== '__name__' && labels[k])
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${labels.__name__ ?? ''}{${pairs.join(', ')}}`;
}

/** A number as promtool's series notation reads it: never in exponent form. */
function decimal(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(12).replace(/\.?0+$/, '');
}
