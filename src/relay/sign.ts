import { createHmac } from 'node:crypto';

/**
 * DingTalk custom robot "加签": HMAC-SHA256 keyed with the secret over `timestamp + "\n" + secret`,
 * base64; sent URL-encoded as the `sign` query parameter beside `timestamp` (milliseconds, within
 * an hour of DingTalk's clock). https://open.dingtalk.com/document/robots/customize-robot-security-settings
 */
export function dingtalkSignature(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The DingTalk robot URL with `timestamp` and `sign` added (URL-encoded by URLSearchParams). */
export function signedDingtalkUrl(url: string, secret: string, timestampMs: number): string {
  const signed = new URL(url);
  signed.searchParams.set('timestamp', String(timestampMs));
  signed.searchParams.set('sign', dingtalkSignature(secret, timestampMs));
  return signed.toString();
}

/**
 * Feishu/Lark custom bot signature verification: HMAC-SHA256 keyed with `timestamp + "\n" + secret`
 * over the empty string, base64; sent as `timestamp` (seconds, as a string) and `sign` in the JSON
 * body. https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */
export function feishuSignature(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}
