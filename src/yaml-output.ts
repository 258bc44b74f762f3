import { stringify } from 'yaml';

/**
 * Serializes what we write as YAML: config files in ConfigMaps, rule files, promtool tests. Deterministic (insertion order, no line folding,
 * no anchors), so that synthesizing twice gives identical bytes.
 */
export function dumpYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, indent: 2 });
}

const ruleFileText = new WeakMap<object, string>();

/**
 * A rule file's YAML: the same file goes into its ConfigMap and into dist/promtool, and serializing
 * the rules is a good part of a synthesis, so each rule file object is serialized once.
 */
export function ruleFileYaml(ruleFile: object): string {
  let text = ruleFileText.get(ruleFile);
  if (text === undefined) ruleFileText.set(ruleFile, (text = dumpYaml(ruleFile)));
  return text;
}
