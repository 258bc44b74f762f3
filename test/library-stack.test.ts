import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, JsonPatch, YamlOutputType } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { O11yStack, type O11yStackProps } from '../charts/stack.ts';
import { InputError } from '../src/errors.ts';
import type { Manifest } from '../src/gitops/manifest.ts';

// O11yStack in a cdk8s app of one's own, in process: the escape hatches (each construct's main
// objects) take cdk8s patches, policies follow flows declared after the stack was built, and bad
// props are refused like a bad o11y.yaml, by key path.

const PROPS: O11yStackProps = {
  name: 'o11y',
  cluster: { name: 'edge', cloud: 'onprem', region: 'dc2', storageClass: 'local-path' },
  components: { grafana: { adminSecret: 'grafana-admin' } },
};

function build(): { app: App; stack: O11yStack; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'o11y-library-stack-'));
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  return { app, stack: new O11yStack(app, 'edge', PROPS), outdir };
}

const objectsOf = (outdir: string, file: string) => parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => d.toJS() as Manifest & { spec?: any });

describe('O11yStack escape hatches', () => {
  it('exposes each component\'s workload and config map, and a JSON patch on them lands in the output', () => {
    const { app, stack, outdir } = build();
    const prometheus = stack.prometheus!.prometheus!;
    expect(prometheus.workload.kind).toBe('StatefulSet');
    expect(prometheus.configMap.metadata.name).toBe('prometheus-config');
    expect(stack.collectors.gateway.workload.kind).toBe('Deployment');
    expect(stack.collectors.nodeExporter.workload.kind).toBe('DaemonSet');
    expect(stack.grafana!.grafana.workload.kind).toBe('Deployment');
    prometheus.workload.addJsonPatch(JsonPatch.add('/spec/template/spec/terminationGracePeriodSeconds', 600));
    app.synth();
    const sts = objectsOf(outdir, '20-prometheus.k8s.yaml').find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!;
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(600);
  });

  it('generates the NetworkPolicies when the app synthesizes, from flows declared after the stack was built', () => {
    const { app, stack, outdir } = build();
    const policyOf = () => objectsOf(outdir, '20-prometheus.k8s.yaml').find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'prometheus')!;
    stack.flows.add({ from: { namespacePods: 'team-a' }, to: { app: 'prometheus', namespace: stack.config.namespace }, ports: [9090], why: 'team A queries Prometheus' });
    app.synth();
    expect(JSON.stringify(policyOf().spec.ingress)).toContain('"kubernetes.io/metadata.name":"team-a"');
    // Generated once: a second synth neither fails nor duplicates.
    app.synth();
    expect(objectsOf(outdir, '20-prometheus.k8s.yaml').filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'prometheus')).toHaveLength(1);
  });

  it('refuses bad props like a bad o11y.yaml, naming the key path', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'o11y-library-bad-')) });
    const bad = { ...PROPS, cluster: { ...PROPS.cluster, cloud: 'moon' } } as unknown as O11yStackProps;
    expect(() => new O11yStack(app, 'edge', bad)).toThrow(InputError);
    expect(() => new O11yStack(new App(), 'edge', bad)).toThrow(/O11yStack edge cluster\.cloud: "moon" is not one of aws, alibaba, azure, gcp, onprem/);
  });
});
