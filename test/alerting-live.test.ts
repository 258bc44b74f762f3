import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth.ts';
import { startDaemon, type Daemon } from './support/daemon.ts';
import { freePort } from './support/free-port.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import type { K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, pathsUnder, removePodFiles, reroot } from './support/pod-files.ts';
import { mountedConfig, withFlags } from './support/real-engine-checks.ts';
import { toolPath } from './support/test-tools.ts';
import { until as untilReady } from './support/until.ts';

// Alert delivery end to end: the real Alertmanager with the synthesized config, flags and Secret
// files, and `o11y relay` (the CLI, as the image runs it) with its synthesized config, deliver to
// loopback fakes of Slack, PagerDuty Events v2, a webhook, and the DingTalk, Feishu and WeCom robots
// (which check the relay's signatures). Rewritten, and only these: the credential files' contents
// (loopback URLs), listen addresses, the data folder, and the relay Service's in-cluster URL.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'o11y-alerting-live-'));
const DINGTALK_SECRET = 'SEC-dingtalk-test-secret';
const FEISHU_SECRET = 'feishu-test-secret';
const ROUTING_KEY = 'R0UTINGKEY0123456789abcdef012345';

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The robot fakes' verdict on the request's signature. */
  readonly signatureOk?: boolean;
}
const received: Received[] = [];
let fakes: Server;
let fakeUrl: string;
let alertmanager: Daemon | undefined;
let relay: Daemon;
let startAlertmanager: () => Promise<Daemon>;
const dataDir = join(work, 'alertmanager-data');

/** Before any message is signed: a signing timestamp must lie between this and its arrival, in the robot's unit. */
const SUITE_START = Date.now();
/** Whether `ts` (in `unitMs` milliseconds) was taken while this suite ran: signed at send time, in the right unit. */
const stampedDuringSuite = (ts: number, unitMs: number) => ts >= Math.floor(SUITE_START / unitMs) && ts <= Date.now() / unitMs;

/** The robots' answers: HTTP 200 with an error code in the body when the signature is wrong, as they do. */
function answerFor(path: string, url: URL, body: Record<string, unknown>): { status: number; json?: object; text?: string; signatureOk?: boolean } {
  if (path.startsWith('/dingtalk/')) {
    const ts = url.searchParams.get('timestamp') ?? '';
    const expected = createHmac('sha256', DINGTALK_SECRET).update(`${ts}\n${DINGTALK_SECRET}`).digest('base64');
    const ok = url.searchParams.get('access_token') === 'dt-token' && url.searchParams.get('sign') === expected && stampedDuringSuite(Number(ts), 1);
    return { status: 200, json: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' }, signatureOk: ok };
  }
  if (path.startsWith('/feishu/')) {
    const ts = String(body.timestamp);
    const expected = createHmac('sha256', `${ts}\n${FEISHU_SECRET}`).update('').digest('base64');
    const ok = body.sign === expected && stampedDuringSuite(Number(ts), 1000);
    return { status: 200, json: ok ? { code: 0, msg: 'success', data: {} } : { code: 19021, msg: 'sign match fail' }, signatureOk: ok };
  }
  if (path.startsWith('/wecom/')) {
    const ok = url.searchParams.get('key') === 'wecom-key';
    return { status: 200, json: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 93000, errmsg: 'invalid webhook url' }, signatureOk: ok };
  }
  if (path === '/pagerduty/v2/enqueue') return { status: 202, json: { status: 'success', message: 'Event processed', dedup_key: 'x' } };
  // Slack's incoming webhooks answer a plain "ok"; Alertmanager reads a JSON answer as the Web API's `{ ok, error }`.
  if (path === '/slack') return { status: 200, text: 'ok' };
  return { status: 200, json: {} };
}

/** Contents of each credential file, by Secret key. */
function credential(podPath: string): string {
  const key = podPath.split('/').slice(-2).join('/');
  const contents: Record<string, string> = {
    'alert-slack/webhook-url': `${fakeUrl}/slack`,
    'alert-pagerduty/routing-key': ROUTING_KEY,
    'alert-webhook/url': `${fakeUrl}/webhook`,
    'alert-dingtalk/webhook-url': `${fakeUrl}/dingtalk/robot/send?access_token=dt-token`,
    'alert-dingtalk/signing-secret': DINGTALK_SECRET,
    'alert-feishu/webhook-url': `${fakeUrl}/feishu/open-apis/bot/v2/hook/fs-hook`,
    'alert-feishu/signing-secret': FEISHU_SECRET,
    'alert-wecom/webhook-url': `${fakeUrl}/wecom/cgi-bin/webhook/send?key=wecom-key`,
  };
  const text = contents[key];
  if (!text) throw new Error(`no test credential for ${podPath}`);
  return `${text}\n`;
}

const stackConfig = (pagerdutyUrl: string) => `
clusters:
  - { name: local, cloud: onprem, region: dc1, storageClass: standard }
alerting:
  receivers:
    - name: default
      slack: { url: { secret: alert-slack, key: webhook-url }, channel: "#alerts" }
    - name: oncall
      pagerduty: { routingKey: { secret: alert-pagerduty, key: routing-key }, url: "${pagerdutyUrl}" }
    - name: hooks
      webhook: { url: { secret: alert-webhook, key: url } }
    - name: ops-cn
      dingtalk: { url: { secret: alert-dingtalk, key: webhook-url }, signingSecret: { secret: alert-dingtalk, key: signing-secret } }
      feishu: { url: { secret: alert-feishu, key: webhook-url }, signingSecret: { secret: alert-feishu, key: signing-secret } }
      wecom: { url: { secret: alert-wecom, key: webhook-url } }
  root: { groupBy: [alertname], groupWait: 1s, groupInterval: 2s, repeatInterval: 1h }
  routes:
    - { matchers: ['severity="page"'], receiver: oncall }
    - { matchers: [team=hooks], receiver: hooks }
    - { matchers: [team=cn], receiver: ops-cn }
`;

beforeAll(async () => {
  const fakePort = await freePort();
  fakeUrl = `http://127.0.0.1:${fakePort}`;
  fakes = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, fakeUrl);
      const body = JSON.parse(text) as Record<string, unknown>;
      const answer = answerFor(url.pathname, url, body);
      received.push({ path: url.pathname, body, ...(answer.signatureOk === undefined ? {} : { signatureOk: answer.signatureOk }) });
      if (answer.text !== undefined) res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
      else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((r) => fakes.listen(fakePort, '127.0.0.1', r));

  const configFile = join(work, 'o11y.yaml');
  writeFileSync(configFile, stackConfig(`${fakeUrl}/pagerduty/v2/enqueue`));
  synthesize({ configFile, outDir: join(work, 'dist') });
  const objs: K8sObject[] = loadManifestDir(join(work, 'dist', 'local'));

  // The relay, as its container runs it, on its mounted files.
  const relayPort = await freePort();
  const relayPod = layOutPodFiles(objs, 'alert-relay', 'relay');
  const relayConfigFile = relayPod.args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
  const relayConfig = JSON.parse(readFileSync(relayPod.hostPath(relayConfigFile), 'utf8')) as unknown;
  for (const path of pathsUnder(relayConfig, relayPod.secretMounts)) {
    mkdirSync(dirname(relayPod.hostPath(path)), { recursive: true });
    writeFileSync(relayPod.hostPath(path), credential(path));
  }
  writeFileSync(relayPod.hostPath(relayConfigFile), JSON.stringify(reroot(relayConfig, relayPod.secretMounts, relayPod.root)));
  relay = await startDaemon({
    binary: process.execPath,
    tmpPrefix: 'o11y-alerting-relay-',
    url: `http://127.0.0.1:${relayPort}`,
    readyPath: '/healthz',
    args: () => [join(ROOT, 'bin', 'o11y.js'), ...withFlags(relayPod.args, { config: relayPod.hostPath(relayConfigFile), listen: `127.0.0.1:${relayPort}` })],
  });

  // Alertmanager on its mounted files; the relay's Service URL points at the loopback relay.
  const am = mountedConfig(objs, 'alertmanager', 'alertmanager', credential);
  const amFile = am.pod.hostPath(am.file);
  writeFileSync(amFile, readFileSync(amFile, 'utf8').replaceAll('http://alert-relay.observability.svc:8080', relay.url));
  const amPort = await freePort();
  startAlertmanager = () =>
    startDaemon({
      binary: toolPath('alertmanager'),
      tmpPrefix: 'o11y-alerting-am-',
      url: `http://127.0.0.1:${amPort}`,
      readyPath: '/-/ready',
      args: () => withFlags(am.pod.args, { 'config.file': amFile, 'storage.path': dataDir, 'web.listen-address': `127.0.0.1:${amPort}` }),
    });
  alertmanager = await startAlertmanager();
}, 240_000);

afterAll(async () => {
  await alertmanager?.stop();
  await relay?.stop();
  await new Promise<void>((r) => (fakes ? fakes.close(() => r()) : r()));
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  untilReady(what, probe, {
    intervalMs: 250,
    context: () => `Alertmanager:\n${alertmanager?.output()}\nrelay:\n${relay?.output()}\nreceived: ${JSON.stringify(received.map((r) => r.path))}`,
  });

const am = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${alertmanager!.url}/api/v2${path}`, { ...init, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
};
const postAlerts = (...labels: Record<string, string>[]) =>
  am('/alerts', { method: 'POST', body: JSON.stringify(labels.map((l) => ({ labels: { cluster: 'local', ...l }, annotations: { summary: `${l.alertname} summary` }, startsAt: new Date().toISOString() }))) });
const arrivals = (alertname: string) => received.filter((r) => JSON.stringify(r.body).includes(alertname));

describe('alert delivery through the real Alertmanager and the relay', () => {
  let silenceId: string;

  beforeAll(async () => {
    const now = Date.now();
    const silence = (await am('/silences', {
      method: 'POST',
      body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'LiveSilenced', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'test', comment: 'silenced in the test' }),
    })) as { silenceID: string };
    silenceId = silence.silenceID;
    await postAlerts(
      { alertname: 'LivePage', severity: 'page' },
      { alertname: 'LiveChat', severity: 'info' },
      { alertname: 'LiveHook', team: 'hooks' },
      { alertname: 'LiveRobot', team: 'cn', severity: 'critical' },
      { alertname: 'LiveSilenced', severity: 'info' },
    );
    await until('every receiver', () => (['/slack', '/pagerduty/v2/enqueue', '/webhook', '/dingtalk/robot/send', '/feishu/open-apis/bot/v2/hook/fs-hook', '/wecom/cgi-bin/webhook/send'].every((p) => received.some((r) => r.path === p)) ? true : undefined));
  }, 120_000);

  it('Slack: the default receiver posts the Slack message format, once, to the URL from its Secret file', () => {
    const [note, ...more] = arrivals('LiveChat');
    expect(more).toEqual([]);
    expect(note?.path).toBe('/slack');
    expect(note!.body.channel).toBe('#alerts');
    expect((note!.body.attachments as { title: string }[])[0]!.title).toContain('LiveChat');
  });

  it('PagerDuty: an Events v2 trigger with the routing key from its Secret file', () => {
    const [note] = arrivals('LivePage');
    expect(note?.path).toBe('/pagerduty/v2/enqueue');
    expect(note!.body).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger' });
    expect((note!.body.payload as { summary: string }).summary).toContain('LivePage');
  });

  it('webhook: the version 4 payload at the URL from its Secret file', () => {
    const [note] = arrivals('LiveHook');
    expect(note?.path).toBe('/webhook');
    expect(note!.body).toMatchObject({ version: '4', receiver: 'hooks', status: 'firing' });
  });

  it('DingTalk, Feishu and WeCom: each robot gets its own format, signed as it checks, through the relay', async () => {
    const byPath = Object.fromEntries(arrivals('LiveRobot').map((r) => [r.path, r]));
    const dingtalk = byPath['/dingtalk/robot/send']!;
    expect(dingtalk.signatureOk).toBe(true);
    expect(dingtalk.body).toMatchObject({ msgtype: 'markdown', markdown: { title: '[FIRING:1] LiveRobot' } });
    const feishu = byPath['/feishu/open-apis/bot/v2/hook/fs-hook']!;
    expect(feishu.signatureOk).toBe(true);
    expect(feishu.body).toMatchObject({ msg_type: 'post', content: { post: { zh_cn: { title: '[FIRING:1] LiveRobot' } } } });
    const wecom = byPath['/wecom/cgi-bin/webhook/send']!;
    expect(wecom.signatureOk).toBe(true);
    expect((wecom.body as { markdown: { content: string } }).markdown.content).toContain('CRITICAL: LiveRobot summary');
    // The relay logs each outcome once the robot has answered.
    for (const kind of ['dingtalk', 'feishu', 'wecom']) await until(`the relay's ${kind} log line`, () => (relay.output().includes(`/ops-cn/${kind} firing 1 alert(s): ok`) ? true : undefined));
  });

  it('a silenced alert is suppressed by the silence and never delivered', async () => {
    const [alert] = (await am('/alerts?filter=alertname%3D%22LiveSilenced%22')) as { status: { state: string; silencedBy: string[] } }[];
    expect(alert!.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceId] });
    // Two more group intervals: a silenced alert would have gone out by now.
    await new Promise((r) => setTimeout(r, 5000));
    expect(arrivals('LiveSilenced')).toEqual([]);
  });

  it('silences and the notification log survive a restart on the same storage path', { timeout: 120_000 }, async () => {
    await alertmanager!.stop();
    alertmanager = undefined;
    alertmanager = await startAlertmanager();
    const silences = (await am('/silences')) as { id: string; status: { state: string } }[];
    expect(silences.find((s) => s.id === silenceId)?.status.state).toBe('active');
    const before = arrivals('LiveChat').length;
    await postAlerts({ alertname: 'LiveSilenced', severity: 'info' }, { alertname: 'LiveChat', severity: 'info' });
    const alert = await until('the re-sent silenced alert', async () => ((await am('/alerts?filter=alertname%3D%22LiveSilenced%22')) as { status: { state: string; silencedBy: string[] } }[])[0]);
    expect(alert.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceId] });
    // LiveChat was notified before the restart: with the notification log kept, it is not sent again before repeat_interval.
    await new Promise((r) => setTimeout(r, 6000));
    expect(arrivals('LiveChat').length).toBe(before);
    expect(arrivals('LiveSilenced')).toEqual([]);
  });
});
