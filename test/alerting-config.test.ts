import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_SECRETS_DIR } from '../src/alerting/alertmanager-config.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { RELAYED_RECEIVER_TYPES, ALERTMANAGER_RECEIVER_TYPES } from '../src/model/types.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { podTemplates, stackExpectations, STACK_CHECKS, type K8sObject } from './support/manifest-checks.ts';
import { layOutPodFiles, pathsUnder, removePodFiles } from './support/pod-files.ts';
import { alertmanagerWithReceivers, amtoolCheckConfig, amtoolRoute, unknownFlags } from './support/real-engine-checks.ts';

// examples/alerting.yaml (every receiver type, a routing tree with time intervals, a template,
// two Alertmanager replicas, strict egress) synthesized and checked by the real amtool.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'alerting.yaml');
const work = mkdtempSync(join(tmpdir(), 'o11y-alerting-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});
const config = loadConfigFile(EXAMPLE);
synthesize({ configFile: EXAMPLE, outDir: work });
const objs: K8sObject[] = loadManifestDir(join(work, config.clusters[0]!.name));
const am = alertmanagerWithReceivers(objs, (r) => `https://hooks.example.com/${r}`);
const amConfig = am.config as { receivers: Record<string, unknown>[] };
const workload = (name: string) => podTemplates(objs).find((p) => p.owner.metadata.name === name)!;

describe('examples/alerting.yaml', () => {
  it('uses every receiver type', () => {
    const used = new Set(config.alerting!.receivers.flatMap((r) => Object.keys(r).filter((k) => k !== 'name')));
    expect([...used].sort()).toEqual([...ALERTMANAGER_RECEIVER_TYPES, ...RELAYED_RECEIVER_TYPES].sort());
  });

  it('amtool check-config accepts alertmanager.yml as mounted, with its template and every credential file', () => {
    const run = amtoolCheckConfig(objs);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).toMatch(/- 1 templates/);
    expect(run.output).toMatch(/- 6 receivers/);
  });

  it('every flag of the Alertmanager container is one the binary knows, the mesh included', () => {
    expect(unknownFlags(objs, 'alertmanager', 'alertmanager', 'alertmanager')).toEqual([]);
  });

  it('routes as the example says (amtool config routes test)', () => {
    const base = { alertname: 'Example', cluster: 'ack-hangzhou', namespace: 'shop' };
    expect(amtoolRoute(am, { ...base, severity: 'critical' })).toEqual(['oncall', 'incident-tooling']);
    expect(amtoolRoute(am, { ...base, severity: 'warning' })).toEqual(['platform-team']);
    expect(amtoolRoute(am, { ...base, severity: 'info' })).toEqual(['default']);
    expect(amtoolRoute(am, { ...base, namespace: 'payments', severity: 'warning' })).toEqual(['ops-cn']);
    expect(amtoolRoute(am, { ...base, namespace: 'checkout', severity: 'info' })).toEqual(['ops-wechat']);
  });

  it('has no inline credential: every credential is a *_file under a mounted Secret of the user', () => {
    const inline = ['api_url', 'routing_key', 'service_key', 'auth_password', 'webhook_url', 'api_secret', 'bot_token', 'api_key'];
    const found = JSON.stringify(amConfig.receivers).match(new RegExp(`"(${inline.join('|')})":`, 'g'));
    expect(found).toBeNull();
    const files = pathsUnder(am.config, am.pod.secretMounts);
    expect(files.length).toBe(8);
    for (const f of files) expect(f.startsWith(`${ALERTMANAGER_SECRETS_DIR}/`), f).toBe(true);
    const volumes = workload('alertmanager').spec.volumes ?? [];
    const mounted = volumes.filter((v) => v.secret).map((v) => v.secret!.secretName).sort();
    expect(mounted).toEqual(['alert-opsgenie', 'alert-pagerduty', 'alert-slack', 'alert-smtp', 'alert-teams', 'alert-telegram', 'alert-webhook', 'alert-wechat']);
    // The built-in receivers are all replaced or unused: their Secret is not needed.
    expect(mounted).not.toContain('alertmanager-receivers');
  });

  it('the robots go through the relay, which reads their URLs and signing secrets from its own Secret mounts', () => {
    const opsCn = amConfig.receivers.find((r) => r.name === 'ops-cn') as { webhook_configs: { url: string }[] };
    expect(opsCn.webhook_configs.map((w) => w.url)).toEqual(['dingtalk', 'feishu', 'wecom'].map((k) => `http://alert-relay.observability.svc:8080/ops-cn/${k}`));
    const pod = layOutPodFiles(objs, 'alert-relay', 'relay');
    const configFile = pod.args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
    const relayConfig = JSON.parse(readFileSync(pod.hostPath(configFile), 'utf8')) as unknown;
    expect(relayConfig).toEqual({
      targets: [
        { path: '/ops-cn/dingtalk', kind: 'dingtalk', urlFile: '/etc/alert-relay/secrets/alert-dingtalk/webhook-url', signingSecretFile: '/etc/alert-relay/secrets/alert-dingtalk/signing-secret' },
        { path: '/ops-cn/feishu', kind: 'feishu', urlFile: '/etc/alert-relay/secrets/alert-feishu/webhook-url', signingSecretFile: '/etc/alert-relay/secrets/alert-feishu/signing-secret' },
        { path: '/ops-cn/wecom', kind: 'wecom', urlFile: '/etc/alert-relay/secrets/alert-wecom/webhook-url' },
      ],
    });
    expect(pathsUnder(relayConfig, pod.secretMounts)).toHaveLength(5);
  });

  it('Alertmanager keeps its state on a PVC, runs as a mesh whose headless Service publishes not-ready peers', () => {
    const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager') as K8sObject & { spec: { volumeClaimTemplates: { metadata: { name: string }; spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[] } };
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage).toBe('2Gi');
    // Alibaba's profile StorageClass, as for Prometheus.
    const prometheus = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus') as typeof sts;
    expect(sts.spec.volumeClaimTemplates[0]!.spec.storageClassName).toBe(prometheus.spec.volumeClaimTemplates[0]!.spec.storageClassName);
    const container = workload('alertmanager').spec.containers[0]!;
    expect(container.args).toEqual(expect.arrayContaining(['--storage.path=/alertmanager', '--cluster.listen-address=0.0.0.0:9094', '--cluster.peer=alertmanager-0.alertmanager-headless.observability.svc:9094', '--cluster.peer=alertmanager-1.alertmanager-headless.observability.svc:9094']));
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: 'data', mountPath: '/alertmanager' }));
    const headless = objs.find((o) => o.kind === 'Service' && o.metadata.name === 'alertmanager-headless') as K8sObject & { spec: { clusterIP: string; publishNotReadyAddresses: boolean } };
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });

  it('NetworkPolicies: Alertmanager to the relay, the relay to the robots on 443, the mesh on TCP and UDP, SMTP on 587', () => {
    const spec = (name: string) => (objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name) as K8sObject & { spec: { ingress: unknown[]; egress: unknown[] } }).spec;
    expect(spec('alert-relay').ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'o11y', 'app.kubernetes.io/name': 'alertmanager' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    expect(spec('alert-relay').egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    const amEgress = JSON.stringify(spec('alertmanager').egress);
    expect(amEgress).toContain('{"port":8080,"protocol":"TCP"}');
    expect(amEgress).toContain('{"port":587,"protocol":"TCP"}');
    expect(amEgress).toContain('{"port":9094,"protocol":"UDP"}');
    expect(JSON.stringify(spec('alertmanager').ingress)).toContain('{"port":9094,"protocol":"UDP"}');
  });

  it.each(Object.keys(STACK_CHECKS))('passes the %s checks (the relay too: restricted, read-only, requests and limits)', (check) => {
    expect(objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'alert-relay')).toBe(true);
    expect(STACK_CHECKS[check]!(objs, stackExpectations(config))).toEqual([]);
  });
});
