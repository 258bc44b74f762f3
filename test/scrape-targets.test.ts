import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { expand, NotEmulated, re2, relabel, type Labels, type RelabelConfig } from '../src/scrape/relabel.ts';
import type { Daemon } from './support/daemon.ts';
import { startPrometheusWith } from './support/real-prometheus.ts';
import { clusterFromManifests, endpointTargets, podRoleTargets, scrapeTargets, type DiscoveredPod, type Manifest } from '../src/scrape/targets.ts';

// Table tests for the emulation of Prometheus' target selection. Sources: the Prometheus docs'
// <relabel_config> and <kubernetes_sd_config> sections, the relabelling of
// documentation/examples/prometheus-kubernetes.yml, and Go's regexp.Expand documentation (the
// replacement syntax Prometheus uses).

describe('re2: anchored regexes, as Prometheus compiles them (^(?s:regex)$)', () => {
  it.each([
    ['foo', 'foo', true],
    ['foo', 'foobar', false], // anchored at both ends
    ['foo', 'barfoo', false],
    ['Pending|Succeeded|Failed', 'Failed', true], // the alternation is anchored as a whole
    ['Pending|Succeeded|Failed', 'Running', false],
    ['Pending|Succeeded|Failed', 'NotFailed', false],
    ['(http-)?metrics', 'http-metrics', true],
    ['(http-)?metrics', 'metrics', true],
    ['(http-)?metrics', 'telemetry', false],
    ['.*', 'a\nb', true], // (?s): `.` matches a newline
    ['(?i)true', 'TRUE', true],
    ['(?P<port>\\d+)', '9090', true],
    ['', '', true],
    ['', 'x', false],
  ])('%j on %j: %s', (regex, value, matches) => {
    expect(re2(regex).test(value)).toBe(matches);
  });

  it.each(['(?U)a+', '\\pL+', '[[:alpha:]]+', '\\Qa.b\\E'])('refuses %j, where RE2 and JavaScript differ', (regex) => {
    expect(() => re2(regex)).toThrow(NotEmulated);
  });
});

describe('expand: Go regexp.Expand', () => {
  const m = /^(?<host>[^:]+):(\d+)$/.exec('10.0.0.1:8080')!;
  it.each([
    ['$1', '10.0.0.1'],
    ['${1}', '10.0.0.1'],
    ['$2:$1', '8080:10.0.0.1'],
    ['[$2]:$1', '[8080]:10.0.0.1'],
    ['$host', '10.0.0.1'],
    ['${host}x', '10.0.0.1x'],
    ['$1x', ''], // "$1x is equivalent to ${1x}, not ${1}x"
    ['$3', ''], // an out-of-range index is empty
    ['$nope', ''], // so is an unknown name
    ['$$1', '$1'], // $$ is a literal $
    ['a$', 'a$'], // a malformed reference keeps the $
    ['${1', '${1'],
  ])('%j → %j', (template, out) => {
    expect(expand(template, m)).toBe(out);
  });
});

const BASE: Labels = { __address__: '10.1.2.3:8080', __meta_a: 'x', __meta_b: 'y', job: 'j' };
/** Relabel rules on BASE and the labels they leave (undefined: the target is dropped). */
const RELABEL_CASES: [string, RelabelConfig[], Labels | undefined][] = [
  ['keep: source labels joined by the default separator ";"', [{ action: 'keep', source_labels: ['__meta_a', '__meta_b'], regex: 'x;y' }], BASE],
  ['keep: a non-matching value drops the target', [{ action: 'keep', source_labels: ['__meta_a'], regex: 'y' }], undefined],
  ['keep: a missing label is the empty string', [{ action: 'keep', source_labels: ['__meta_missing'], regex: '' }], BASE],
  ['drop: a matching value drops the target', [{ action: 'drop', source_labels: ['__meta_a'], regex: 'x' }], undefined],
  ['drop: partial matches do not count', [{ action: 'drop', source_labels: ['__meta_a'], regex: '' }], BASE],
  ['keep: a custom separator', [{ action: 'keep', source_labels: ['__meta_a', '__meta_b'], separator: '/', regex: 'x/y' }], BASE],
  ['keep: an anchored alternation', [{ action: 'keep', source_labels: ['__meta_a'], regex: 'x|yx' }, { action: 'drop', source_labels: ['__meta_a'], regex: 'xx|y' }], BASE],
  ['replace: defaults (regex (.*), replacement $1)', [{ source_labels: ['__meta_a'], target_label: 'a' }], { ...BASE, a: 'x' }],
  ['replace: no match leaves the labels alone', [{ source_labels: ['__meta_a'], regex: 'z', target_label: 'a' }], BASE],
  ['replace: an empty result deletes the target label', [{ source_labels: ['__meta_missing'], target_label: 'job' }], { __address__: '10.1.2.3:8080', __meta_a: 'x', __meta_b: 'y' }],
  ['replace: target_label expands too', [{ source_labels: ['__meta_a'], regex: '(.*)', target_label: 'l_$1', replacement: 'v' }], { ...BASE, l_x: 'v' }],
  ['replace: $1x names group "1x", which is empty', [{ source_labels: ['__meta_a'], regex: '(.*)', target_label: 'a', replacement: '$1x-${1}x' }], { ...BASE, a: '-xx' }],
  ['replace: a fixed replacement with no source labels', [{ target_label: 'cluster', replacement: 'eu' }], { ...BASE, cluster: 'eu' }],
  ['replace: the port rewrite of the annotation jobs', [{ source_labels: ['__address__', '__meta_a'], target_label: '__address__', regex: '([^:]+)(?::\\d+)?;(.*)', replacement: '$1:9102' }], { ...BASE, __address__: '10.1.2.3:9102' }],
  ['keepequal', [{ action: 'keepequal', source_labels: ['__meta_a'], target_label: '__meta_b' }], undefined],
  ['dropequal', [{ action: 'dropequal', source_labels: ['__meta_a'], target_label: '__meta_b' }], BASE],
  ['lowercase, uppercase', [{ action: 'lowercase', source_labels: ['job'], target_label: 'lower' }, { action: 'uppercase', source_labels: ['job'], target_label: 'upper' }], { ...BASE, lower: 'j', upper: 'J' }],
  ['labelmap', [{ action: 'labelmap', regex: '__meta_(.+)' }], { ...BASE, a: 'x', b: 'y' }],
  ['labeldrop', [{ action: 'labeldrop', regex: '__meta_.*' }], { __address__: '10.1.2.3:8080', job: 'j' }],
  ['labelkeep', [{ action: 'labelkeep', regex: '__address__|__scheme__|__metrics_path__|__scrape_.+|job' }], { __address__: '10.1.2.3:8080', job: 'j' }],
  ['rules apply in order: a later keep sees an earlier replace', [{ source_labels: ['__meta_a'], target_label: '__meta_c' }, { action: 'keep', source_labels: ['__meta_c'], regex: 'x' }], { ...BASE, __meta_c: 'x' }],
];

// documentation/examples/prometheus-kubernetes.yml, job kubernetes-pods: the port annotation, IPv4 and IPv6.
const ADDRESS_RULES: RelabelConfig[] = [
  { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})', replacement: '[$2]:$1', target_label: '__address__' },
  { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);((([0-9]+?)(\\.|$)){4})', replacement: '$2:$1', target_label: '__address__' },
];
/** Pod IP, discovered address, port annotation, address scraped. */
const ADDRESS_CASES: [string, string, string | undefined, string][] = [
  ['10.1.2.3', '10.1.2.3:8080', '9102', '10.1.2.3:9102'],
  ['fd00::1:2', '[fd00::1:2]:8080', '9102', '[fd00::1:2]:9102'],
  ['10.1.2.3', '10.1.2.3:8080', undefined, '10.1.2.3:8080'], // no annotation: the discovered address stays
];
const addressLabels = (ip: string, discovered: string, port?: string): Labels => ({ __address__: discovered, __meta_kubernetes_pod_ip: ip, ...(port ? { __meta_kubernetes_pod_annotation_prometheus_io_port: port } : {}) });

describe('relabel: <relabel_config> actions', () => {
  it.each(RELABEL_CASES)('%s', (_, rules, out) => {
    expect(relabel(BASE, rules)).toEqual(out);
  });

  it('refuses hashmod: it shards by addresses only the cluster knows', () => {
    expect(() => relabel(BASE, [{ action: 'hashmod', source_labels: ['__address__'], modulus: 2, target_label: '__tmp' }])).toThrow(NotEmulated);
  });

  it.each(ADDRESS_CASES)('the example address rewrite: pod IP %s (%s), annotation %j → %s', (ip, discovered, port, address) => {
    expect(relabel(addressLabels(ip, discovered, port), ADDRESS_RULES)?.__address__).toBe(address);
  });
});

// The same tables through the real Prometheus: one static target per case (its labels as
// discovered labels), read back from /api/v1/targets as kept (with its final labels) or dropped.
describe('the real Prometheus relabels the tables the same way', () => {
  const cases: { rules: RelabelConfig[]; labels: Labels }[] = [
    ...RELABEL_CASES.map(([, rules]) => ({ rules, labels: BASE })),
    ...ADDRESS_CASES.map(([ip, discovered, port]) => ({ rules: ADDRESS_RULES, labels: addressLabels(ip, discovered, port) })),
  ];
  const jobOf = (i: number) => `case-${i}`;
  /** What Prometheus puts on a static target before relabelling (the job label comes from the target's labels when set). */
  const before = (i: number, labels: Labels): Labels => ({ job: jobOf(i), __scheme__: 'http', __metrics_path__: '/metrics', __scrape_interval__: '1h', __scrape_timeout__: '1s', ...labels });
  /** The labels a kept target shows: no `__` labels; `instance` defaults to the address. */
  const visible = (l: Labels) => ({ instance: l.__address__!, ...Object.fromEntries(Object.entries(l).filter(([k]) => !k.startsWith('__'))) });
  const config = (list: typeof cases) =>
    stringify({
      global: { scrape_interval: '1h', scrape_timeout: '1s' },
      scrape_configs: list.map(({ rules, labels }, i) => {
        const { __address__, ...rest } = labels;
        return { job_name: jobOf(i), static_configs: [{ targets: [__address__], labels: rest }], relabel_configs: rules };
      }),
    });
  let prometheus: Daemon | undefined;
  afterAll(async () => prometheus?.stop());

  it('keeps and drops the same targets, with the same labels', async () => {
    prometheus = await startPrometheusWith({ tmpPrefix: 'o11y-relabel-', prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), config(cases)) });
    type Api = { activeTargets: { scrapePool: string; labels: Labels }[]; droppedTargets: { scrapePool: string }[] };
    let api: Api = { activeTargets: [], droppedTargets: [] };
    for (let attempt = 0; attempt < 100 && api.activeTargets.length + api.droppedTargets.length < cases.length; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 100));
      api = ((await (await fetch(`${prometheus.url}/api/v1/targets?state=any`)).json()) as { data: Api }).data;
    }
    const real = cases.map((_, i) => {
      const active = api.activeTargets.find((t) => t.scrapePool === jobOf(i));
      return active ? active.labels : api.droppedTargets.some((t) => t.scrapePool === jobOf(i)) ? 'dropped' : 'missing';
    });
    const emulated = cases.map(({ rules, labels }, i) => {
      const out = relabel(before(i, labels), rules);
      return out ? visible(out) : 'dropped';
    });
    expect(real).toEqual(emulated);
  });

  it('negative case: a relabel config Prometheus refuses fails the start', async () => {
    await expect(startPrometheusWith({ tmpPrefix: 'o11y-relabel-bad-', prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), config([{ rules: [{ action: 'keep', source_labels: ['a'], regex: '(' }], labels: BASE }])) })).rejects.toThrow();
  });
});

describe('kubernetes_sd discovery labels', () => {
  const pod: DiscoveredPod = {
    namespace: 'shop',
    name: 'web-0',
    ip: '10.244.0.7',
    labels: { 'app.kubernetes.io/name': 'web' },
    annotations: { 'prometheus.io/scrape': 'true' },
    nodeName: 'node-1',
    hostNetwork: false,
    controller: { kind: 'StatefulSet', name: 'web' },
    containers: [
      { name: 'app', image: 'web:1', init: false, ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] },
      { name: 'sidecar', image: 'sc:1', init: false, ports: [] },
    ],
  };

  it('role pod: a target per declared port, and a port-free one per container without ports', () => {
    const targets = podRoleTargets([pod]);
    expect(targets.map((t) => t.__address__)).toEqual(['10.244.0.7:8080', '10.244.0.7:9090', '10.244.0.7']);
    expect(targets[1]).toMatchObject({
      __meta_kubernetes_namespace: 'shop',
      __meta_kubernetes_pod_name: 'web-0',
      __meta_kubernetes_pod_ip: '10.244.0.7',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'web', // label names sanitized
      __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: 'true',
      __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
      __meta_kubernetes_pod_annotationpresent_prometheus_io_scrape: 'true',
      __meta_kubernetes_pod_container_name: 'app',
      __meta_kubernetes_pod_container_init: 'false',
      __meta_kubernetes_pod_container_port_name: 'metrics',
      __meta_kubernetes_pod_container_port_number: '9090',
      __meta_kubernetes_pod_container_port_protocol: 'TCP',
      __meta_kubernetes_pod_controller_kind: 'StatefulSet',
      __meta_kubernetes_pod_phase: 'Running',
    });
    expect(targets[2]).not.toHaveProperty('__meta_kubernetes_pod_container_port_number');
  });

  it('role endpointslice: Service and pod labels on each endpoint port, plus the container ports no Service port reaches', () => {
    const service = { namespace: 'shop', name: 'web', labels: { tier: 'front' }, annotations: {}, selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] };
    const targets = endpointTargets({ pods: [pod], services: [service] }, 'endpointslice');
    expect(targets.map((t) => t.__address__)).toEqual(['10.244.0.7:8080', '10.244.0.7:9090']);
    expect(targets[0]).toMatchObject({
      __meta_kubernetes_service_name: 'web',
      __meta_kubernetes_service_label_tier: 'front',
      __meta_kubernetes_endpointslice_port_name: 'web',
      __meta_kubernetes_endpointslice_port: '8080',
      __meta_kubernetes_endpointslice_address_target_kind: 'Pod',
      __meta_kubernetes_endpointslice_address_target_name: 'web-0',
      __meta_kubernetes_endpointslice_label_kubernetes_io_service_name: 'web',
      __meta_kubernetes_pod_container_port_name: 'http',
    });
    expect(targets[1]).not.toHaveProperty('__meta_kubernetes_endpointslice_port_name');
    expect(targets[1]).toMatchObject({ __meta_kubernetes_service_name: 'web', __meta_kubernetes_pod_container_port_name: 'metrics' });
    // role endpoints: the same targets under the Endpoints names
    expect(endpointTargets({ pods: [pod], services: [service] }, 'endpoints')[0]).toMatchObject({ __meta_kubernetes_endpoints_name: 'web', __meta_kubernetes_endpoint_port_name: 'web' });
  });

  const manifests: Manifest[] = [
    { kind: 'Namespace', metadata: { name: 'shop' } },
    { kind: 'StatefulSet', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: pod.labels, annotations: pod.annotations }, spec: { containers: [{ name: 'app', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] }] } } } },
    { kind: 'Deployment', metadata: { name: 'db', namespace: 'data' }, spec: { template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', ports: [{ name: 'metrics', containerPort: 9187 }] }] } } } },
    { kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: pod.labels, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } },
  ];
  const cluster = clusterFromManifests(manifests);
  const reached = (config: object) => scrapeTargets(cluster, config, 'observability').map((t) => `${t.pod.namespace}/${t.pod.name}:${t.port}`);

  it.each([
    ['every pod port, all namespaces', { job_name: 'j', kubernetes_sd_configs: [{ role: 'pod' }] }, ['shop/web-0:8080', 'shop/web-0:9090', 'data/db-0:9187']],
    ['namespaces restrict discovery', { job_name: 'j', kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['data'] } }] }, ['data/db-0:9187']],
    ['keep on the port name', { job_name: 'j', kubernetes_sd_configs: [{ role: 'pod' }], relabel_configs: [{ source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: 'metrics' }] }, ['shop/web-0:9090', 'data/db-0:9187']],
    [
      'the annotation job: keep annotated pods, port from the annotation',
      { job_name: 'j', kubernetes_sd_configs: [{ role: 'pod' }], relabel_configs: [{ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' }, { source_labels: ['__address__'], target_label: '__address__', regex: '([^:]+)(?::\\d+)?', replacement: '$1:9999' }] },
      ['shop/web-0:9999', 'shop/web-0:9999'],
    ],
    ['endpointslice, kept by Service port name', { job_name: 'j', kubernetes_sd_configs: [{ role: 'endpointslice' }], relabel_configs: [{ source_labels: ['__meta_kubernetes_endpointslice_port_name'], action: 'keep', regex: 'web' }] }, ['shop/web-0:8080']],
    ['role service: the Service address reaches its backends on the target port', { job_name: 'j', kubernetes_sd_configs: [{ role: 'service' }] }, ['shop/web-0:8080']],
    ['static_configs: a Service DNS name', { job_name: 'j', static_configs: [{ targets: ['web.shop.svc:80'] }] }, ['shop/web-0:8080']],
    ['static_configs: an address outside the cluster reaches no pod', { job_name: 'j', static_configs: [{ targets: ['10.20.0.11:9100'] }] }, []],
    ['another cluster\'s API server discovers none of these pods', { job_name: 'j', kubernetes_sd_configs: [{ role: 'pod', api_server: 'https://other:6443' }] }, []],
  ])('%s', (_, config, out) => {
    expect(reached(config)).toEqual(out);
  });
});
