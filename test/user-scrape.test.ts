import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackContext } from '../constructs/common.ts';
import { scraperConfig } from '../constructs/otel-scraper.ts';
import { scrapeConfigs } from '../constructs/prometheus.ts';
import { loadConfigFile, parseConfig } from '../src/config/load.ts';
import { formatProblem, InputError } from '../src/errors.ts';
import { parseYaml } from '../src/input/yaml-source.ts';
import { STACK_SCRAPE_JOBS } from '../src/scrape/jobs.ts';
import { convertMonitors, loadMonitorFiles } from '../src/scrape/monitors.ts';
import { synthesize } from '../src/synth.ts';
import { loadManifestDir } from './support/load-manifests.ts';
import { removePodFiles } from './support/pod-files.ts';
import { promtoolCheckConfig } from './support/real-engine-checks.ts';

// The user's scrape targets: raw extra scrape configs and ServiceMonitors/PodMonitors converted at
// synth as prometheus-operator's config generator does (pkg/prometheus/promcfg.go), checked by the
// real promtool on the prometheus.yml Prometheus mounts.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/user/o11y.yaml');
const work = mkdtempSync(join(tmpdir(), 'o11y-user-scrape-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removePodFiles();
});

function convert(text: string) {
  return convertMonitors(parseYaml(text, 'm.yaml'));
}
const problemsOf = (text: string) => convert(text).problems.map((p) => formatProblem(p).replace(/^m\.yaml:/, ''));

// The examples of the prometheus-operator getting-started guide, with the namespace they are applied in.
const DOCS_SERVICE_MONITOR = `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: example-app
  namespace: default
  labels:
    team: frontend
spec:
  selector:
    matchLabels:
      app: example-app
  endpoints:
  - port: web
`;
const DOCS_POD_MONITOR = `apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: example-app
  namespace: default
  labels:
    team: frontend
spec:
  selector:
    matchLabels:
      app: example-app
  podMetricsEndpoints:
  - port: web
`;

describe('ServiceMonitor and PodMonitor conversion (as prometheus-operator generates the scrape config)', () => {
  it("the operator docs' ServiceMonitor: endpointslice discovery in its namespace, kept on the Service label and port name", () => {
    const { scrapeConfigs: [job, ...rest], problems } = convert(DOCS_SERVICE_MONITOR);
    expect(problems).toEqual([]);
    expect(rest).toEqual([]);
    const target = ['__meta_kubernetes_endpointslice_address_target_kind', '__meta_kubernetes_endpointslice_address_target_name'];
    expect(job).toEqual({
      job_name: 'serviceMonitor/default/example-app/0',
      honor_labels: false,
      kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: ['default'] } }],
      relabel_configs: [
        { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
        { action: 'keep', source_labels: ['__meta_kubernetes_service_label_app', '__meta_kubernetes_service_labelpresent_app'], regex: '(example-app);true' },
        { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: 'web' },
        { source_labels: target, separator: ';', regex: 'Node;(.*)', replacement: '${1}', target_label: 'node' },
        { source_labels: target, separator: ';', regex: 'Pod;(.*)', replacement: '${1}', target_label: 'pod' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
        { target_label: 'endpoint', replacement: 'web' },
      ],
    });
  });

  it("the operator docs' PodMonitor: pod discovery, running pods only, job <namespace>/<name>", () => {
    const { scrapeConfigs: [job], problems } = convert(DOCS_POD_MONITOR);
    expect(problems).toEqual([]);
    expect(job).toEqual({
      job_name: 'podMonitor/default/example-app/0',
      honor_labels: false,
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['default'] } }],
      relabel_configs: [
        { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
        { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
        { action: 'keep', source_labels: ['__meta_kubernetes_pod_label_app', '__meta_kubernetes_pod_labelpresent_app'], regex: '(example-app);true' },
        { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'web' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { target_label: 'job', replacement: 'default/example-app' },
        { target_label: 'endpoint', replacement: 'web' },
      ],
    });
  });

  const relabelsOf = (text: string) => (convert(text).scrapeConfigs[0] as { relabel_configs: object[] }).relabel_configs;
  const withSpec = (spec: string) => DOCS_SERVICE_MONITOR.replace(/spec:[\s\S]*$/, `spec:\n${spec}`);

  it.each([
    ['In', 'keep', '(a|b);true'],
    ['NotIn', 'drop', '(a|b);true'],
  ])('matchExpressions %s: %s on label and presence', (operator, action, regex) => {
    const relabels = relabelsOf(withSpec(`  selector:\n    matchExpressions: [{ key: app.kubernetes.io/name, operator: ${operator}, values: [a, b] }]\n  endpoints: [{ port: web }]\n`));
    expect(relabels[1]).toEqual({ action, source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_name', '__meta_kubernetes_service_labelpresent_app_kubernetes_io_name'], regex });
  });

  it.each([
    ['Exists', 'keep'],
    ['DoesNotExist', 'drop'],
  ])('matchExpressions %s: %s on presence only', (operator, action) => {
    const relabels = relabelsOf(withSpec(`  selector:\n    matchExpressions: [{ key: tier, operator: ${operator} }]\n  endpoints: [{ port: web }]\n`));
    expect(relabels[1]).toEqual({ action, source_labels: ['__meta_kubernetes_service_labelpresent_tier'], regex: 'true' });
  });

  it('namespaceSelector any: every namespace; matchNames: those', () => {
    const sd = (ns: string) => (convert(withSpec(`  selector: {}\n  namespaceSelector: ${ns}\n  endpoints: [{ port: web }]\n`)).scrapeConfigs[0] as { kubernetes_sd_configs: object[] }).kubernetes_sd_configs[0];
    expect(sd('{ any: true }')).toEqual({ role: 'endpointslice' });
    expect(sd('{ matchNames: [a, b] }')).toEqual({ role: 'endpointslice', namespaces: { names: ['a', 'b'] } });
  });

  it('endpoint fields, jobLabel, targetLabels, podTargetLabels, limits and metric relabelings land where the operator puts them', () => {
    const { scrapeConfigs: [job], problems } = convert(
      withSpec(`  jobLabel: app.kubernetes.io/name
  targetLabels: [team]
  podTargetLabels: [version]
  sampleLimit: 5000
  selector: {}
  endpoints:
    - targetPort: 8443
      path: /m
      scheme: https
      interval: 15s
      scrapeTimeout: 10s
      honorLabels: true
      params: { format: [prometheus] }
      tlsConfig: { insecureSkipVerify: true, serverName: app.example }
      bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
      relabelings: [{ sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node, action: Replace }]
      metricRelabelings: [{ sourceLabels: [__name__], regex: 'go_.*', action: Drop }]
`),
    );
    expect(problems).toEqual([]);
    expect(job).toMatchObject({
      honor_labels: true,
      metrics_path: '/m',
      scheme: 'https',
      scrape_interval: '15s',
      scrape_timeout: '10s',
      params: { format: ['prometheus'] },
      tls_config: { insecure_skip_verify: true, server_name: 'app.example' },
      authorization: { credentials_file: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
      sample_limit: 5000,
      metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }],
    });
    const relabels = (job as { relabel_configs: object[] }).relabel_configs;
    expect(relabels).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_number'], regex: '8443' });
    expect(relabels).toContainEqual({ source_labels: ['__meta_kubernetes_service_label_team'], target_label: 'team', regex: '(.+)', replacement: '${1}' });
    expect(relabels).toContainEqual({ source_labels: ['__meta_kubernetes_pod_label_version'], target_label: 'version', regex: '(.+)', replacement: '${1}' });
    // jobLabel comes after the Service-name default, so it wins where the label is set; user relabelings come last.
    const jobIndex = relabels.findIndex((r) => JSON.stringify(r) === JSON.stringify({ source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_name'], target_label: 'job', regex: '(.+)', replacement: '${1}' }));
    expect(jobIndex).toBeGreaterThan(relabels.findIndex((r) => (r as { target_label?: string }).target_label === 'job'));
    expect(relabels.at(-1)).toEqual({ source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node', action: 'replace' });
  });

  it.each([
    ['bearerTokenSecret (a Secret)', '    - { port: web, bearerTokenSecret: { name: s, key: token } }\n', /^13:20 spec\.endpoints\[0\]\.bearerTokenSecret: bearerTokenSecret is unsupported: it reads credentials from a Secret/],
    ['basicAuth (a Secret)', '    - { port: web, basicAuth: { username: { name: s, key: u } } }\n', /^13:20 spec\.endpoints\[0\]\.basicAuth: basicAuth is unsupported/],
    ['a TLS CA from a Secret', '    - { port: web, tlsConfig: { ca: { secret: { name: s, key: ca } } } }\n', /^13:33 spec\.endpoints\[0\]\.tlsConfig\.ca: tlsConfig\.ca is unsupported: it reads a Secret or ConfigMap/],
    ['a token file the scraper does not have', '    - { port: web, bearerTokenFile: /etc/token }\n', /^13:37 spec\.endpoints\[0\]\.bearerTokenFile: "\/etc\/token" is unsupported: the only such file in the scraping pod is \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/],
    ['an endpoint field the conversion does not know', '    - { port: web, oauth3: {} }\n', /^13:20 spec\.endpoints\[0\]\.oauth3: endpoints\[\]\.oauth3 is unsupported by the ServiceMonitor conversion; supported: port, targetPort/],
    ['a hashmod relabeling (the scrape flows are derived from the targets kept)', '    - { port: web, relabelings: [{ action: HashMod, sourceLabels: [__address__], modulus: 2, targetLabel: __tmp }] }\n', /^13:\d+ spec\.endpoints\[0\]\.relabelings\[0\]\.action: hashmod is unsupported in target relabelling/],
  ])('refuses %s, naming the field', (_, endpoint, expected) => {
    const found = problemsOf(DOCS_SERVICE_MONITOR.replace('  - port: web\n', endpoint));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('refuses a spec field it does not convert (scrapeClass), a monitor without namespace, and a duplicate monitor', () => {
    expect(problemsOf(DOCS_SERVICE_MONITOR.replace('spec:\n', 'spec:\n  scrapeClass: tls\n'))).toEqual([expect.stringMatching(/^9:3 spec\.scrapeClass: spec\.scrapeClass is unsupported by the ServiceMonitor conversion/)]);
    expect(problemsOf(DOCS_SERVICE_MONITOR.replace('  namespace: default\n', ''))).toEqual([expect.stringMatching(/^4:3 metadata: metadata\.namespace is missing/)]);
    expect(problemsOf(`${DOCS_SERVICE_MONITOR}---\n${DOCS_SERVICE_MONITOR}`)).toEqual([expect.stringMatching(/^18:9 metadata\.name: duplicate ServiceMonitor default\/example-app \(also at m\.yaml:1\)/)]);
  });

  it('skips the other objects of a rendered chart, and refuses a listed file without any monitor', () => {
    const file = join(work, 'deployment.yaml');
    writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x, namespace: y }\n');
    expect(() => loadMonitorFiles([file])).toThrow(/deployment\.yaml:1:1 no ServiceMonitor or PodMonitor \(monitoring\.coreos\.com\/v1\) in this file/);
    const fixture = loadMonitorFiles([join(ROOT, 'test/fixtures/user/monitors/payments.yaml')]);
    expect(fixture.map((j) => (j as { job_name: string }).job_name)).toEqual(['serviceMonitor/payments/payments-api/0', 'serviceMonitor/payments/payments-api/1', 'podMonitor/payments/payments-worker/0']);
  });
});

describe('scrape.extraConfigs: bad input is refused by the config loader, located', () => {
  const base = 'clusters:\n  - { name: local, cloud: onprem, region: dc1, storageClass: standard }\nscrape:\n  extraConfigs:\n';
  function problems(extra: string): string[] {
    try {
      parseConfig(base + extra, 'bad.yaml');
    } catch (e) {
      if (e instanceof InputError) return e.message.split('\n');
      throw e;
    }
    return [];
  }
  it.each([
    ['an entry that is not a mapping', '    - legacy-vms\n', 'bad.yaml:5:7 scrape.extraConfigs[0]: expected object, got "legacy-vms"'],
    ['an entry without job_name', '    - { static_configs: [] }\n', 'bad.yaml:5:7 scrape.extraConfigs[0]: missing required key "job_name"'],
    ['a duplicate job name', '    - { job_name: vms }\n    - { job_name: vms }\n', 'bad.yaml:6:19 scrape.extraConfigs[1].job_name: duplicate job_name "vms" (first used by scrape.extraConfigs[0]); job names must be unique'],
    ['the name of a generated job', '    - { job_name: kubelet }\n', /^bad\.yaml:5:19 scrape\.extraConfigs\[0\]\.job_name: job_name "kubelet" is a job the stack generates; generated jobs: o11y-stack, kube-state-metrics, kubelet/],
    ['a converted-monitor job name', '    - { job_name: serviceMonitor/a/b/0 }\n', /^bad\.yaml:5:19 scrape\.extraConfigs\[0\]\.job_name: job_name "serviceMonitor\/a\/b\/0" starts with serviceMonitor\/ or podMonitor\//],
    // The scrape flows are derived from the targets a job selects (src/scrape/targets.ts): what that cannot emulate is refused.
    ['hashmod target relabelling', '    - { job_name: a, relabel_configs: [{ action: hashmod, source_labels: [__address__], modulus: 2, target_label: __tmp }] }\n', /^bad\.yaml:5:50 scrape\.extraConfigs\[0\]\.relabel_configs\[0\]\.action: hashmod is unsupported in target relabelling/],
    ['a regex with RE2-only syntax', "    - { job_name: a, relabel_configs: [{ action: keep, source_labels: [x], regex: '\\pL+' }] }\n", /^bad\.yaml:5:83 scrape\.extraConfigs\[0\]\.relabel_configs\[0\]\.regex: regex "\\pL\+" uses RE2 syntax the emulation does not translate/],
    ['discovery selectors', '    - { job_name: a, kubernetes_sd_configs: [{ role: pod, selectors: [{ role: pod, label: app=x }] }] }\n', /^bad\.yaml:5:\d+ scrape\.extraConfigs\[0\]\.kubernetes_sd_configs\[0\]\.selectors: selectors are unsupported/],
  ])('%s', (_, extra, expected) => {
    const found = problems(extra);
    expect(found).toHaveLength(1);
    if (typeof expected === 'string') expect(found[0]).toBe(expected);
    else expect(found[0]).toMatch(expected);
  });

  it('o11y synth exits 2, prints the located problem and writes nothing', () => {
    const file = join(work, 'bad.yaml');
    const out = join(work, 'bad-dist');
    writeFileSync(file, `${base}    - legacy-vms\n`);
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('../bin/o11y.js', import.meta.url)), 'synth', '--config', file, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${file}:5:7 scrape.extraConfigs[0]: expected object, got "legacy-vms"`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('generated job names', () => {
  it('are exactly the names the loader reserves (Prometheus and the collector scraper, default and multi-cloud)', () => {
    const names = new Set<string>();
    for (const file of ['o11y.yaml', 'examples/multi-cloud.yaml']) {
      const config = loadConfigFile(join(ROOT, file));
      for (const cluster of config.clusters) {
        for (const job of scrapeConfigs(stackContext(config, cluster), { namespace: config.namespace, agentNamespace: config.agentNamespace })) names.add((job as { job_name: string }).job_name);
      }
    }
    expect([...names].sort()).toEqual(Object.values(STACK_SCRAPE_JOBS).sort());
  });
});

describe('the synthesized stack with user scrape targets', () => {
  const out = join(work, 'dist');
  let objs: ReturnType<typeof loadManifestDir>;
  beforeAll(() => {
    synthesize({ configFile: FIXTURE, outDir: out });
    objs = loadManifestDir(join(out, 'local'));
  });

  it('appends converted monitors, then the extra configs, after the generated jobs', () => {
    const config = parse((objs.find((o) => o.metadata.name === 'prometheus-config')!.data as Record<string, string>)['prometheus.yml']) as { scrape_configs: { job_name: string }[] };
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      ...Object.values(STACK_SCRAPE_JOBS),
      'serviceMonitor/payments/payments-api/0',
      'serviceMonitor/payments/payments-api/1',
      'podMonitor/payments/payments-worker/0',
      'legacy-vms',
      'blackbox-http',
    ]);
  });

  it('promtool check config accepts the mounted prometheus.yml with the converted and extra jobs', () => {
    const run = promtoolCheckConfig(objs);
    expect(run.output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
    expect(run.status, run.output).toBe(0);
  });

  it('with strict egress, Prometheus may reach the scrape.egress block on its ports', () => {
    const policy = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'prometheus')!;
    const egress = (policy.spec as { egress: { to: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[] }).egress;
    const rule = egress.find((r) => r.to.some((p) => p.ipBlock?.cidr === '10.20.0.0/24'));
    expect(rule?.ports).toEqual([{ port: 9100, protocol: 'TCP' }]);
  });

  it('the collector scraper of a cluster without Prometheus runs the same user jobs, `$` escaped for the collector', () => {
    const config = loadConfigFile(FIXTURE);
    const ctx = stackContext(config);
    const jobs = [{ job_name: 'x', relabel_configs: [{ target_label: 'a', replacement: '$1' }] }];
    const scraper = scraperConfig(ctx, { namespace: 'observability', agentNamespace: 'observability-agent', gateway: { service: 'otel-gateway', port: 4317 }, userJobs: jobs }) as {
      receivers: { prometheus: { config: { scrape_configs: { job_name: string; relabel_configs: object[] }[] } } };
    };
    const last = scraper.receivers.prometheus.config.scrape_configs.at(-1)!;
    expect(last).toEqual({ job_name: 'x', relabel_configs: [{ target_label: 'a', replacement: '$$1' }] });
  });
});

describe('examples/make-it-yours.yaml (rules, dashboards and scrape targets)', () => {
  const out = join(work, 'example');
  beforeAll(() => synthesize({ configFile: join(ROOT, 'examples/make-it-yours.yaml'), outDir: out }));

  it("the backend's Prometheus runs the converted monitor and the extra job, and promtool accepts it with the user rules", () => {
    const objs = loadManifestDir(join(out, 'hub'));
    const run = promtoolCheckConfig(objs);
    expect(run.output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
    expect(run.output).toContain('user.rules.yaml');
    expect(run.status, run.output).toBe(0);
    const config = parse((objs.find((o) => o.metadata.name === 'prometheus-config')!.data as Record<string, string>)['prometheus.yml']) as { scrape_configs: { job_name: string }[] };
    expect(config.scrape_configs.map((j) => j.job_name).slice(-2)).toEqual(['serviceMonitor/cache/redis/0', 'legacy-vms']);
  });

  it("the workload cluster's collector scraper runs the same user jobs", () => {
    const objs = loadManifestDir(join(out, 'edge'));
    const scraper = parse((objs.find((o) => o.metadata.name === 'otel-scraper-config')!.data as Record<string, string>)['config.yaml']) as {
      receivers: { prometheus: { config: { scrape_configs: { job_name: string }[] } } };
    };
    expect(scraper.receivers.prometheus.config.scrape_configs.map((j) => j.job_name).slice(-2)).toEqual(['serviceMonitor/cache/redis/0', 'legacy-vms']);
  });
});
