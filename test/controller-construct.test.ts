import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { stackContext, type StackContext } from '../constructs/common.ts';
import { O11yController } from '../constructs/controller.ts';
import { IMAGES } from '../src/model/images.ts';
import { podTemplate } from '../constructs/workload.ts';
import * as k8s from '../imports/k8s.ts';
import { parseConfig } from '../src/config/load.ts';
import type { PodTemplate } from '../src/controller/k8s-types.ts';
import { archSpread } from '../src/controller/scheduling.ts';

type Manifest = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; [k: string]: any };

function synth(props: { hook?: boolean } = {}): Manifest[] {
  const config = parseConfig('clusters: [{ name: c1, cloud: aws, region: eu-west-1 }]\n', 'test.yaml');
  const ctx: StackContext = stackContext(config);
  const chart = new Chart(Testing.app(), 'controller');
  new O11yController(chart, 'o11y-controller', ctx, { namespace: 'observability', ...props });
  return Testing.synth(chart) as Manifest[];
}

const byKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);

describe('O11yController construct', () => {
  it('grants only get/list/watch, on exactly what the check reads', () => {
    const [role] = byKind(synth({ hook: true }), 'ClusterRole');
    const verbs = new Set(role!.rules.flatMap((r: { verbs: string[] }) => r.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
    expect(role!.rules.flatMap((r: { resources: string[] }) => r.resources).sort()).toEqual(['daemonsets', 'deployments', 'nodes', 'pods', 'statefulsets']);
  });

  it('runs `o11y watch` from the catalog image under Pod Security Standards restricted, with probes and limits', () => {
    const [deployment] = byKind(synth(), 'Deployment');
    const pod = deployment!.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe(IMAGES.o11yController);
    expect(c.args).toEqual(['watch', '--listen=:9464', '--part-of=o11y', '--prometheus-url=http://prometheus.observability.svc:9090', '--require-arch=amd64,arm64']);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(byKind(synth(), 'Service')[0]!.spec.ports).toEqual([{ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  it('adds the Argo CD PostSync hook Job only when asked', () => {
    expect(byKind(synth(), 'Job')).toEqual([]);
    const [job] = byKind(synth({ hook: true }), 'Job');
    expect(job!.metadata.annotations).toEqual({ 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded' });
    const pod = job!.spec.template.spec;
    expect(pod.serviceAccountName).toBe('o11y-controller');
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].args.slice(0, 3)).toEqual(['check', '--wait', '--timeout=10m']);
    expect(job!.spec.template.metadata.labels['app.kubernetes.io/name']).not.toBe('o11y-controller');
  });
});

describe('the controller recognises the spread the constructs synthesize', () => {
  /** The pod template of a spread workload (`spreadAcrossArchitectures: true`) under the config's setting, as synthesized. */
  function spreadTemplate(setting: string, architectures = '[amd64, arm64]'): PodTemplate {
    const config = parseConfig(`architectures: ${architectures}\nspreadAcrossArchitectures: ${setting}\nclusters: [{ name: c1, cloud: aws, region: eu-west-1 }]\n`, 'test.yaml');
    const ctx = stackContext(config);
    const chart = new Chart(Testing.app(), 'spread');
    const id = { app: 'otel-gateway', component: 'gateway', namespace: 'observability' };
    new k8s.KubeDeployment(chart, 'deployment', { metadata: { name: id.app }, spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': id.app } },
      template: podTemplate(ctx, id, { containers: [{ name: 'app', image: 'example/app:1.0' }], serviceAccountName: id.app, usesKubernetesApi: false, uid: 1000, spreadAcrossArchitectures: true }) } });
    return (Testing.synth(chart)[0] as Manifest).spec.template;
  }

  it.each([
    ['required', '[amd64, arm64]', { required: true, maxSkew: 1 }],
    ['preferred', '[amd64, arm64]', { required: false, maxSkew: 1 }],
    ['none', '[amd64, arm64]', undefined],
    ['required', '[amd64]', undefined],
  ] as const)('spreadAcrossArchitectures: %s on %s → %o', (setting, architectures, expected) => {
    expect(archSpread(spreadTemplate(setting, architectures))).toEqual(expected);
  });
});
