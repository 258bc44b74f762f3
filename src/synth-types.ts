import type { SourceLocation } from './errors.ts';

/** A Prometheus rule file the stack ships: in a ConfigMap (or PrometheusRule) and in `dist/<cluster>/promtool/rules/`. */
export interface RuleFileOutput {
  /** Name of the ConfigMap (or PrometheusRule) holding it, e.g. `prometheus-rules-stack`. */
  readonly configMap: string;
  /** File name, e.g. `stack.rules.yaml`. */
  readonly fileName: string;
  readonly content: { readonly groups: readonly object[] };
  /** Files of the user's: where each group (by index) was written, for located errors. */
  readonly origins?: readonly SourceLocation[];
}

/** A promtool unit-test file, written to `dist/<cluster>/promtool/tests/`. */
export interface PromtoolTestOutput {
  readonly fileName: string;
  readonly content: object;
}
