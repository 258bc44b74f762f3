import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { asWebhookPayload, robotAccepted, robotMessage } from './format.ts';
import { feishuSignature, signedDingtalkUrl } from './sign.ts';
import type { RelayConfig, RelayTarget } from './targets.ts';

/** Alertmanager's payloads are small; anything bigger is not from it. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Below Alertmanager's own webhook timeout, so that it sees our 502 rather than its own timeout. */
const ROBOT_TIMEOUT_MS = 8_000;

export interface RelayServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface RelayOptions {
  readonly host?: string;
  readonly port: number;
  /** Where delivery outcomes are logged (never a URL or secret). */
  readonly log: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The alert relay: takes Alertmanager's webhook at each target's path and posts the robot's own
 * message format to the robot. Answers 200 when the robot accepted the message and 502 when it did
 * not, so that Alertmanager retries and counts the failure in `alertmanager_notifications_failed_total`.
 */
export async function startRelay(config: RelayConfig, opts: RelayOptions): Promise<RelayServer> {
  const targets = new Map(config.targets.map((t) => [t.path, t]));
  const now = opts.now ?? Date.now;
  const server: Server = createServer((req, res): void => {
    const answer = (status: number, text: string): void => void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path === '/healthz') return answer(200, 'ok');
    const target = targets.get(path);
    if (!target) return answer(404, `no relay target at ${path}`);
    if (req.method !== 'POST') return answer(405, 'POST only');
    readBody(req)
      .then(async (body): Promise<void> => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          return answer(400, 'the body is not JSON');
        }
        const payload = asWebhookPayload(json);
        if (typeof payload === 'string') return answer(400, payload);
        const outcome = await deliver(target, robotMessage(target.kind, payload), now());
        opts.log(`${target.path} ${payload.status} ${payload.alerts.length} alert(s): ${outcome.detail}`);
        answer(outcome.ok ? 200 : 502, outcome.detail);
      })
      .catch((e: Error) => {
        opts.log(`${target.path}: ${e.message}`);
        answer(e instanceof BodyTooLarge ? 413 : 502, e.message);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as { address: string; port: number };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Posts one message to the robot, signed when the target has a secret. Files are read now: Secrets rotate. */
async function deliver(target: RelayTarget, message: Record<string, unknown>, nowMs: number): Promise<{ ok: boolean; detail: string }> {
  let url = readFileSync(target.urlFile, 'utf8').trim();
  const secret = target.signingSecretFile ? readFileSync(target.signingSecretFile, 'utf8').trim() : undefined;
  let body = message;
  if (secret && target.kind === 'dingtalk') url = signedDingtalkUrl(url, secret, nowMs);
  if (secret && target.kind === 'feishu') {
    const timestamp = Math.floor(nowMs / 1000);
    body = { timestamp: String(timestamp), sign: feishuSignature(secret, timestamp), ...message };
  }
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(ROBOT_TIMEOUT_MS) });
    return robotAccepted(target.kind, res.status, await res.text());
  } catch (e) {
    // The URL carries the robot's token: name the host only.
    return { ok: false, detail: `cannot reach ${new URL(url).host}: ${(e as Error).message}` };
  }
}
