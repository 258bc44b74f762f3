import type { AlertingConfig, AlertRouteConfig, ReceiverConfig, RelayedReceiverType, RouteTiming, SecretKeyRef } from '../model/types.ts';
import { RELAYED_RECEIVER_TYPES } from '../model/types.ts';
import type { RelayTarget } from '../relay/targets.ts';

/** The receivers every stack has unless `alerting.receivers` replaces them; each reads a webhook URL from the receivers Secret. */
export const BUILTIN_RECEIVERS = ['default', 'page', 'ticket'] as const;
/** Where Alertmanager mounts the receivers Secret (`<receiver>-url` keys). */
export const RECEIVERS_DIR = '/etc/alertmanager/receivers';
/** Where Alertmanager mounts each user Secret an `alerting` receiver names: `<dir>/<secret>/<key>`. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';
export const TEMPLATES_DIR = '/etc/alertmanager/templates';
/** Where the relay mounts each user Secret a robot receiver names. */
export const RELAY_SECRETS_DIR = '/etc/alert-relay/secrets';

/** What one stack's alert delivery needs: Alertmanager's config, the Secrets it reads, and the relay's targets. */
export interface AlertDelivery {
  /** `alertmanager.yml`. */
  readonly config: object;
  /** Whether the built-in receivers (and so `components.alertmanager.receiversSecret`) are used. */
  readonly usesReceiversSecret: boolean;
  /** User Secrets Alertmanager mounts under {@link ALERTMANAGER_SECRETS_DIR}, sorted. */
  readonly secrets: readonly string[];
  /** TCP ports Alertmanager connects to outside the cluster (webhooks and APIs on 443, SMTP smarthosts). */
  readonly egressPorts: readonly number[];
  /** DingTalk/Feishu/WeCom robots, delivered through the relay; empty means no relay. */
  readonly relayTargets: readonly RelayTarget[];
  /** User Secrets the relay mounts under {@link RELAY_SECRETS_DIR}, sorted. */
  readonly relaySecrets: readonly string[];
}

export interface AlertDeliveryOptions {
  readonly alerting?: AlertingConfig;
  /** `components.alertmanager.watchdogReceiver`: the Watchdog to its own receiver, every minute. */
  readonly watchdogReceiver: boolean;
  /** Base URL of the relay's Service, e.g. `http://alert-relay.observability.svc:8080`. */
  readonly relayUrl: string;
}

const DEFAULT_ROOT: Required<RouteTiming> = { groupBy: ['alertname', 'cluster', 'namespace'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' };

/** Today's routing by the stack's severity labels: what `alerting.routes` replaces. */
const DEFAULT_ROUTES: AlertRouteConfig[] = [
  { matchers: ['severity=~"page|critical"'], receiver: 'page', repeatInterval: '1h' },
  { matchers: ['severity=~"ticket|warning"'], receiver: 'ticket', repeatInterval: '12h' },
];

// A page is not also a ticket for the same problem. SLO alerts of different SLOs may share an
// alert name: `sloth_id` keeps one SLO's page from hiding another's ticket (absent on both sides,
// as for stack alerts, counts as equal).
const DEFAULT_INHIBIT_RULES = [
  { sourceMatchers: ['severity=~"page|critical"'], targetMatchers: ['severity=~"ticket|warning"'], equal: ['alertname', 'cluster', 'namespace', 'sloth_id'] },
];

/** A dead-man's switch expects a steady heartbeat, not one notification per 4 hours. */
const WATCHDOG_ROUTE: AlertRouteConfig = { matchers: ['alertname="Watchdog"'], receiver: 'watchdog', groupWait: '0s', groupInterval: '1m', repeatInterval: '1m' };

/** Receiver names that need no `alerting.receivers` entry: the built-ins, and `watchdog` when configured. */
export function builtinReceiverNames(watchdogReceiver: boolean): string[] {
  return [...BUILTIN_RECEIVERS, ...(watchdogReceiver ? ['watchdog'] : [])];
}

/** Alertmanager's config and everything around it for the stack's `alerting` section (absent: today's three webhooks). */
export function alertDelivery(opts: AlertDeliveryOptions): AlertDelivery {
  const alerting = opts.alerting;
  const userReceivers = alerting?.receivers ?? [];
  const routes = [...(opts.watchdogReceiver ? [WATCHDOG_ROUTE] : []), ...(alerting?.routes ?? DEFAULT_ROUTES)];
  const referenced = new Set(['default', ...routes.flatMap(receiversIn)]);
  const builtins = builtinReceiverNames(opts.watchdogReceiver).filter((n) => referenced.has(n) && !userReceivers.some((r) => r.name === n));
  const relayTargets = userReceivers.flatMap((r) => relayTargetsOf(r));
  const root = { ...DEFAULT_ROOT, ...alerting?.root };
  const timeIntervals = alerting?.timeIntervals ?? [];
  const templates = alerting?.templates ?? [];
  const config = {
    route: { receiver: 'default', ...timing(root), routes: routes.map(route) },
    inhibit_rules: (alerting?.inhibitRules ?? DEFAULT_INHIBIT_RULES).map((r) => ({ source_matchers: r.sourceMatchers, target_matchers: r.targetMatchers, equal: r.equal })),
    ...(timeIntervals.length ? { time_intervals: timeIntervals.map((t) => ({ name: t.name, time_intervals: t.intervals.map(timeRange) })) } : {}),
    ...(templates.length ? { templates: templates.map((t) => `${TEMPLATES_DIR}/${t.name}`) } : {}),
    receivers: [...builtins.map(builtinReceiver), ...userReceivers.map((r) => receiver(r, opts.relayUrl))],
  };
  const direct = userReceivers.flatMap((r) => Object.entries(r).filter(([k]) => k !== 'name' && !isRelayed(k)));
  const egressPorts = new Set<number>(builtins.length || direct.some(([k]) => k !== 'email') ? [443] : []);
  for (const r of userReceivers) {
    if (r.email) egressPorts.add(Number(r.email.smarthost.split(':').pop()));
    for (const url of [r.pagerduty?.url, r.opsgenie?.url]) if (url) egressPorts.add(Number(new URL(url).port) || (url.startsWith('https:') ? 443 : 80));
  }
  return {
    config,
    usesReceiversSecret: builtins.length > 0,
    secrets: secretsOf(userReceivers.flatMap((r) => directRefs(r))),
    egressPorts: [...egressPorts].sort((a, b) => a - b),
    relayTargets,
    relaySecrets: secretsOf(userReceivers.flatMap((r) => relayedRefs(r))),
  };
}

/** In-pod path of a Secret key mounted under `dir`. */
export function secretFile(dir: string, ref: SecretKeyRef): string {
  return `${dir}/${ref.secret}/${ref.key}`;
}

function receiversIn(r: AlertRouteConfig): string[] {
  return [...(r.receiver ? [r.receiver] : []), ...(r.routes ?? []).flatMap(receiversIn)];
}

function timing(t: RouteTiming) {
  return { group_by: t.groupBy, group_wait: t.groupWait, group_interval: t.groupInterval, repeat_interval: t.repeatInterval };
}

function route(r: AlertRouteConfig): object {
  return {
    ...(r.matchers ? { matchers: r.matchers } : {}),
    ...(r.receiver ? { receiver: r.receiver } : {}),
    ...(r.continue !== undefined ? { continue: r.continue } : {}),
    ...timing(r),
    ...(r.muteTimeIntervals ? { mute_time_intervals: r.muteTimeIntervals } : {}),
    ...(r.activeTimeIntervals ? { active_time_intervals: r.activeTimeIntervals } : {}),
    ...(r.routes ? { routes: r.routes.map(route) } : {}),
  };
}

function timeRange(t: AlertingConfig['timeIntervals'][number]['intervals'][number]): object {
  return {
    times: t.times?.map((x) => ({ start_time: x.startTime, end_time: x.endTime })),
    weekdays: t.weekdays,
    days_of_month: t.daysOfMonth,
    months: t.months,
    years: t.years,
    location: t.location,
  };
}

function builtinReceiver(name: string): object {
  return { name, webhook_configs: [{ url_file: `${RECEIVERS_DIR}/${name}-url`, send_resolved: true }] };
}

const isRelayed = (key: string): key is RelayedReceiverType => (RELAYED_RECEIVER_TYPES as readonly string[]).includes(key);
const file = (ref: SecretKeyRef) => secretFile(ALERTMANAGER_SECRETS_DIR, ref);
const resolved = (v: boolean | undefined) => (v === undefined ? {} : { send_resolved: v });

/** Alertmanager's receiver: its own integrations read credentials from files; robots post to the relay. */
function receiver(r: ReceiverConfig, relayUrl: string): object {
  const webhooks = [
    ...(r.webhook ? [{ url_file: file(r.webhook.url), ...resolved(r.webhook.sendResolved) }] : []),
    ...RELAYED_RECEIVER_TYPES.filter((kind) => r[kind]).map((kind) => ({ url: `${relayUrl}${relayPath(r.name, kind)}`, ...resolved(r[kind]!.sendResolved) })),
  ];
  return {
    name: r.name,
    ...(r.slack ? { slack_configs: [{ api_url_file: file(r.slack.url), channel: r.slack.channel, ...resolved(r.slack.sendResolved) }] } : {}),
    ...(r.pagerduty ? { pagerduty_configs: [{ routing_key_file: file(r.pagerduty.routingKey), url: r.pagerduty.url, severity: r.pagerduty.severity, ...resolved(r.pagerduty.sendResolved) }] } : {}),
    ...(r.email
      ? {
          email_configs: [
            {
              to: r.email.to,
              from: r.email.from,
              smarthost: r.email.smarthost,
              auth_username: r.email.username,
              auth_password_file: r.email.password && file(r.email.password),
              require_tls: r.email.requireTls,
              ...resolved(r.email.sendResolved),
            },
          ],
        }
      : {}),
    ...(r.msteamsv2 ? { msteamsv2_configs: [{ webhook_url_file: file(r.msteamsv2.url), ...resolved(r.msteamsv2.sendResolved) }] } : {}),
    ...(r.wechat
      ? {
          wechat_configs: [
            { api_secret_file: file(r.wechat.apiSecret), corp_id: r.wechat.corpId, agent_id: r.wechat.agentId, to_user: r.wechat.toUser, to_party: r.wechat.toParty, to_tag: r.wechat.toTag, ...resolved(r.wechat.sendResolved) },
          ],
        }
      : {}),
    ...(r.telegram ? { telegram_configs: [{ bot_token_file: file(r.telegram.botToken), chat_id: r.telegram.chatId, ...resolved(r.telegram.sendResolved) }] } : {}),
    ...(r.opsgenie ? { opsgenie_configs: [{ api_key_file: file(r.opsgenie.apiKey), api_url: r.opsgenie.url, ...resolved(r.opsgenie.sendResolved) }] } : {}),
    ...(webhooks.length ? { webhook_configs: webhooks } : {}),
  };
}

/** The relay path of one robot of one receiver. */
export function relayPath(receiverName: string, kind: RelayedReceiverType): string {
  return `/${encodeURIComponent(receiverName)}/${kind}`;
}

function relayTargetsOf(r: ReceiverConfig): RelayTarget[] {
  return RELAYED_RECEIVER_TYPES.flatMap((kind) => {
    const robot = r[kind];
    if (!robot) return [];
    const signing = 'signingSecret' in robot && robot.signingSecret && !(kind === 'dingtalk' && r.dingtalk?.signed === false) ? robot.signingSecret : undefined;
    return [{ path: relayPath(r.name, kind), kind, urlFile: secretFile(RELAY_SECRETS_DIR, robot.url), ...(signing ? { signingSecretFile: secretFile(RELAY_SECRETS_DIR, signing) } : {}) }];
  });
}

/** The Secret keys of a receiver's own Alertmanager integrations. */
function directRefs(r: ReceiverConfig): SecretKeyRef[] {
  return [r.slack?.url, r.pagerduty?.routingKey, r.email?.password, r.msteamsv2?.url, r.wechat?.apiSecret, r.telegram?.botToken, r.opsgenie?.apiKey, r.webhook?.url].filter((x): x is SecretKeyRef => !!x);
}

/** The Secret keys of a receiver's robots, read by the relay. */
function relayedRefs(r: ReceiverConfig): SecretKeyRef[] {
  const dingtalkSigning = r.dingtalk?.signed === false ? undefined : r.dingtalk?.signingSecret;
  return [r.dingtalk?.url, dingtalkSigning, r.feishu?.url, r.feishu?.signingSecret, r.wecom?.url].filter((x): x is SecretKeyRef => !!x);
}

function secretsOf(refs: SecretKeyRef[]): string[] {
  return [...new Set(refs.map((r) => r.secret))].sort();
}
