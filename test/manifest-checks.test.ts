import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { IMAGES } from '../src/model/images.ts';
import { loadManifestFile } from './support/load-manifests.ts';
import {
  architectureViolations,
  collectorConfigViolations,
  imagePinProblem,
  namingViolations,
  networkPolicyViolations,
  podSecurityViolations,
  schemaSkippedKinds,
  schemaViolations,
  wiringViolations,
  type K8sObject,
} from './support/manifest-checks.ts';

// The good fixture passes every check; each bad case breaks one property of it and must produce
// exactly the expected violations (so the checks can fail, and fail precisely).

const GOOD_STACK = fileURLToPath(new URL('./fixtures/manifests/good-stack.yaml', import.meta.url));
const AGENT_NAMESPACE = 'observability-agent';
const PSS_OPTIONS = { exemptNamespaces: [AGENT_NAMESPACE], writableHostPaths: ['/var/lib/otelcol'] };

// Fixture objects are edited freely by the bad cases, so they are typed loosely here.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;
type Edit = (objs: Obj[]) => void;

function goodStack(): K8sObject[] {
  return loadManifestFile(GOOD_STACK);
}

function get(objs: Obj[], kind: string, name: string, namespace?: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found) throw new Error(`fixture has no ${kind} ${name}`);
  return found;
}

function remove(objs: Obj[], kind: string, name: string, namespace?: string): void {
  objs.splice(objs.indexOf(get(objs, kind, name, namespace)), 1);
}

const podSpec = (objs: Obj[], kind: string, name: string): Obj => get(objs, kind, name).spec.template.spec;
const container = (objs: Obj[], kind: string, name: string): Obj => podSpec(objs, kind, name).containers[0];

function edited(edit: Edit): K8sObject[] {
  const objs = goodStack();
  edit(objs);
  return objs;
}

describe('schemaViolations', () => {
  it('accepts the good stack (labels, annotations and data maps are not unknown fields)', () => {
    expect(schemaViolations(goodStack())).toEqual([]);
  });

  it.each<[string, Edit, string[]]>([
    ['a string where an integer belongs', (o) => { get(o, 'Deployment', 'grafana').spec.replicas = '2'; },
      ['Deployment observability/grafana: /spec/replicas must be integer']],
    ['an invalid quantity', (o) => { container(o, 'Deployment', 'grafana').resources.limits.cpu = 'lots'; },
      ['Deployment observability/grafana: /spec/template/spec/containers/0/resources/limits/cpu must be number; must match format "quantity"; must match exactly one schema in "oneOf"']],
    ['a missing required field', (o) => { delete podSpec(o, 'StatefulSet', 'tempo').containers; },
      ['StatefulSet observability/tempo: /spec/template/spec must have required property containers']],
    ['a misspelt container field', (o) => { container(o, 'Deployment', 'grafana').imagePulPolicy = 'Always'; },
      ['Deployment observability/grafana: /spec/template/spec/containers/0: unknown field "imagePulPolicy"']],
    ['a misspelt field deep in a probe', (o) => { container(o, 'StatefulSet', 'tempo').livenessProbe.httpGet.paht = '/ready'; },
      ['StatefulSet observability/tempo: /spec/template/spec/containers/0/livenessProbe/httpGet: unknown field "paht"']],
    ['a field at the top level that the kind does not have', (o) => { get(o, 'ConfigMap', 'otel-agent').spec = {}; },
      ['ConfigMap observability-agent/otel-agent: /: unknown field "spec"']],
    ['a kind without a schema', (o) => { o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'observability' } }); },
      ['Widget observability/w: no schema for apiVersion "example.com/v1" kind "Widget"']],
    ['an Argo CD Application with a misspelt field', (o) => {
      o.push({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'o11y', namespace: 'argocd' },
        spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc' }, source: { repoURL: 'https://example.com/repo.git', path: 'dist/local' }, syncPolicy: { automatd: {} } } });
    }, ['Application argocd/o11y: /spec/syncPolicy: unknown field "automatd"']],
  ])('rejects %s', (_, edit, expected) => {
    expect(schemaViolations(edited(edit))).toEqual(expected);
  });

  it('validates a well-formed Argo CD Application', () => {
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'o11y', namespace: 'argocd' },
      spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'observability' },
        source: { repoURL: 'https://example.com/repo.git', path: 'dist/local', targetRevision: 'main' }, syncPolicy: { automated: { prune: true } } } };
    expect(schemaViolations([app])).toEqual([]);
  });

  it('skips Prometheus-operator kinds and reports which it skipped', () => {
    const objs = edited((o) => { o.push({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r', namespace: 'observability' }, spec: { anything: 1 } }); });
    expect(schemaViolations(objs)).toEqual([]);
    expect(schemaSkippedKinds(objs)).toEqual(['monitoring.coreos.com/v1 PrometheusRule']);
    expect(schemaSkippedKinds(goodStack())).toEqual([]);
  });
});

const prometheus = 'StatefulSet observability/prometheus container "prometheus"';

function setPrometheusRuleFiles(objs: Obj[], patterns: string[]): void {
  const cm = get(objs, 'ConfigMap', 'prometheus-config');
  cm.data['prometheus.yml'] = cm.data['prometheus.yml'].replace('rule_files: [/etc/prometheus/rules/stack/*.yaml]', `rule_files: ${JSON.stringify(patterns)}`);
}

describe('wiringViolations', () => {
  it('accepts the good stack', () => {
    expect(wiringViolations(goodStack())).toEqual([]);
  });

  it.each<[string, Edit, string[]]>([
    ['a Service that selects no pods', (o) => { get(o, 'Service', 'grafana').spec.selector['app.kubernetes.io/name'] = 'grafna'; },
      ['Service observability/grafana: selector {"app.kubernetes.io/name":"grafna","app.kubernetes.io/instance":"o11y"} matches no pod template']],
    ['a Service targeting an undeclared port name', (o) => { get(o, 'Service', 'grafana').spec.ports[0].targetPort = 'web'; },
      ['Service observability/grafana: port http targets "web", which no container of Deployment observability/grafana declares']],
    ['a Service targeting an undeclared port number', (o) => { get(o, 'Service', 'tempo').spec.ports[0].targetPort = 3201; },
      ['Service observability/tempo: port http targets 3201, which no container of StatefulSet observability/tempo declares']],
    ['a Service without a selector', (o) => { delete get(o, 'Service', 'otel-gateway').spec.selector; },
      ['Service observability/otel-gateway: has no selector']],
    ['a missing ConfigMap', (o) => { remove(o, 'ConfigMap', 'otel-gateway'); },
      ['Deployment observability/otel-gateway: volume "config" references ConfigMap "otel-gateway", which does not exist',
        'otel-gateway: no ConfigMap labelled app.kubernetes.io/component=otel-gateway has data key config.yaml',
        'Deployment observability/otel-gateway container "collector": reads its config from /conf/config.yaml, which no mounted ConfigMap provides']],
    ['a ConfigMap key that does not exist', (o) => { podSpec(o, 'Deployment', 'grafana').volumes[0].configMap.items[0].key = 'datasource.yaml'; },
      ['Deployment observability/grafana: volume "datasources" uses key "datasource.yaml" missing from ConfigMap "grafana-datasources"']],
    ['a user-owned Secret that is not declared external', (o) => { delete get(o, 'Deployment', 'grafana').metadata.annotations; },
      ['Deployment observability/grafana: container "grafana" env GF_SECURITY_ADMIN_PASSWORD references Secret "grafana-admin", which does not exist and is not listed in annotation o11y.dev/external-secrets']],
    ['a missing ServiceAccount', (o) => { remove(o, 'ServiceAccount', 'tempo'); },
      ['StatefulSet observability/tempo: serviceAccountName "tempo" does not exist']],
    ['a volumeMount naming no volume or claim template', (o) => { get(o, 'StatefulSet', 'tempo').spec.volumeClaimTemplates[0].metadata.name = 'storage'; },
      ['StatefulSet observability/tempo: container "tempo" mounts "data", which is neither a volume nor a volumeClaimTemplate']],
    ['a missing PersistentVolumeClaim', (o) => { podSpec(o, 'Deployment', 'grafana').volumes[1] = { name: 'tmp', persistentVolumeClaim: { claimName: 'grafana-data' } }; },
      ['Deployment observability/grafana: volume "tmp" references PersistentVolumeClaim "grafana-data", which does not exist']],
    ['a binding to a missing ClusterRole', (o) => { get(o, 'ClusterRoleBinding', 'otel-agent').roleRef.name = 'otel-agent'; },
      ['ClusterRoleBinding otel-agent: roleRef ClusterRole "otel-agent" does not exist']],
    ['a binding to a missing ServiceAccount', (o) => { get(o, 'ClusterRoleBinding', 'otel-agent').subjects[0].namespace = 'observability'; },
      ['ClusterRoleBinding otel-agent: subject ServiceAccount observability/otel-agent does not exist']],
    ['a StatefulSet whose Service is not headless', (o) => { delete get(o, 'Service', 'tempo').spec.clusterIP; },
      ['StatefulSet observability/tempo: serviceName "tempo" is not a headless Service (clusterIP: None)']],
    ['a StatefulSet naming a missing Service', (o) => { get(o, 'StatefulSet', 'tempo').spec.serviceName = 'tempo-headless'; },
      ['StatefulSet observability/tempo: serviceName "tempo-headless" names no Service']],
    ['a NetworkPolicy selecting no pods', (o) => { get(o, 'NetworkPolicy', 'grafana').spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'graphana'; },
      ['NetworkPolicy observability/grafana: podSelector {"matchLabels":{"app.kubernetes.io/name":"graphana"}} matches no pod template']],
    ['a NetworkPolicy peer in another of our namespaces selecting no pods', (o) => {
      get(o, 'NetworkPolicy', 'otel-agent').spec.egress[1].to[0].podSelector.matchLabels['app.kubernetes.io/name'] = 'gateway';
    }, ['NetworkPolicy observability-agent/otel-agent: peer podSelector {"matchLabels":{"app.kubernetes.io/name":"gateway"}} matches no pod template in observability']],
    ['a collector pipeline using an undefined processor', (o) => {
      const cm = get(o, 'ConfigMap', 'otel-gateway');
      cm.data['config.yaml'] = cm.data['config.yaml'].replace('processors: [memory_limiter, k8s_attributes]', 'processors: [memory_limiter, k8s_attributes, batch]');
    }, ['ConfigMap observability/otel-gateway: config.yaml pipeline "traces/in": processor "batch" is not defined']],
    ['a datasource link to a uid that does not exist', (o) => {
      const cm = get(o, 'ConfigMap', 'grafana-datasources');
      cm.data['datasources.yaml'] = cm.data['datasources.yaml'].replace('datasourceUid: tempo', 'datasourceUid: jaeger');
    }, ['ConfigMap observability/grafana-datasources: datasources.yaml datasource "prometheus" jsonData.exemplarTraceIdDestinations[0].datasourceUid = "jaeger" is not a provisioned datasource uid']],
    ['two datasources with one uid', (o) => {
      const cm = get(o, 'ConfigMap', 'grafana-datasources');
      cm.data['datasources.yaml'] = cm.data['datasources.yaml'].replace('uid: tempo\n', 'uid: prometheus\n');
    }, ['ConfigMap observability/grafana-datasources: datasources.yaml datasource uid "prometheus" is not unique',
      'ConfigMap observability/grafana-datasources: datasources.yaml datasource "prometheus" jsonData.exemplarTraceIdDestinations[0].datasourceUid = "tempo" is not a provisioned datasource uid']],
    ['a dashboard panel using an unprovisioned datasource', (o) => {
      const cm = get(o, 'ConfigMap', 'grafana-datasources');
      cm.data['stack-health.json'] = cm.data['stack-health.json'].replace('"uid": "prometheus"', '"uid": "mimir"');
    }, ['ConfigMap observability/grafana-datasources: stack-health.json.panels[0].datasource.uid = "mimir" is not a provisioned datasource uid']],
    ['a config file argument pointing at nothing mounted', (o) => { container(o, 'StatefulSet', 'tempo').volumeMounts.shift(); },
      ['StatefulSet observability/tempo container "tempo": reads its config from /etc/tempo/tempo.yaml, which no mounted ConfigMap provides']],
    ['a config file argument naming a key the ConfigMap lacks', (o) => { container(o, 'Deployment', 'otel-gateway').args = ['--config=/conf/relay.yaml']; },
      ['Deployment observability/otel-gateway container "collector": reads its config from /conf/relay.yaml, which no mounted ConfigMap provides']],
    ['a rule_files pattern Prometheus refuses (* before the last element)', (o) => { setPrometheusRuleFiles(o, ['/etc/prometheus/rules/*/*.yaml']); },
      [`${prometheus}: rule_files pattern "/etc/prometheus/rules/*/*.yaml" is invalid for Prometheus (a * is allowed only in the last path element)`,
        `${prometheus}: rule file /etc/prometheus/rules/stack/stack.rules.yaml (ConfigMap prometheus-rules-stack key stack.rules.yaml) matches no valid rule_files pattern`]],
    ['a mounted rule file that no rule_files pattern loads', (o) => { setPrometheusRuleFiles(o, ['/etc/prometheus/rules/*.yaml']); },
      [`${prometheus}: rule file /etc/prometheus/rules/stack/stack.rules.yaml (ConfigMap prometheus-rules-stack key stack.rules.yaml) matches no valid rule_files pattern`]],
  ])('rejects %s', (_, edit, expected) => {
    expect(wiringViolations(edited(edit))).toEqual(expected);
  });

  it('follows subPath mounts and item paths to the file a config argument names', () => {
    const objs = edited((o) => {
      const c = container(o, 'StatefulSet', 'prometheus');
      c.args[0] = '--config.file=/etc/prometheus/prometheus.yml';
      c.volumeMounts[0] = { name: 'config', mountPath: '/etc/prometheus/prometheus.yml', subPath: 'main.yml', readOnly: true };
      podSpec(o, 'StatefulSet', 'prometheus').volumes[0].configMap.items = [{ key: 'prometheus.yml', path: 'main.yml' }];
    });
    expect(wiringViolations(objs)).toEqual([]);
  });
});


describe('collectorConfigViolations', () => {
  const config = (text: string): string[] => collectorConfigViolations(parseYaml(text));

  it.each<[string, string, string[]]>([
    ['a valid config with a connector', `
receivers: { otlp: {} }
connectors: { span_metrics: {} }
exporters: { otlp_grpc/tempo: {}, otlp_http/prometheus: {} }
extensions: { health_check: {} }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [otlp], exporters: [otlp_grpc/tempo, span_metrics] }
    metrics/spans: { receivers: [span_metrics], exporters: [otlp_http/prometheus] }`, []],
    ['an orphan exporter and an undefined receiver', `
receivers: { otlp: {} }
exporters: { otlp_grpc: {}, debug: {} }
service: { pipelines: { logs: { receivers: [otlp, filelog], exporters: [otlp_grpc] } } }`,
    ['pipeline "logs": receiver "filelog" is not defined', 'exporter "debug" is defined but used by no pipeline']],
    ['a connector used only as an exporter', `
receivers: { otlp: {} }
connectors: { span_metrics: {} }
exporters: { otlp_grpc: {} }
service: { pipelines: { traces: { receivers: [otlp], exporters: [otlp_grpc, span_metrics] } } }`,
    ['connector "span_metrics" is not used as a receiver by any pipeline']],
    ['extensions enabled but undefined, and defined but not enabled', `
receivers: { otlp: {} }
exporters: { otlp_grpc: {} }
extensions: { pprof: {} }
service: { extensions: [health_check], pipelines: { traces: { receivers: [otlp], exporters: [otlp_grpc] } } }`,
    ['extension "health_check" is enabled in service.extensions but not defined', 'extension "pprof" is defined but not in service.extensions']],
    ['pre-rename component names', `
receivers: { otlp: {} }
processors: { k8sattributes: {} }
exporters: { otlphttp/loki: {} }
service: { pipelines: { logs: { receivers: [otlp], processors: [k8sattributes], exporters: [otlphttp/loki] } } }`,
    ['processor "k8sattributes" uses the deprecated type name; use "k8s_attributes"', 'exporter "otlphttp/loki" uses the deprecated type name; use "otlp_http"']],
    ['pre-rename receiver and connector names', `
receivers: { otlp: {}, filelog: {}, kubeletstats: {} }
connectors: { spanmetrics/red: {} }
exporters: { otlp_grpc: {} }
service:
  pipelines:
    logs: { receivers: [filelog], exporters: [otlp_grpc] }
    traces: { receivers: [otlp], exporters: [spanmetrics/red] }
    metrics: { receivers: [kubeletstats, spanmetrics/red], exporters: [otlp_grpc] }`,
    ['receiver "filelog" uses the deprecated type name; use "file_log"', 'receiver "kubeletstats" uses the deprecated type name; use "kubelet_stats"', 'connector "spanmetrics/red" uses the deprecated type name; use "span_metrics"']],
    ['a pipeline with a bad id and no exporters', `
receivers: { otlp: {} }
service: { pipelines: { spans: { receivers: [otlp] } } }`,
    ['pipeline "spans": id must be traces|metrics|logs|profiles[/name]', 'pipeline "spans": has no exporters']],
    ['no pipelines at all', 'receivers: { otlp: {} }', ['has no service.pipelines', 'receiver "otlp" is defined but used by no pipeline']],
    ['keys the transform processor and the routing connector do not have (match_once is gone since v0.120)', `
receivers: { otlp: {} }
processors: { transform/x: { error_mode: ignore, statements: [] } }
connectors: { routing: { match_once: true, table: [{ condition: 'true', pipelines: [logs/a], exporters: [] }] } }
exporters: { debug: {} }
service:
  pipelines:
    logs: { receivers: [otlp], processors: [transform/x], exporters: [routing] }
    logs/a: { receivers: [routing], exporters: [debug] }`,
    [
      'processor "transform/x": unknown key statements (known: error_mode, flatten_data, log_statements, metric_statements, profile_statements, trace_statements)',
      'connector "routing": unknown key match_once (known: default_pipelines, error_mode, table)',
      'connector "routing": unknown key table[0].exporters (known: action, condition, context, pipelines, statement)',
    ]],
  ])('%s', (_, text, expected) => {
    expect(config(text)).toEqual(expected);
  });
});

describe('podSecurityViolations', () => {
  const check = (objs: K8sObject[]): string[] => podSecurityViolations(objs, PSS_OPTIONS);

  it('accepts the good stack (the agent namespace is exempt from restricted, not from our rules)', () => {
    expect(check(goodStack())).toEqual([]);
  });

  const grafana = 'Deployment observability/grafana container "grafana"';
  const tempo = 'StatefulSet observability/tempo container "tempo"';
  const agent = 'DaemonSet observability-agent/otel-agent container "collector"';
  it.each<[string, Edit, string[]]>([
    ['runAsNonRoot unset', (o) => { delete podSpec(o, 'StatefulSet', 'tempo').securityContext.runAsNonRoot; },
      [`${tempo}: runAsNonRoot must be true (pod or container)`]],
    ['runAsNonRoot overridden to false in a container', (o) => { container(o, 'Deployment', 'grafana').securityContext.runAsNonRoot = false; },
      [`${grafana}: runAsNonRoot must be true (pod or container)`]],
    ['a container running as uid 0', (o) => { container(o, 'Deployment', 'grafana').securityContext.runAsUser = 0; },
      [`${grafana}: runAsUser is 0`]],
    ['privilege escalation not disabled', (o) => { delete container(o, 'StatefulSet', 'tempo').securityContext.allowPrivilegeEscalation; },
      [`${tempo}: allowPrivilegeEscalation must be false`]],
    ['capabilities not dropped', (o) => { container(o, 'StatefulSet', 'tempo').securityContext.capabilities.drop = ['NET_RAW']; },
      [`${tempo}: capabilities.drop must include ALL`]],
    ['an added capability other than NET_BIND_SERVICE', (o) => { container(o, 'Deployment', 'grafana').securityContext.capabilities.add = ['NET_BIND_SERVICE', 'SYS_ADMIN']; },
      [`${grafana}: adds capability SYS_ADMIN; only NET_BIND_SERVICE is allowed`]],
    ['no seccomp profile', (o) => { delete podSpec(o, 'StatefulSet', 'tempo').securityContext.seccompProfile; },
      [`${tempo}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container), got none`]],
    ['a container overriding seccomp to Unconfined', (o) => { container(o, 'Deployment', 'grafana').securityContext.seccompProfile = { type: 'Unconfined' }; },
      [`${grafana}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container), got Unconfined`]],
    ['a privileged container', (o) => { container(o, 'Deployment', 'grafana').securityContext.privileged = true; },
      [`${grafana}: privileged is true`]],
    ['host networking', (o) => { podSpec(o, 'Deployment', 'grafana').hostNetwork = true; },
      ['Deployment observability/grafana: hostNetwork is true']],
    ['a hostPath volume outside the agent namespace', (o) => { podSpec(o, 'Deployment', 'grafana').volumes[1] = { name: 'tmp', hostPath: { path: '/tmp' } }; },
      ['Deployment observability/grafana: volume "tmp" has type hostPath, not allowed by restricted']],
    ['a hostPort', (o) => { container(o, 'Deployment', 'grafana').ports[0].hostPort = 3000; },
      [`${grafana}: hostPort 3000 is set`]],
    ['an unsafe sysctl', (o) => { podSpec(o, 'Deployment', 'grafana').securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; },
      ['Deployment observability/grafana: sysctl kernel.msgmax is not in the safe set']],
    ['missing limits', (o) => { delete container(o, 'StatefulSet', 'tempo').resources.limits; },
      [`${tempo}: resources.limits.cpu is not set`, `${tempo}: resources.limits.memory is not set`]],
    ['a missing memory request', (o) => { delete container(o, 'Deployment', 'grafana').resources.requests.memory; },
      [`${grafana}: resources.requests.memory is not set`]],
    ['missing probes', (o) => { delete container(o, 'StatefulSet', 'tempo').livenessProbe; delete container(o, 'StatefulSet', 'tempo').readinessProbe; },
      [`${tempo}: has no livenessProbe`, `${tempo}: has no readinessProbe`]],
    ['a writable root filesystem', (o) => { container(o, 'Deployment', 'grafana').securityContext.readOnlyRootFilesystem = false; },
      [`${grafana}: readOnlyRootFilesystem must be true`]],
    ['a token mounted for an unbound ServiceAccount (pod setting)', (o) => { podSpec(o, 'Deployment', 'grafana').automountServiceAccountToken = true; },
      ['Deployment observability/grafana: mounts a token for ServiceAccount "grafana", which no RoleBinding or ClusterRoleBinding grants anything; set automountServiceAccountToken: false']],
    ['a token mounted for an unbound ServiceAccount (Kubernetes default)', (o) => { delete get(o, 'ServiceAccount', 'tempo').automountServiceAccountToken; },
      ['StatefulSet observability/tempo: mounts a token for ServiceAccount "tempo", which no RoleBinding or ClusterRoleBinding grants anything; set automountServiceAccountToken: false']],
    ['a restricted namespace without the enforce label', (o) => { delete get(o, 'Namespace', 'observability').metadata.labels['pod-security.kubernetes.io/enforce']; },
      ['Namespace observability: label pod-security.kubernetes.io/enforce is null, expected "restricted"']],
    ['the agent namespace without the enforce label', (o) => { delete get(o, 'Namespace', AGENT_NAMESPACE).metadata.labels['pod-security.kubernetes.io/enforce']; },
      ['Namespace observability-agent: label pod-security.kubernetes.io/enforce is null, expected a level (privileged or baseline)']],
    ['pods in a namespace that is not synthesized', (o) => { remove(o, 'Namespace', 'observability'); },
      ['Namespace observability: runs pods but is not synthesized, so it carries no pod-security.kubernetes.io/enforce label']],
    ['a writable host mount in the agent', (o) => { container(o, 'DaemonSet', 'otel-agent').volumeMounts[1].readOnly = false; },
      [`${agent}: mounts host path /var/log/pods writable (volumeMount "pod-logs" needs readOnly: true)`]],
    ['a privileged agent', (o) => { container(o, 'DaemonSet', 'otel-agent').securityContext.privileged = true; },
      [`${agent}: privileged is true`]],
    ['an agent keeping its capabilities', (o) => { delete container(o, 'DaemonSet', 'otel-agent').securityContext.capabilities; },
      [`${agent}: capabilities.drop must include ALL`]],
    ['an agent without limits', (o) => { delete container(o, 'DaemonSet', 'otel-agent').resources.limits.memory; },
      [`${agent}: resources.limits.memory is not set`]],
    ['the host network for a workload not on the allow-list, in the agent namespace', (o) => { podSpec(o, 'DaemonSet', 'otel-agent').hostNetwork = true; },
      ['DaemonSet observability-agent/otel-agent: hostNetwork is true']],
    ['host PID in the agent namespace', (o) => { podSpec(o, 'DaemonSet', 'otel-agent').hostPID = true; },
      ['DaemonSet observability-agent/otel-agent: hostPID is true']],
  ])('rejects %s', (_, edit, expected) => {
    expect(check(edited(edit))).toEqual(expected);
  });

  it('holds the agent to restricted when its namespace is not exempt', () => {
    expect(podSecurityViolations(goodStack(), { exemptNamespaces: [] })).toEqual([
      'DaemonSet observability-agent/otel-agent: volume "pod-logs" has type hostPath, not allowed by restricted',
      'DaemonSet observability-agent/otel-agent: volume "checkpoints" has type hostPath, not allowed by restricted',
      'DaemonSet observability-agent/otel-agent: pod securityContext.runAsUser is 0',
      `${agent}: runAsNonRoot must be true (pod or container)`,
      'Namespace observability-agent: label pod-security.kubernetes.io/enforce is "privileged", expected "restricted"',
    ]);
  });

  it('allows the host network only to the workloads on its allow-list (node-exporter), and host PID to none', () => {
    const options = { ...PSS_OPTIONS, hostNetworkWorkloads: ['DaemonSet observability-agent/otel-agent'] };
    expect(podSecurityViolations(edited((o) => { podSpec(o, 'DaemonSet', 'otel-agent').hostNetwork = true; }), options)).toEqual([]);
    expect(podSecurityViolations(edited((o) => { podSpec(o, 'DaemonSet', 'otel-agent').hostPID = true; }), options)).toEqual(['DaemonSet observability-agent/otel-agent: hostPID is true']);
  });

  it('allows writable host mounts only on the allow-list', () => {
    expect(podSecurityViolations(goodStack(), { exemptNamespaces: [AGENT_NAMESPACE] })).toEqual([
      `${agent}: mounts host path /var/lib/otelcol writable (volumeMount "checkpoints" needs readOnly: true)`,
    ]);
  });

  it('does not require probes on Jobs', () => {
    const objs = edited((o) => {
      const deployment = get(o, 'Deployment', 'grafana');
      const template = structuredClone(deployment.spec.template);
      delete template.spec.containers[0].livenessProbe;
      delete template.spec.containers[0].readinessProbe;
      template.spec.restartPolicy = 'Never';
      o.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: { ...deployment.metadata, name: 'grafana-init' }, spec: { template } });
    });
    expect(check(objs)).toEqual([]);
  });
});

describe('architectureViolations', () => {
  const both = ['amd64', 'arm64'];
  const grafana = 'Deployment observability/grafana';

  it('accepts the good stack for amd64+arm64', () => {
    expect(architectureViolations(goodStack(), both)).toEqual([]);
  });

  it.each<[string, Edit, string[]]>([
    ['a pod that may land on a Windows node', (o) => { delete get(o, 'Deployment', 'grafana').spec.template.spec.nodeSelector; },
      [`${grafana}: does not select kubernetes.io/os: linux`]],
    ['no node affinity', (o) => { delete podSpec(o, 'Deployment', 'grafana').affinity; },
      [`${grafana}: has no required node affinity on kubernetes.io/arch`]],
    ['affinity to one architecture only', (o) => { podSpec(o, 'Deployment', 'grafana').affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = ['amd64']; },
      [`${grafana}: nodeSelectorTerms[0] must require kubernetes.io/arch In [amd64,arm64], got [amd64]`]],
    ['a second node selector term without the arch rule', (o) => { podSpec(o, 'Deployment', 'grafana').affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.push({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }); },
      [`${grafana}: nodeSelectorTerms[1] must require kubernetes.io/arch In [amd64,arm64], got no single In expression`]],
    ['no arm64 toleration', (o) => { delete podSpec(o, 'Deployment', 'grafana').tolerations; },
      [`${grafana}: does not tolerate kubernetes.io/arch=arm64:NoSchedule`]],
    ['a toleration for the wrong effect', (o) => { podSpec(o, 'Deployment', 'grafana').tolerations[0].effect = 'NoExecute'; },
      [`${grafana}: does not tolerate kubernetes.io/arch=arm64:NoSchedule`]],
    ['an image outside the catalog', (o) => { container(o, 'Deployment', 'grafana').image = 'grafana/grafana:13.1.2'; },
      [`${grafana} container "grafana": image "grafana/grafana:13.1.2" is not in the image catalog (src/model/images.ts)`]],
    ['a floating tag', (o) => { container(o, 'Deployment', 'grafana').image = 'grafana/grafana:latest'; },
      [`${grafana} container "grafana": image "grafana/grafana:latest" is not in the image catalog (src/model/images.ts)`,
        `${grafana} container "grafana": image "grafana/grafana:latest" uses the floating tag latest`]],
  ])('rejects %s', (_, edit, expected) => {
    expect(architectureViolations(edited(edit), both)).toEqual(expected);
  });

  it('needs no arm64 toleration for an amd64-only config', () => {
    const objs = edited((o) => {
      for (const owner of o.filter((x: Obj) => x.spec?.template?.spec)) {
        owner.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = ['amd64'];
        delete owner.spec.template.spec.tolerations;
      }
    });
    expect(architectureViolations(objs, ['amd64'])).toEqual([]);
  });

  it.each<[string, string | undefined]>([
    ['quay.io/prometheus/prometheus:v3.14.0', undefined],
    ['registry.example.com:5000/team/app:1.2.3', undefined],
    ['grafana/loki@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', undefined],
    ['grafana/loki', 'has no tag'],
    ['registry.example.com:5000/team/app', 'has no tag'],
    ['grafana/loki:latest', 'uses the floating tag latest'],
    ['otel/opentelemetry-collector-contrib:0.159.0-arm64', 'tag "0.159.0-arm64" names one architecture; use the multi-arch manifest list'],
    ['quay.io/prometheus/prometheus:v3.14.0-amd64', 'tag "v3.14.0-amd64" names one architecture; use the multi-arch manifest list'],
  ])('image %s: %s', (image, expected) => {
    expect(imagePinProblem(image)).toBe(expected);
  });

  it('the image catalog itself holds only pinned multi-arch references', () => {
    expect(Object.values(IMAGES).filter((image) => imagePinProblem(image) !== undefined)).toEqual([]);
  });
});

describe('namingViolations', () => {
  it('accepts the good stack', () => {
    expect(namingViolations(goodStack(), 'o11y')).toEqual([]);
  });

  it.each<[string, Edit, string[]]>([
    ['a cdk8s hash suffix', (o) => { get(o, 'ConfigMap', 'otel-agent').metadata.name = 'otel-agent-config-c8d4e5f6'; },
      ['ConfigMap observability-agent/otel-agent-config-c8d4e5f6: name "otel-agent-config-c8d4e5f6" ends in a cdk8s hash suffix']],
    ['an upper-case name', (o) => { get(o, 'ServiceAccount', 'tempo').metadata.name = 'Tempo'; },
      ['ServiceAccount observability/Tempo: name "Tempo" is not a DNS-1123 subdomain']],
    ['a Service name starting with a digit', (o) => { get(o, 'Service', 'tempo').metadata.name = '1tempo'; },
      ['Service observability/1tempo: name "1tempo" is not a DNS-1035 label']],
    ['a missing label', (o) => { delete get(o, 'Service', 'tempo').metadata.labels['app.kubernetes.io/component']; },
      ['Service observability/tempo: label app.kubernetes.io/component is missing']],
    ['a wrong part-of label', (o) => { get(o, 'ClusterRole', 'otel-collector').metadata.labels['app.kubernetes.io/part-of'] = 'monitoring'; },
      ['ClusterRole otel-collector: label app.kubernetes.io/part-of is "monitoring", expected "o11y"']],
    ['pod template labels missing', (o) => { get(o, 'Deployment', 'grafana').spec.template.metadata.labels = { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'o11y' }; },
      ['Deployment observability/grafana pod template: label app.kubernetes.io/component is missing',
        'Deployment observability/grafana pod template: label app.kubernetes.io/part-of is missing',
        'Deployment observability/grafana pod template: label app.kubernetes.io/managed-by is missing']],
    ['a Secret with data', (o) => {
      o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { ...get(o, 'ServiceAccount', 'grafana').metadata, name: 'grafana-admin' }, stringData: { 'admin-password': 'hunter2' } });
    }, ['Secret observability/grafana-admin: carries data; secrets must come from Secrets the user owns, never from manifests']],
    ['a password in an env value', (o) => { container(o, 'Deployment', 'grafana').env[0] = { name: 'GF_SECURITY_ADMIN_PASSWORD', value: 'admin' }; },
      ['Deployment observability/grafana container "grafana": env GF_SECURITY_ADMIN_PASSWORD has a literal value that looks like a credential; use valueFrom.secretKeyRef']],
    ['a key-shaped value under an innocent env name', (o) => { container(o, 'StatefulSet', 'tempo').env = [{ name: 'S3_USER', value: 'AKIAABCDEFGHIJKLMNOP' }]; },
      ['StatefulSet observability/tempo container "tempo": env S3_USER has a literal value that looks like a credential; use valueFrom.secretKeyRef']],
    ['a container port name longer than 15 characters', (o) => { container(o, 'StatefulSet', 'tempo').ports[1].name = 'otlp-grpc-receiver'; },
      ['StatefulSet observability/tempo container "tempo": port name "otlp-grpc-receiver" is not an IANA service name (≤15 chars, lowercase, a letter, no "--")']],
  ])('rejects %s', (_, edit, expected) => {
    expect(namingViolations(edited(edit), 'o11y')).toEqual(expected);
  });

  it('allows a __FILE variable pointing at a mounted secret', () => {
    const objs = edited((o) => { container(o, 'Deployment', 'grafana').env.push({ name: 'GF_SECURITY_ADMIN_PASSWORD__FILE', value: '/etc/secrets/admin-password' }); });
    expect(namingViolations(objs, 'o11y')).toEqual([]);
  });
});

describe('networkPolicyViolations', () => {
  it('accepts the good stack', () => {
    expect(networkPolicyViolations(goodStack())).toEqual([]);
  });

  it.each<[string, Edit, string[]]>([
    ['a namespace without default-deny', (o) => { remove(o, 'NetworkPolicy', 'default-deny', AGENT_NAMESPACE); },
      ['namespace observability-agent: no default-deny NetworkPolicy for Ingress (empty podSelector, policyTypes Ingress, no rules)',
        'namespace observability-agent: no default-deny NetworkPolicy for Egress (empty podSelector, policyTypes Egress, no rules)']],
    ['a default-deny for ingress only', (o) => { get(o, 'NetworkPolicy', 'default-deny', 'observability').spec.policyTypes = ['Ingress']; },
      ['namespace observability: no default-deny NetworkPolicy for Egress (empty podSelector, policyTypes Egress, no rules)']],
    ['a pod no policy allows anything for', (o) => {
      remove(o, 'NetworkPolicy', 'otel-agent', AGENT_NAMESPACE);
    }, ['DaemonSet observability-agent/otel-agent: no NetworkPolicy allows any traffic for its pods',
      'DaemonSet observability-agent/otel-agent: no NetworkPolicy allows its pods egress to DNS (port 53)']],
    ['pods that cannot resolve names', (o) => { remove(o, 'NetworkPolicy', 'allow-dns'); },
      ['Deployment observability/grafana: no NetworkPolicy allows its pods egress to DNS (port 53)',
        'StatefulSet observability/tempo: no NetworkPolicy allows its pods egress to DNS (port 53)',
        'StatefulSet observability/prometheus: no NetworkPolicy allows its pods egress to DNS (port 53)',
        'Deployment observability/otel-gateway: no NetworkPolicy allows its pods egress to DNS (port 53)']],
  ])('rejects %s', (_, edit, expected) => {
    expect(networkPolicyViolations(edited(edit))).toEqual(expected);
  });

  it('a host-network pod needs no policy of its own (policies do not select it)', () => {
    const hostNetworkAgent = edited((o) => {
      remove(o, 'NetworkPolicy', 'otel-agent', AGENT_NAMESPACE);
      podSpec(o, 'DaemonSet', 'otel-agent').hostNetwork = true;
    });
    expect(networkPolicyViolations(hostNetworkAgent)).toEqual([]);
  });

  it('with open egress: default-deny ingress suffices, and a pod restricted in egress is a finding', () => {
    const ingressOnly = edited((o) => {
      for (const np of o.filter((x) => x.kind === 'NetworkPolicy')) np.spec.policyTypes = (np.spec.policyTypes ?? ['Ingress']).filter((t: string) => t !== 'Egress');
      for (const np of o.filter((x) => x.kind === 'NetworkPolicy')) delete np.spec.egress;
    });
    expect(networkPolicyViolations(ingressOnly, 'open')).toEqual([]);
    expect(networkPolicyViolations(ingressOnly, 'strict')).toContain('namespace observability: no default-deny NetworkPolicy for Egress (empty podSelector, policyTypes Egress, no rules)');
    expect(networkPolicyViolations(goodStack(), 'open')).toContain('Deployment observability/grafana: egress is restricted although networkPolicy.egress is open');
  });
});
