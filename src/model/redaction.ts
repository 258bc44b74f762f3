import { DEFAULT_PRESETS, preset, PRESET_NAMES } from '../redaction/presets.ts';
import { REDACTION_SCOPES, type RedactionAction, type RedactionPolicy, type RedactionRule, type RedactionScope } from '../redaction/statements.ts';
import type { ClusterConfig, RedactionActionConfig, RedactionConfig, StackConfig } from './types.ts';

/** A cluster's redaction config: its own keys over the top level's. */
export function clusterRedaction(config: Pick<StackConfig, 'redaction'>, cluster: Pick<ClusterConfig, 'redaction'>): RedactionConfig | undefined {
  if (!config.redaction && !cluster.redaction) return undefined;
  return { ...config.redaction, ...cluster.redaction };
}

function redactionAction(c: RedactionActionConfig): RedactionAction {
  switch (c.action ?? 'mask') {
    case 'hash':
      return { kind: 'hash' };
    case 'drop':
      return { kind: 'drop', keys: c.keys ?? [] };
    default:
      return { kind: 'mask', keepLast: c.keepLast ?? 0 };
  }
}

/**
 * What a cluster's collectors redact, or undefined when redaction is off there: the default
 * presets (unless `defaults: false`) and the listed ones, in preset order, then the custom
 * patterns in their order, then each namespace's own patterns (namespaces in name order). Checked at load (src/config/redaction-checks.ts): patterns compile,
 * `hash` has a salt, `drop` has keys.
 */
export function redactionPolicy(config: Pick<StackConfig, 'redaction'>, cluster: Pick<ClusterConfig, 'redaction'>): RedactionPolicy | undefined {
  const r = clusterRedaction(config, cluster);
  if (!r?.enabled) return undefined;
  const chosen = new Set([...(r.defaults === false ? [] : DEFAULT_PRESETS), ...Object.keys(r.presets ?? {})]);
  const rules: RedactionRule[] = [
    ...PRESET_NAMES.filter((n) => chosen.has(n)).map((n) => ({ name: n, patterns: preset(n).patterns, action: redactionAction(r.presets?.[n] ?? {}) })),
    ...(r.patterns ?? []).map((p) => ({ name: p.name, patterns: [{ secret: p.pattern }], action: redactionAction(p) })),
    ...Object.entries(r.namespaces ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([namespace, n]) => (n.patterns ?? []).map((p) => ({ name: p.name, patterns: [{ secret: p.pattern }], action: redactionAction(p), namespace }))),
  ];
  const exempt = Object.entries(r.namespaces ?? {}).filter(([, n]) => n.exempt).map(([ns]) => ns).sort();
  return {
    rules,
    scopes: (r.scopes as RedactionScope[] | undefined) ?? [...REDACTION_SCOPES],
    ...(r.allowedKeys ? { allowedKeys: r.allowedKeys } : {}),
    exemptNamespaces: exempt,
    ...(r.salt && rules.some((x) => x.action.kind === 'hash') ? { salt: r.salt } : {}),
  };
}
