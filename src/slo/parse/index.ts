import type { InputProblem } from '../../errors.ts';
import type { YamlSource } from '../../input/yaml-source.ts';
import type { Slo } from '../model.ts';
import type { ParseResult } from './common.ts';
import { Fields } from './fields.ts';
import { parseNative } from './native.ts';
import { parseOpenSlo } from './openslo.ts';
import { parseSlothCrd, parseSlothSpec } from './sloth.ts';

const VERSIONS = 'version: prometheus/v1 (Sloth), version: o11y/v1 (native), apiVersion: sloth.slok.dev/v1 (Sloth CRD) or apiVersion: openslo/v1 (OpenSLO)';

/**
 * Reads SLOs from YAML documents of any supported format. OpenSLO documents of all files are read
 * together, since an SLO may reference an SLI or alert policy defined in another file.
 */
export function parseSloSources(sources: readonly YamlSource[]): ParseResult {
  const problems: InputProblem[] = [];
  const slos: Slo[] = [];
  const openSlo: Fields[] = [];
  const take = (result: ParseResult) => slos.push(...result.slos);
  for (const source of sources) {
    const value = source.toJS();
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing `---`
    const doc = Fields.of(source, [], value, problems, 'an SLO document');
    if (!doc) continue;
    const version = doc.value.version;
    const apiVersion = doc.value.apiVersion;
    if (version === 'prometheus/v1') take(parseSlothSpec(doc));
    else if (version === 'o11y/v1') take(parseNative(doc));
    else if (apiVersion === 'sloth.slok.dev/v1' && doc.value.kind === 'PrometheusServiceLevel') take(parseSlothCrd(doc));
    else if (apiVersion === 'openslo/v1') openSlo.push(doc);
    else if (version !== undefined) doc.problem('version', `unknown spec version ${JSON.stringify(version)}; expected ${VERSIONS}`);
    else if (apiVersion !== undefined) {
      const what = `${JSON.stringify(apiVersion)}${doc.value.kind ? ` kind ${JSON.stringify(doc.value.kind)}` : ''}`;
      doc.problem('apiVersion', `unknown spec version ${what}; expected ${VERSIONS}`);
    } else doc.problem(undefined, `not an SLO document: expected ${VERSIONS}`);
  }
  if (openSlo.length) take(parseOpenSlo(openSlo));
  return { slos, problems };
}
