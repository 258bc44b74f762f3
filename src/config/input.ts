import { InputError } from '../errors.ts';
import { dumpYaml } from '../yaml-output.ts';
import { parseConfig } from './load.ts';
import type { ClusterConfig, StackConfig } from '../model/types.ts';

/** Every key optional, down to the leaves: what a config file may leave to the defaults. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * One cluster's stack as typed data: the keys of `o11y.yaml` (same defaults, same checks) with
 * `cluster` in place of `clusters`. See {@link StackConfig} for what each key means.
 */
export interface StackInput extends DeepPartial<Omit<StackConfig, 'source' | 'clusters'>> {
  readonly cluster: ClusterConfig;
}

/**
 * Validates `input` exactly as `o11y.yaml` is validated and fills in every default. Problems name
 * `source` and the key path (`cluster.cloud`, `components.prometheus.retention`, …).
 */
export function resolveStackInput(input: StackInput, source: string): StackConfig {
  const { cluster, ...rest } = input;
  try {
    return parseConfig(dumpYaml({ ...rest, clusters: [cluster] }), source);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // The problems are located in a YAML rendering of the props the user never saw: keep the key paths only.
    throw new InputError(e.problems.map((p) => ({ ...p, location: { file: source, line: 0, column: 0 }, path: p.path.replace(/^clusters\[0\]/, 'cluster') })));
  }
}
