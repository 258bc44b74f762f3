import type { RobotKind } from './targets.ts';

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export interface WebhookPayload {
  readonly version: string;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly truncatedAlerts?: number;
  readonly alerts: readonly WebhookAlert[];
}

export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/** The payload, if `value` has the fields the formatters read; otherwise why not. */
export function asWebhookPayload(value: unknown): WebhookPayload | string {
  const p = value as Partial<WebhookPayload> | null;
  if (!p || typeof p !== 'object') return 'the body is not a JSON object';
  if (p.version !== '4') return `unsupported payload version ${JSON.stringify(p.version)} (expected "4")`;
  if (!Array.isArray(p.alerts)) return 'the payload has no alerts list';
  if (p.status !== 'firing' && p.status !== 'resolved') return 'the payload has no status';
  return { groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', receiver: '', ...p } as WebhookPayload;
}

/** Message size limits: WeCom markdown content 4096 bytes; DingTalk and Feishu take ~20 KB. */
const MAX_BYTES: Record<RobotKind, number> = { dingtalk: 18_000, feishu: 18_000, wecom: 4_000 };

/** What every robot shows: a title and one block per alert, in a robot-neutral form. */
export interface Notification {
  readonly title: string;
  /** `cluster`, `namespace` and the like shared by every alert. */
  readonly context: string;
  readonly alerts: readonly { readonly headline: string; readonly detail: string; readonly link?: string }[];
  readonly omitted: number;
  readonly link?: string;
}

/** One alert's text never fills a small robot's message alone. */
const clip = (s: string) => (s.length > 1000 ? `${s.slice(0, 999)}…` : s);

const CONTEXT_LABELS = ['cluster', 'namespace', 'service', 'job'];

/** The robot-neutral message of one notification, cut to `maxBytes` of alert text. */
export function notificationOf(p: WebhookPayload, maxBytes = Infinity): Notification {
  const firing = p.alerts.filter((a) => a.status === 'firing').length;
  const name = p.groupLabels.alertname ?? p.commonLabels.alertname ?? (Object.values(p.groupLabels).join(' ') || 'alerts');
  const title = `[${p.status.toUpperCase()}${p.status === 'firing' ? `:${firing}` : ''}] ${name}`;
  const context = CONTEXT_LABELS.filter((l) => p.commonLabels[l]).map((l) => `${l}=${p.commonLabels[l]}`).join(' ');
  const alerts: Notification['alerts'][number][] = [];
  let used = 0;
  for (const a of p.alerts) {
    const own = Object.entries(a.labels).filter(([k]) => p.commonLabels[k] === undefined).map(([k, v]) => `${k}=${v}`).join(' ');
    const text = a.annotations.summary ?? a.annotations.description ?? a.labels.alertname ?? '';
    const block = {
      headline: clip(`${a.status === 'resolved' ? 'RESOLVED' : (a.labels.severity ?? 'FIRING').toUpperCase()}: ${text}`),
      detail: clip([own, `since ${a.startsAt}`].filter(Boolean).join(' · ')),
      ...(a.generatorURL ? { link: a.generatorURL } : {}),
    };
    used += Buffer.byteLength(`${block.headline}${block.detail}${block.link ?? ''}`) + 32;
    if (used > maxBytes && alerts.length) break;
    alerts.push(block);
  }
  return { title, context, alerts, omitted: p.alerts.length - alerts.length + (p.truncatedAlerts ?? 0), ...(p.externalURL ? { link: p.externalURL } : {}) };
}

function markdown(n: Notification): string {
  return [
    `### ${n.title}`,
    ...(n.context ? [n.context] : []),
    ...n.alerts.map((a) => `- **${a.headline}**\n  ${a.detail}${a.link ? ` [source](${a.link})` : ''}`),
    ...(n.omitted ? [`…and ${n.omitted} more`] : []),
    ...(n.link ? [`[Alertmanager](${n.link})`] : []),
  ].join('\n\n');
}

/** The JSON body a robot expects for `payload` (without signature fields). */
export function robotMessage(kind: RobotKind, payload: WebhookPayload): Record<string, unknown> {
  const n = notificationOf(payload, MAX_BYTES[kind]);
  switch (kind) {
    case 'dingtalk':
      return { msgtype: 'markdown', markdown: { title: n.title, text: markdown(n) } };
    case 'wecom':
      return { msgtype: 'markdown', markdown: { content: markdown(n) } };
    case 'feishu': {
      const line = (text: string) => [{ tag: 'text', text }];
      const content = [
        ...(n.context ? [line(n.context)] : []),
        ...n.alerts.map((a) => [{ tag: 'text', text: `${a.headline}\n${a.detail}` }, ...(a.link ? [{ tag: 'a', text: ' source', href: a.link }] : [])]),
        ...(n.omitted ? [line(`…and ${n.omitted} more`)] : []),
        ...(n.link ? [[{ tag: 'a', text: 'Alertmanager', href: n.link }]] : []),
      ];
      return { msg_type: 'post', content: { post: { zh_cn: { title: n.title, content } } } };
    }
  }
}

/**
 * Whether a robot's answer means delivered. All three answer HTTP 200 with an error code in the
 * body for refused messages (bad signature, keyword mismatch, rate limit): `errcode` (DingTalk,
 * WeCom) or `code` (Feishu; older bots `StatusCode`), 0 on success.
 */
export function robotAccepted(kind: RobotKind, status: number, body: string): { ok: boolean; detail: string } {
  if (status < 200 || status > 299) return { ok: false, detail: `HTTP ${status}` };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { ok: false, detail: `HTTP ${status} with a body that is not JSON` };
  }
  const code = kind === 'feishu' ? (parsed.code ?? parsed.StatusCode) : parsed.errcode;
  const message = kind === 'feishu' ? (parsed.msg ?? parsed.StatusMessage) : parsed.errmsg;
  return code === 0 ? { ok: true, detail: 'ok' } : { ok: false, detail: `error ${String(code)}: ${String(message ?? '')}` };
}
