import { posix } from 'node:path';
import { InputError, type InputProblem } from '../../errors.ts';
import { parseYaml } from '../../input/yaml-source.ts';
import { isRecord, readManifestDir, type ManifestObject } from '../../manifests/manifest-dir.ts';
import type { ExpectedRuleGroup } from './health.ts';

import { RULES_COMPONENT, RULES_DIR } from '../../rules/layout.ts';

/**
 * The rule groups a synthesized cluster folder (`dist/<cluster>`) makes Prometheus load:
 * - ConfigMaps labelled `app.kubernetes.io/component: prometheus-rules`: each `*.yaml`/`*.yml` key is a rule file,
 *   loaded from `<RULES_DIR>/<configmap>/<key>`;
 * - `PrometheusRule` objects (monitoring.coreos.com/v1): the operator picks the file name, so they match by name only (file '').
 */
export function expectedRuleGroupsFromManifests(dir: string): ExpectedRuleGroup[] {
  return expectedRuleGroups(readManifestDir(dir));
}

export function expectedRuleGroups(objects: readonly ManifestObject[]): ExpectedRuleGroup[] {
  const groups: ExpectedRuleGroup[] = [];
  const problems: InputProblem[] = [];
  for (const { source, object } of objects) {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const labels = isRecord(metadata.labels) ? metadata.labels : {};
    if (object.kind === 'ConfigMap' && labels['app.kubernetes.io/component'] === RULES_COMPONENT) {
      const data = isRecord(object.data) ? object.data : {};
      for (const [key, text] of Object.entries(data)) {
        if (!/\.ya?ml$/.test(key) || typeof text !== 'string') continue;
        const file = posix.join(RULES_DIR, String(metadata.name), key);
        // The rule file is a string inside the manifest: locate its problems at the data key.
        const where = source.problem(['data', key], '');
        try {
          for (const doc of parseYaml(text, `${source.file} ConfigMap ${String(metadata.name)} data.${key}`)) {
            for (const name of groupNames(doc.toJS())) groups.push({ name, file });
          }
        } catch (e) {
          const inner = e instanceof InputError ? e.problems.map((p) => p.message).join('; ') : (e as Error).message;
          problems.push({ ...where, message: `not a rule file: ${inner}` });
        }
      }
    } else if (object.kind === 'PrometheusRule' && String(object.apiVersion).startsWith('monitoring.coreos.com/')) {
      for (const name of groupNames(object.spec)) groups.push({ name, file: '' });
    }
  }
  if (problems.length) throw new InputError(problems);
  return groups;
}

function groupNames(ruleFile: unknown): string[] {
  if (!isRecord(ruleFile) || !Array.isArray(ruleFile.groups)) return [];
  return ruleFile.groups.flatMap((g) => (isRecord(g) && typeof g.name === 'string' ? [g.name] : []));
}
