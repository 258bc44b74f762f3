import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { InputProblem } from '../errors.ts';
import type { KeyPath, YamlSource } from '../input/yaml-source.ts';
import type { AlertingConfig, AlertRouteConfig, NotificationTemplate, StackConfig } from '../model/types.ts';
import { builtinReceiverNames } from './alertmanager-config.ts';
import { MatcherSyntaxError, parseMatchers } from './matcher.ts';

/** The `alerting:` section as written: template file paths, before they are read. */
type WrittenAlerting = Omit<AlertingConfig, 'templates'> & { readonly templates: readonly string[] };

/**
 * What the schema cannot check in `alerting:`: unique names, routes and intervals that exist,
 * matchers Alertmanager parses, inhibit rules that say what must be equal, signing secrets, and
 * template files that exist.
 */
export function alertingProblems(source: YamlSource, config: Pick<StackConfig, 'components'> & { alerting?: WrittenAlerting }): InputProblem[] {
  const alerting = config.alerting;
  if (!alerting) return [];
  const problems: InputProblem[] = [];
  const at = (path: KeyPath, message: string) => problems.push(source.problem(['alerting', ...path], message));

  const receivers = uniqueNames(alerting.receivers, 'receivers', 'receiver', at);
  const intervals = uniqueNames(alerting.timeIntervals, 'timeIntervals', 'time interval', at);
  const known = [...new Set([...builtinReceiverNames(config.components.alertmanager.watchdogReceiver), ...receivers])];

  alerting.receivers.forEach((r, i) => {
    if (r.dingtalk && r.dingtalk.signed !== false && !r.dingtalk.signingSecret) {
      at(['receivers', i, 'dingtalk'], 'signed DingTalk robots need `signingSecret` (the SEC… secret of the robot\'s "加签" setting, as { secret, key }); set `signed: false` only for a robot secured by keywords or IP ranges');
    }
  });

  const checkMatchers = (list: readonly string[] | undefined, path: KeyPath) =>
    list?.forEach((m, j) => {
      try {
        parseMatchers(m);
      } catch (e) {
        if (!(e instanceof MatcherSyntaxError)) throw e;
        at([...path, j], `invalid matcher: ${e.message}; a matcher is label, one of = != =~ !~, and a value, e.g. severity="page" or team=~"db|infra"`);
      }
    });
  const checkRoute = (r: AlertRouteConfig, path: KeyPath) => {
    if (r.receiver !== undefined && !known.includes(r.receiver)) at([...path, 'receiver'], `unknown receiver "${r.receiver}"; receivers: ${known.join(', ')}`);
    checkMatchers(r.matchers, [...path, 'matchers']);
    for (const key of ['muteTimeIntervals', 'activeTimeIntervals'] as const) {
      r[key]?.forEach((name, j) => {
        if (!intervals.includes(name)) at([...path, key, j], `unknown time interval "${name}"; ${intervals.length ? `timeIntervals: ${intervals.join(', ')}` : 'define it under alerting.timeIntervals'}`);
      });
    }
    r.routes?.forEach((child, j) => checkRoute(child, [...path, 'routes', j]));
  };
  alerting.routes?.forEach((r, i) => checkRoute(r, ['routes', i]));

  alerting.inhibitRules?.forEach((rule, i) => {
    checkMatchers(rule.sourceMatchers, ['inhibitRules', i, 'sourceMatchers']);
    checkMatchers(rule.targetMatchers, ['inhibitRules', i, 'targetMatchers']);
    if (!rule.equal?.length) {
      at(['inhibitRules', i], 'needs `equal`: without it, a source alert anywhere mutes every matching target alert in every cluster and namespace; list the labels that must match, e.g. [alertname, cluster, namespace]');
    }
  });

  const seenTemplates = new Map<string, number>();
  alerting.templates.forEach((t, i) => {
    const file = resolve(dirname(source.file), t);
    if (!existsSync(file) || !statSync(file).isFile()) at(['templates', i], `template file ${file} not found (paths are relative to the config file's folder)`);
    const name = basename(t);
    const first = seenTemplates.get(name);
    if (first !== undefined) at(['templates', i], `file name ${name} is also used by templates[${first}]; templates are mounted in one folder, so their names must differ`);
    else seenTemplates.set(name, i);
  });
  return problems;
}

/** Reads the template files of a checked `alerting:` section (relative to the config file). */
export function readTemplates(configFile: string, templates: readonly string[]): NotificationTemplate[] {
  return templates.map((t) => ({ name: basename(t), content: readFileSync(resolve(dirname(configFile), t), 'utf8') }));
}

function uniqueNames(list: readonly { name: string }[], key: string, what: string, at: (path: KeyPath, message: string) => void): string[] {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) at([key, i, 'name'], `duplicate ${what} name "${item.name}" (first used by ${key}[${first}])`);
    else seen.set(item.name, i);
  });
  return [...seen.keys()];
}
