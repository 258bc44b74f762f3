import { stringify } from 'yaml';

/**
 * Serializes what we write as YAML: config files in ConfigMaps, rule files, promtool tests. Deterministic (insertion order, no line folding,
 * no anchors), so that synthesizing twice gives identical bytes.
 */
export function dumpYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, indent: 2 });
}
