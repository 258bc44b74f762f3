import { readFileSync } from 'node:fs';
import { InputError, type InputProblem, type SourceLocation } from '../errors.ts';
import { describeValue, isMapping } from '../input/shape.ts';
import { formatKeyPath, parseYaml, type KeyPath, type YamlSource } from '../input/yaml-source.ts';
import type { DashboardFile } from '../dashboards/stack-health.ts';

/** A datasource Grafana provisions (from its datasources file). */
export interface ProvisionedDatasource {
  readonly uid: string;
  readonly name: string;
}

/** Grafana's own datasources, always there: by uid and by the names older dashboards use (and server-side expressions). */
const BUILT_IN_DATASOURCES = ['grafana', '-- Grafana --', '-- Mixed --', '-- Dashboard --', '__expr__'];
/** Grafana refuses longer uids and other characters (its short-uid rule). */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;
/** A ConfigMap holds at most 1 MiB. */
const CONFIGMAP_BYTES = 1024 * 1024;
/** `$name`, `${name}`, `${name:format}` or the deprecated `[[name]]`: a dashboard variable. */
const VARIABLE = /^(?:\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\])$/;

/** A dashboard file of the user's, as it will be provisioned, and where it came from. */
export interface UserDashboard extends DashboardFile {
  readonly source: string;
}

/**
 * Reads and checks the user's Grafana dashboards: valid JSON, a `uid` (unique among them and the
 * stack's `reservedUids`) and a `title`, and every `datasource` reference resolving to a
 * provisioned datasource, a built-in one or a dashboard variable. Each is provisioned as
 * `<uid>.json`. Throws {@link InputError} with every problem, located in the dashboard files.
 */
export function loadUserDashboards(files: readonly string[], datasources: readonly ProvisionedDatasource[], reservedUids: readonly string[]): UserDashboard[] {
  const problems: InputProblem[] = [];
  const dashboards: UserDashboard[] = [];
  const uids = new Map<string, string>(reservedUids.map((uid) => [uid, 'a dashboard of the stack']));
  for (const file of files) {
    const parsed = parseDashboard(file);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const { json, locate } = parsed;
    const found = dashboardProblems(json, locate, datasources);
    const uid = json.uid;
    if (typeof uid === 'string' && UID.test(uid)) {
      const owner = uids.get(uid);
      if (owner) found.push(locate(['uid'], `uid "${uid}" is already used by ${owner}; every dashboard needs its own uid`));
      else uids.set(uid, file);
    }
    problems.push(...found);
    if (!found.length) dashboards.push({ fileName: `${uid as string}.json`, json, source: file });
  }
  const bytes = dashboards.reduce((sum, d) => sum + Buffer.byteLength(JSON.stringify(d.json, null, 2)), 0);
  if (bytes > CONFIGMAP_BYTES && dashboards.length) {
    problems.push({ location: { file: dashboards[0]!.source, line: 1, column: 1 }, path: '', message: `the dashboards listed in dashboards: add up to ${Math.round(bytes / 1024)} KiB; their ConfigMap holds at most 1024 KiB` });
  }
  if (problems.length) throw new InputError(problems);
  return dashboards;
}

type Locate = (path: KeyPath, message: string) => InputProblem;

/** The dashboard's JSON and a way to locate its keys, or the JSON syntax error. */
function parseDashboard(file: string): { json: Record<string, unknown>; locate: Locate } | { problem: InputProblem } {
  const start: SourceLocation = { file, line: 1, column: 1 };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return { problem: { location: start, path: '', message: `cannot read: ${reason}` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /at position (\d+)/.exec(message);
    const location = position ? locateOffset(text, Number(position[1]), file) : start;
    return { problem: { location, path: '', message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}` } };
  }
  if (!isMapping(json)) return { problem: { location: start, path: '', message: `a dashboard is a JSON object, got ${describeValue(json)}` } };
  // JSON is YAML: its syntax tree gives the line of every key. Should the YAML parser refuse what
  // JSON.parse took (tab indentation), problems are located at the file with their JSON path.
  let source: YamlSource | undefined;
  try {
    source = parseYaml(text, file)[0];
  } catch {
    source = undefined;
  }
  const locate: Locate = (path, message) => (source ? source.problem(path, message) : { location: start, path: formatKeyPath(path), message });
  return { json, locate };
}

function locateOffset(text: string, offset: number, file: string): SourceLocation {
  const before = text.slice(0, offset).split('\n');
  return { file, line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** A dashboard's own problems: uid, title and datasource references. */
function dashboardProblems(json: Record<string, unknown>, locate: Locate, datasources: readonly ProvisionedDatasource[]): InputProblem[] {
  const problems: InputProblem[] = [];
  if (typeof json.uid !== 'string' || !UID.test(json.uid)) {
    problems.push(locate(['uid'], `${json.uid === undefined ? 'missing uid' : `uid ${describeValue(json.uid)} is not allowed`}: provisioned dashboards need a stable uid of 1-40 letters, digits, "-" and "_"`));
  }
  if (typeof json.title !== 'string' || !json.title.trim()) problems.push(locate(['title'], 'missing title: every dashboard needs a non-empty title'));
  const variables = new Set(dashboardVariables(json));
  const inputs = new Set(importInputs(json));
  const known = new Set([...BUILT_IN_DATASOURCES, ...datasources.flatMap((d) => [d.uid, d.name])]);
  const allowed = () => `provisioned datasource uids: ${datasources.map((d) => d.uid).join(', ')}${variables.size ? `; dashboard variables: ${[...variables].map((v) => `$${v}`).join(', ')}` : ''}`;
  for (const { path, ref } of datasourceRefs(json)) {
    const uid = isMapping(ref) ? ref.uid : ref;
    if (uid === undefined || uid === null) continue; // the default datasource (of the type, if given)
    if (typeof uid !== 'string') {
      problems.push(locate(path, `a datasource reference is a uid string or {type, uid}, got ${describeValue(uid)}`));
      continue;
    }
    const variable = VARIABLE.exec(uid);
    if (variable) {
      const name = variable[1] ?? variable[2] ?? variable[3]!;
      if (variables.has(name)) continue;
      const hint = inputs.has(name)
        ? `; ${name} is an import input (__inputs), which file provisioning does not fill in: add a datasource variable named ${name} to templating, or reference a uid`
        : '';
      problems.push(locate(path, `refers to variable ${uid}, which the dashboard does not define${hint}; ${allowed()}`));
    } else if (!known.has(uid)) {
      problems.push(locate(path, `unknown datasource uid "${uid}"; ${allowed()}`));
    }
  }
  return problems;
}

/** Names of the dashboard's template variables. */
function dashboardVariables(json: Record<string, unknown>): string[] {
  const list = isMapping(json.templating) && Array.isArray(json.templating.list) ? json.templating.list : [];
  return list.flatMap((v) => (isMapping(v) && typeof v.name === 'string' ? [v.name] : []));
}

/** Names of an exported dashboard's import inputs (`__inputs`, filled in only by the import UI). */
function importInputs(json: Record<string, unknown>): string[] {
  const list = Array.isArray(json.__inputs) ? json.__inputs : [];
  return list.flatMap((i) => (isMapping(i) && typeof i.name === 'string' ? [i.name] : []));
}

/** Every `datasource` value in the dashboard (panels, rows' panels, targets, variables, annotations), with its path. */
export function datasourceRefs(json: unknown): { path: KeyPath; ref: unknown }[] {
  const refs: { path: KeyPath; ref: unknown }[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (isMapping(value)) {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'datasource') refs.push({ path: [...path, key], ref: v });
        else walk(v, [...path, key]);
      }
    }
  };
  walk(json, []);
  return refs;
}
