import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { RemoteWriteConfig, ScrapeEgressConfig } from '../src/model/types.ts';
import { STACK_SCRAPE_JOBS } from '../src/scrape/jobs.ts';
import { RULES_DIR } from '../src/rules/layout.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, dataVolumeClaim, httpProbe, serviceHost, StatefulSet, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { API_SERVER_PORTS, KUBELET_PORT, urlPort, type Flow, type Peer } from './network-policy.ts';
import { NODE_EXPORTER, NODE_EXPORTER_PORT } from './node-exporter.ts';
import { platformProfile } from '../src/model/platforms/index.ts';
import type { ControlPlaneScrape } from '../src/model/platforms/profile.ts';
import { clusterRoleFor, configMap, container, podTemplate, READ, service, serviceAccount, type ClusterRoleRule, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export const PROMETHEUS_PORT = 9090;
/** App name of kube-state-metrics (its pods' `app.kubernetes.io/name`). */
const KUBE_STATE_METRICS = 'kube-state-metrics';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Read-only RBAC for the scrape jobs: service discovery, the kubelet's metrics, `/metrics` of the
 * API server (and of the scheduler and controller-manager, which authorize it against the API
 * server), and the control-plane metrics a cloud serves through its API server (EKS).
 */
export function scrapeRbac(ctx: StackContext): ClusterRoleRule[] {
  const throughApiServer = controlPlaneScrapes(ctx).flatMap((c) => (c.via === 'apiServer' ? [c.rbac] : []));
  return [
    { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'pods'], verbs: READ },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
    { nonResourceUrLs: ['/metrics', '/metrics/cadvisor'], verbs: ['get'] },
    ...[...new Set(throughApiServer.map((r) => r.apiGroup))].map((group) => ({
      apiGroups: [group],
      resources: throughApiServer.filter((r) => r.apiGroup === group).map((r) => r.resource),
      verbs: ['get'],
    })),
  ];
}

function controlPlaneScrapes(ctx: StackContext): readonly ControlPlaneScrape[] {
  return platformProfile(ctx.cluster.cloud).controlPlane;
}

/** CoreDNS' Prometheus plugin port (kubeadm, EKS, AKS and ACK deploy it with `prometheus :9153`). */
export const COREDNS_METRICS_PORT = 9153;

/**
 * What the metrics scraper of a cluster (Prometheus, or the collector's `otel-scraper`) connects to
 * for {@link scrapeConfigs}. CoreDNS pods in kube-system are reached through the any-pod flow that
 * annotated pods need anyway; node-exporter runs on the host network, where NetworkPolicies select
 * nothing, so its side is the node addresses (`networkPolicy.nodeCidrs`), like the kubelet's.
 */
export function scrapeFlows(ctx: StackContext, self: Peer, scrapeEgress?: readonly ScrapeEgressConfig[]): Flow[] {
  const onNodes = controlPlaneScrapes(ctx).flatMap((c) => (c.via === 'controlPlaneNodes' ? [c] : []));
  return [
    // Scrape targets can be any pod on any port (prometheus.io/port annotations), CoreDNS included.
    { from: self, to: { anyPod: true }, ports: [], why: 'scrapes annotated pods, CoreDNS and the stack' },
    { from: self, to: { nodes: true }, ports: [KUBELET_PORT], why: 'scrapes kubelet and cAdvisor' },
    { from: self, to: { nodes: true }, ports: [NODE_EXPORTER_PORT], why: 'scrapes node-exporter (host network)' },
    ...(onNodes.length ? [{ from: self, to: { nodes: true } as const, ports: onNodes.map((c) => c.port), why: `scrapes ${onNodes.map((c) => c.job).join(', ')} on the control-plane nodes` }] : []),
    { from: self, to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'Kubernetes service discovery; the API server\'s (and the cloud\'s control-plane) metrics' },
    // With `networkPolicy.egress: strict`: the `scrape.egress` blocks (targets of extra scrape configs outside the pod network).
    ...(scrapeEgress ?? []).map((e) => ({ from: self, to: { cidr: e.cidr }, ports: [...e.ports], why: 'scrape.egress: scrape targets outside the pod network' })),
  ];
}

export interface PrometheusProps extends ScrapeProps, WorkloadProps {
  /** @default 1 */
  readonly replicas?: number;
  /** TSDB retention time, a Prometheus duration. */
  readonly retention: string;
  /** PVC size per replica. */
  readonly storage: string;
  /** Existing long-term stores to write to (Mimir, Thanos Receive, VictoriaMetrics). */
  readonly remoteWrite: readonly RemoteWriteConfig[];
  /** Names of ConfigMaps (labelled `prometheus-rules`) holding rule files, mounted under {@link RULES_DIR}. */
  readonly ruleConfigMaps: readonly string[];
  /** Alertmanager StatefulSet to send alerts to. */
  readonly alertmanager: { readonly service: string; readonly headlessService: string; readonly replicas: number; readonly port: number };
  /**
   * Who queries it from outside the stack (the user's ingress for a remote Grafana). Stack
   * components that push or query declare those flows themselves.
   * @default none
   */
  readonly remoteReaders?: readonly Peer[];
}

/**
 * Prometheus 3 as a StatefulSet with a PVC per replica: Kubernetes service discovery for annotated
 * pods and services, kubelet and cAdvisor, and the stack's own components; remote-write and OTLP
 * receivers on, admin API off; `cluster`, `cloud` and `region` external labels always set.
 * The config and rule files reload by themselves (`auto-reload-config`), without a sidecar.
 */
export class Prometheus extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;
  /** The `prometheus.yml` this construct mounts. */
  readonly config: object;

  constructor(scope: Construct, name: string, ctx: StackContext, props: PrometheusProps) {
    super(scope, name);
    const id: ComponentId = { app: 'prometheus', component: 'prometheus', namespace: props.namespace };
    this.id = id;
    this.config = prometheusConfig(ctx, props);
    const configText = dumpYaml(this.config);

    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, scrapeRbac(ctx));
    this.configMap = configMap(this, ctx, id, 'prometheus-config', { 'prometheus.yml': configText });

    const ruleVolumes = props.ruleConfigMaps.map((cm) => configMapVolume(`rules-${cm}`, cm));
    const credentialSecrets = remoteWriteSecrets(props.remoteWrite);
    const replicas = props.replicas ?? 1;
    this.workload = new StatefulSet(this, 'statefulset', {
      metadata: workloadMetadata(ctx, id, props.overrides, { externalSecrets: credentialSecrets }),
      spec: {
        replicas,
        serviceName: `${id.app}-headless`,
        podManagementPolicy: 'Parallel',
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: 65534,
          spreadAcrossArchitectures: replicas > 1,
          // No config hash: auto-reload-config picks up prometheus.yml changes without a restart (and its WAL replay).
          terminationGracePeriodSeconds: 600,
          containers: [
            container({
              name: 'prometheus',
              image: IMAGES.prometheus,
              args: [
                '--config.file=/etc/prometheus/prometheus.yml',
                '--storage.tsdb.path=/prometheus',
                `--storage.tsdb.retention.time=${props.retention}`,
                `--storage.tsdb.retention.size=${retentionSize(props.storage)}`,
                `--web.listen-address=:${PROMETHEUS_PORT}`,
                '--web.enable-remote-write-receiver',
                '--web.enable-otlp-receiver',
                // Reload prometheus.yml and rule files when their ConfigMaps change, with no lifecycle API and no sidecar.
                '--enable-feature=auto-reload-config',
                '--config.auto-reload-interval=30s',
                // Keep the trace ids that come with samples (Tempo's remote write, OTLP): the metrics → trace links.
                '--enable-feature=exemplar-storage',
              ],
              ports: [{ name: 'http-metrics', containerPort: PROMETHEUS_PORT }],
              resources: props.overrides?.resources ?? defaultResources('prometheus'),
              liveness: httpProbe('/-/healthy', 'http-metrics', { initialDelaySeconds: 30 }),
              // A replaying WAL can take minutes: keep the pod out of the Service until it is done.
              readiness: httpProbe('/-/ready', 'http-metrics', { periodSeconds: 5, failureThreshold: 120 }),
              mounts: [
                { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
                { name: 'data', mountPath: '/prometheus' },
                ...props.ruleConfigMaps.map((cm) => ({ name: `rules-${cm}`, mountPath: `${RULES_DIR}/${cm}`, readOnly: true })),
                ...credentialSecrets.map((secret) => ({ name: `rw-${secret}`, mountPath: `${REMOTE_WRITE_SECRETS_DIR}/${secret}`, readOnly: true })),
              ],
            }),
          ],
          volumes: [
            configMapVolume('config', 'prometheus-config'),
            ...ruleVolumes,
            ...credentialSecrets.map((secret) => ({ name: `rw-${secret}`, secret: { secretName: secret } })),
          ],
        }),
        volumeClaimTemplates: [dataVolumeClaim(ctx, id.app, id.component, props.storage)],
      },
    });
    const ports = [{ name: 'http-metrics', port: PROMETHEUS_PORT, targetPort: 'http-metrics' }];
    service(this, ctx, id, ports);
    service(this, ctx, id, ports, { name: `${id.app}-headless`, headless: true });

    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.scrapes(self, (this.config as { scrape_configs: object[] }).scrape_configs);
    ctx.flows.add(
      ...(props.remoteReaders ?? []).map((from) => ({ from, to: self, ports: [PROMETHEUS_PORT], why: 'queries from a Grafana in another cluster, through the user\'s ingress' })),
      ...scrapeFlows(ctx, self, props.scrapeEgress),
      ...[...new Set(props.remoteWrite.map((rw) => urlPort(rw.url)))].map((port) => ({ from: self, to: { internet: true } as const, ports: [port], why: 'remote write to long-term storage' })),
    );
  }
}

/** `--storage.tsdb.retention.size`: 85% of the volume, so that Prometheus deletes blocks before the disk fills. */
export function retentionSize(storage: string): string {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi)$/.exec(storage);
  if (!match) throw new Error(`not a binary storage quantity: ${storage}`);
  const mib = Number(match[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 ** 2, Pi: 1024 ** 3 }[match[2] as 'Ki'];
  return `${Math.max(1, Math.floor(mib * 0.85))}MB`;
}

/** What the scrape jobs need to know; shared by Prometheus and the collector's `prometheus` receiver. */
export interface ScrapeProps {
  readonly namespace: string;
  readonly agentNamespace: string;
  /** @default '30s' */
  readonly scrapeInterval?: string;
  /** The user's scrape configs (converted monitors, then `scrape.extraConfigs`), after the generated jobs. @default none */
  readonly userJobs?: readonly object[];
  /** `metric_relabel_configs` on every job: the cardinality guard (`cardinality.metricRelabelConfigs`). @default none */
  readonly metricRelabelConfigs?: readonly Record<string, unknown>[];
  /** With strict egress, where scrape targets outside the pod network are (`scrape.egress`). @default none */
  readonly scrapeEgress?: readonly ScrapeEgressConfig[];
}

/**
 * The scrape jobs: the stack's own components, kube-state-metrics, kubelet and cAdvisor, annotated
 * pods and services, the API server, CoreDNS, node-exporter, and the control-plane components the
 * cloud's profile lists. Every job gets the config's cardinality guard (`metric_relabel_configs`).
 * Job names are the ones in src/monitoring/metric-catalogue.ts, which rules and dashboards select on.
 */
export function scrapeConfigs(ctx: StackContext, props: ScrapeProps): object[] {
  const token = { authorization: { credentials_file: `${SA_DIR}/token` } };
  const nodeLabels = [
    { source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' },
    { source_labels: ['__meta_kubernetes_node_label_kubernetes_io_arch'], target_label: 'arch' },
  ];
  const kubeletJob = (job: string, path: string) => ({
    job_name: job,
    scheme: 'https',
    metrics_path: path,
    ...token,
    // Kubelet serving certificates are self-signed on most distributions (as in kube-prometheus).
    tls_config: { ca_file: `${SA_DIR}/ca.crt`, insecure_skip_verify: true },
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: nodeLabels,
  });
  // The `kubernetes` Service's endpoints: the API server itself, whose certificate names `kubernetes` and is signed by the cluster CA.
  const apiServerJob = (job: string, path: string) => ({
    job_name: job,
    scheme: 'https',
    metrics_path: path,
    ...token,
    tls_config: { ca_file: `${SA_DIR}/ca.crt`, server_name: 'kubernetes' },
    kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: ['default'] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpointslice_port_name'], action: 'keep', regex: 'kubernetes;https' },
    ],
  });
  // kubeadm's layout: static pods on the nodes labelled node-role.kubernetes.io/control-plane, reached on the node address.
  const controlPlaneNodeJob = (c: Extract<ControlPlaneScrape, { via: 'controlPlaneNodes' }>) => ({
    job_name: c.job,
    scheme: c.scheme,
    // The scheduler and controller-manager authorize /metrics against the API server and serve a self-signed certificate; etcd's metrics listener is plain HTTP.
    ...(c.scheme === 'https' ? { ...token, tls_config: { insecure_skip_verify: true } } : {}),
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_control_plane'], action: 'keep', regex: 'true' },
      { source_labels: ['__address__'], target_label: '__address__', regex: '([^:]+)(?::\\d+)?', replacement: `$1:${c.port}` },
      ...nodeLabels,
    ],
  });
  const annotationRelabels = (kind: 'pod' | 'service') => [
    { source_labels: [`__meta_kubernetes_${kind}_annotation_prometheus_io_scrape`], action: 'keep', regex: 'true' },
    { source_labels: [`__meta_kubernetes_${kind}_annotation_prometheus_io_scheme`], target_label: '__scheme__', regex: '(https?)' },
    { source_labels: [`__meta_kubernetes_${kind}_annotation_prometheus_io_path`], target_label: '__metrics_path__', regex: '(.+)' },
    {
      source_labels: ['__address__', `__meta_kubernetes_${kind}_annotation_prometheus_io_port`],
      target_label: '__address__',
      regex: '([^:]+)(?::\\d+)?;(\\d+)',
      replacement: '$1:$2',
    },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  ];
  const podLabels = [
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
  ];
  const ownPods = (extra: object[]) => ({
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [props.namespace, props.agentNamespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_part_of'], action: 'keep', regex: ctx.stackName },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: '(http-)?metrics' },
      ...extra,
    ],
  });
  const ksm = { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: KUBE_STATE_METRICS };
  const nodeExporter = { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: NODE_EXPORTER };
  const runningPods = { source_labels: ['__meta_kubernetes_pod_phase'], action: 'drop', regex: 'Pending|Succeeded|Failed' };
  const jobs = [
    {
      job_name: STACK_SCRAPE_JOBS.stack,
      // The controller reports other objects' namespace label: keep it, not ours.
      honor_labels: true,
      ...ownPods([
        { ...ksm, action: 'drop' },
        { ...nodeExporter, action: 'drop' },
        { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], target_label: 'job' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        ...podLabels,
      ]),
    },
    {
      job_name: STACK_SCRAPE_JOBS.kubeStateMetrics,
      // Its series describe other objects (their namespace, pod, node labels are kept) or none: no
      // label of its own pod, which would stick to node and namespace series and change on restart.
      honor_labels: true,
      ...ownPods([{ ...ksm, action: 'keep' }]),
    },
    kubeletJob(STACK_SCRAPE_JOBS.kubelet, '/metrics'),
    kubeletJob(STACK_SCRAPE_JOBS.cadvisor, '/metrics/cadvisor'),
    {
      job_name: STACK_SCRAPE_JOBS.nodeExporter,
      // Its series describe the node: `node` names it, `instance` stays the node address it listens on.
      ...ownPods([
        { ...nodeExporter, action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
      ]),
    },
    apiServerJob(STACK_SCRAPE_JOBS.apiServer, '/metrics'),
    {
      job_name: STACK_SCRAPE_JOBS.coreDns,
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['kube-system'] } }],
      relabel_configs: [
        runningPods,
        { source_labels: ['__meta_kubernetes_pod_label_k8s_app'], action: 'keep', regex: 'kube-dns' },
        { source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: String(COREDNS_METRICS_PORT) },
        ...podLabels,
      ],
    },
    ...controlPlaneScrapes(ctx).map((c) => (c.via === 'apiServer' ? apiServerJob(c.job, c.path) : controlPlaneNodeJob(c))),
    {
      job_name: STACK_SCRAPE_JOBS.pods,
      kubernetes_sd_configs: [{ role: 'pod' }],
      relabel_configs: [
        runningPods,
        ...annotationRelabels('pod'),
        ...podLabels,
      ],
    },
    {
      job_name: STACK_SCRAPE_JOBS.serviceEndpoints,
      // The `endpoints` role reads the Endpoints API, deprecated since Kubernetes 1.33; service labels and annotations are the same.
      kubernetes_sd_configs: [{ role: 'endpointslice' }],
      relabel_configs: [...annotationRelabels('service'), { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' }],
    },
  ];
  const guard = props.metricRelabelConfigs ?? [];
  // Every series says which cluster it describes: Prometheus' external labels reach only what leaves
  // it, and the scraper's series cross to another cluster's backend, where dashboards select by `cluster`.
  const clusterLabel = { target_label: 'cluster', replacement: ctx.cluster.name };
  const labelled = jobs.map((j) => ({ ...j, relabel_configs: [...j.relabel_configs, clusterLabel] }));
  const all: Record<string, unknown>[] = [...labelled, ...(props.userJobs ?? []).map((j) => ({ ...j }))];
  // A job's own metric relabelings (a converted monitor's, an extra config's) run before the guard.
  return guard.length ? all.map((j) => ({ ...j, metric_relabel_configs: [...((j.metric_relabel_configs as object[] | undefined) ?? []), ...guard] })) : all;
}

/** OTLP resource attributes kept as labels on pushed metrics: those people filter by. */
export const OTLP_PROMOTED_ATTRIBUTES = [
  'service.instance.id',
  'service.name',
  'service.namespace',
  'cloud.provider',
  'cloud.region',
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.node.name',
  'k8s.pod.name',
  'k8s.container.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
] as const;

/** The labels that say where an alert comes from, when its series do not: Prometheus' external labels (vmalert fills them in the same way). */
export function externalLabels(ctx: StackContext): Record<string, string> {
  return { cluster: ctx.cluster.name, cloud: ctx.cluster.cloud, region: ctx.cluster.region };
}

/** `host:port` of every Alertmanager replica (each is notified; they deduplicate among themselves). */
export function alertmanagerReplicas(am: { readonly service: string; readonly headlessService: string; readonly replicas: number; readonly port: number }, namespace: string): string[] {
  return Array.from({ length: am.replicas }, (_, i) => `${am.service}-${i}.${serviceHost(am.headlessService, namespace)}:${am.port}`);
}

/** The `prometheus.yml`: a pure function of the stack context and the props. */
export function prometheusConfig(ctx: StackContext, props: PrometheusProps): object {
  const alertmanagerTargets = alertmanagerReplicas(props.alertmanager, props.namespace);
  return {
    global: {
      scrape_interval: props.scrapeInterval ?? '30s',
      evaluation_interval: props.scrapeInterval ?? '30s',
      external_labels: externalLabels(ctx),
    },
    // OTLP pushes from the gateway: keep the resource attributes people filter by as labels.
    otlp: {
      promote_resource_attributes: [...OTLP_PROMOTED_ATTRIBUTES],
    },
    // Pushed samples (OTLP, remote write from Tempo) can arrive a little late.
    storage: { tsdb: { out_of_order_time_window: '30m' } },
    alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagerTargets }] }] },
    // One pattern per mounted ConfigMap: Prometheus allows `*` only in a path's last element.
    rule_files: props.ruleConfigMaps.map((cm) => `${RULES_DIR}/${cm}/*.yaml`),
    scrape_configs: scrapeConfigs(ctx, props),
    ...(props.remoteWrite.length ? { remote_write: props.remoteWrite.map(remoteWriteConfig) } : {}),
  };
}

/** Folder of the Secrets that remote-write credentials are read from: `<dir>/<secret>/<key>`. */
export const REMOTE_WRITE_SECRETS_DIR = '/etc/prometheus/remote-write';

/** One `remote_write` entry; credentials are files from mounted Secrets, never inline. */
function remoteWriteConfig(rw: RemoteWriteConfig): object {
  const dir = (secret: string) => `${REMOTE_WRITE_SECRETS_DIR}/${secret}`;
  return {
    url: rw.url,
    name: `${rw.kind}-${new URL(rw.url).hostname}`,
    ...(rw.bearerTokenSecret ? { authorization: { credentials_file: `${dir(rw.bearerTokenSecret)}/token` } } : {}),
    ...(rw.basicAuthSecret ? { basic_auth: { username_file: `${dir(rw.basicAuthSecret)}/username`, password_file: `${dir(rw.basicAuthSecret)}/password` } } : {}),
    // Thanos Receive and Mimir deduplicate by these; VictoriaMetrics ignores them.
    send_exemplars: rw.kind !== 'victoriametrics',
  };
}

/** Secrets a remote-write list reads credentials from. */
export function remoteWriteSecrets(list: readonly RemoteWriteConfig[]): string[] {
  return [...new Set(list.flatMap((rw) => [rw.bearerTokenSecret, rw.basicAuthSecret].filter((s): s is string => !!s)))].sort();
}
