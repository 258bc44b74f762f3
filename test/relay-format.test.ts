import { describe, expect, it } from 'vitest';
import { asWebhookPayload, notificationOf, robotAccepted, robotMessage, type WebhookPayload } from '../src/relay/format.ts';
import { dingtalkSignature, feishuSignature, signedDingtalkUrl } from '../src/relay/sign.ts';
import { runTool } from './support/run-tool.ts';

// The relay's pure parts: the robots' message formats, their signatures (checked against OpenSSL's
// HMAC, an implementation that is not ours), and how their answers are read.

const payload = (alerts: WebhookPayload['alerts'], over: Partial<WebhookPayload> = {}): WebhookPayload => ({
  version: '4',
  status: 'firing',
  receiver: 'ops-cn',
  groupLabels: { alertname: 'CheckoutErrors' },
  commonLabels: { alertname: 'CheckoutErrors', cluster: 'ack-hangzhou', namespace: 'shop', severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example:9093',
  alerts,
  ...over,
});
const alert = (pod: string, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels: { alertname: 'CheckoutErrors', cluster: 'ack-hangzhou', namespace: 'shop', severity: 'critical', pod },
  annotations: { summary: `5xx above 2% on ${pod}` },
  startsAt: '2026-01-02T03:04:05Z',
  generatorURL: 'http://prometheus.example/graph?g0.expr=up',
});

describe('signatures', () => {
  it('DingTalk: base64 HMAC-SHA256 keyed by the secret over timestamp + "\\n" + secret, equal to OpenSSL\'s', () => {
    const secret = 'SEC0123456789abcdef';
    const ts = 1767323045000;
    const expected = Buffer.from(opensslHmacBytes(secret, `${ts}\n${secret}`)).toString('base64');
    expect(dingtalkSignature(secret, ts)).toBe(expected);
  });

  it('DingTalk: timestamp and URL-encoded sign are appended to the robot URL, its access_token kept', () => {
    const secret = 'this is secret';
    const url = new URL(signedDingtalkUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', secret, 1700000000000));
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe('1700000000000');
    expect(url.searchParams.get('sign')).toBe(dingtalkSignature(secret, 1700000000000));
    // base64's + / = must arrive URL-encoded, not as a space.
    expect(url.search).not.toMatch(/sign=[^&]*[+/=]/);
  });

  it('Feishu: base64 HMAC-SHA256 keyed by timestamp + "\\n" + secret over the empty string, equal to OpenSSL\'s', () => {
    const secret = 'feishu-secret';
    const ts = 1767323045;
    expect(feishuSignature(secret, ts)).toBe(Buffer.from(opensslHmacBytes(`${ts}\n${secret}`, '')).toString('base64'));
  });
});

describe('robot messages', () => {
  const two = payload([alert('checkout-1'), alert('checkout-2')]);

  it('DingTalk: markdown with a title, the shared context, one line per alert with its own labels, and the Alertmanager link', () => {
    const msg = robotMessage('dingtalk', two) as { msgtype: string; markdown: { title: string; text: string } };
    expect(msg.msgtype).toBe('markdown');
    expect(msg.markdown.title).toBe('[FIRING:2] CheckoutErrors');
    expect(msg.markdown.text).toContain('cluster=ack-hangzhou namespace=shop');
    expect(msg.markdown.text).toContain('- **CRITICAL: 5xx above 2% on checkout-1**\n  pod=checkout-1 · since 2026-01-02T03:04:05Z [source](http://prometheus.example/graph?g0.expr=up)');
    expect(msg.markdown.text).toContain('checkout-2');
    expect(msg.markdown.text).toContain('[Alertmanager](http://alertmanager.example:9093)');
  });

  it('WeCom: markdown content, cut below its 4096-byte limit with a count of what was left out', () => {
    const many = payload(Array.from({ length: 60 }, (_, i) => alert(`checkout-${i}-${'x'.repeat(60)}`)));
    const msg = robotMessage('wecom', many) as { msgtype: string; markdown: { content: string } };
    expect(msg.msgtype).toBe('markdown');
    expect(Buffer.byteLength(msg.markdown.content)).toBeLessThanOrEqual(4096);
    const shown = (msg.markdown.content.match(/^- \*\*/gm) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(msg.markdown.content).toContain(`…and ${60 - shown} more`);
  });

  it('Feishu: a post with the title and one paragraph per alert, links as a tags', () => {
    const msg = robotMessage('feishu', two) as { msg_type: string; content: { post: { zh_cn: { title: string; content: { tag: string; text: string; href?: string }[][] } } } };
    expect(msg.msg_type).toBe('post');
    const post = msg.content.post.zh_cn;
    expect(post.title).toBe('[FIRING:2] CheckoutErrors');
    expect(post.content[0]).toEqual([{ tag: 'text', text: 'cluster=ack-hangzhou namespace=shop' }]);
    expect(post.content[1]![0]!.text).toBe('CRITICAL: 5xx above 2% on checkout-1\npod=checkout-1 · since 2026-01-02T03:04:05Z');
    expect(post.content[1]![1]).toEqual({ tag: 'a', text: ' source', href: 'http://prometheus.example/graph?g0.expr=up' });
    expect(post.content.at(-1)).toEqual([{ tag: 'a', text: 'Alertmanager', href: 'http://alertmanager.example:9093' }]);
  });

  it('a resolved group says RESOLVED, and alerts Alertmanager truncated (max_alerts) are counted', () => {
    const n = notificationOf(payload([alert('checkout-1', 'resolved')], { status: 'resolved', truncatedAlerts: 3 }));
    expect(n.title).toBe('[RESOLVED] CheckoutErrors');
    expect(n.alerts[0]!.headline).toBe('RESOLVED: 5xx above 2% on checkout-1');
    expect(n.omitted).toBe(3);
  });

  it('refuses what is not an Alertmanager v4 payload', () => {
    expect(asWebhookPayload([])).toMatch(/no alerts list|unsupported/);
    expect(asWebhookPayload({ version: '3', status: 'firing', alerts: [] })).toBe('unsupported payload version "3" (expected "4")');
    expect(asWebhookPayload({ version: '4', alerts: [] })).toBe('the payload has no status');
    expect(typeof asWebhookPayload(two)).toBe('object');
  });
});

describe('robot answers', () => {
  it.each([
    ['dingtalk', 200, '{"errcode":0,"errmsg":"ok"}', true],
    ['dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}', false],
    ['wecom', 200, '{"errcode":0,"errmsg":"ok"}', true],
    ['wecom', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', false],
    ['feishu', 200, '{"code":0,"msg":"success","data":{}}', true],
    ['feishu', 200, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}', false],
    ['feishu', 200, '{"StatusCode":0,"StatusMessage":"success"}', true],
    ['dingtalk', 502, 'bad gateway', false],
    ['wecom', 200, 'not json', false],
  ] as const)('%s HTTP %i %s → delivered %s', (kind, status, body, ok) => {
    expect(robotAccepted(kind, status, body).ok).toBe(ok);
  });
});

/** Raw HMAC-SHA256 bytes computed by the openssl binary. */
function opensslHmacBytes(key: string, message: string): Buffer {
  const run = runTool('openssl', ['dgst', '-sha256', '-hmac', key, '-hex'], { input: message });
  const hex = /([0-9a-f]{64})\s*$/.exec(run.stdout.trim())?.[1];
  if (!hex) throw new Error(`openssl: ${run.output}`);
  return Buffer.from(hex, 'hex');
}
