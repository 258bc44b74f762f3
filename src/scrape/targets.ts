// Which pods, on which ports, a scrape job reaches: Prometheus' `kubernetes_sd_configs` discovery
// (the `__meta_kubernetes_*` labels of the roles pod, endpointslice, endpoints and service, as the
// Prometheus docs' kubernetes_sd_config section lists them) and `static_configs`, run through the
// job's `relabel_configs`; the target's final `__address__` names the pod and port connected to.
// Pure: the cluster is the pods and Services given (one pod per workload is enough for policies).

import { relabel, type Labels, type RelabelConfig } from './relabel.ts';

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: string;
}

/** A pod as discovery sees it; `ip` must be unique among the pods given (it maps addresses back to pods). */
export interface DiscoveredPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly nodeName: string;
  readonly hostNetwork: boolean;
  readonly controller?: { readonly kind: string; readonly name: string };
  readonly containers: readonly { readonly name: string; readonly image: string; readonly init: boolean; readonly ports: readonly ContainerPort[] }[];
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface DiscoveredService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** Absent: a Service without selector, whose endpoints nobody here manages. */
  readonly selector?: Labels;
  readonly ports: readonly ServicePort[];
}

export interface Cluster {
  readonly pods: readonly DiscoveredPod[];
  readonly services: readonly DiscoveredService[];
}

/** A connection a scrape makes to a pod: the job, the pod, the port. */
export interface Target {
  readonly job: string;
  readonly pod: DiscoveredPod;
  readonly port: number;
}

/** The parts of a scrape config that decide its targets. */
interface ScrapeJob {
  job_name: string;
  scheme?: string;
  metrics_path?: string;
  kubernetes_sd_configs?: { role: string; namespaces?: { names?: string[]; own_namespace?: boolean }; api_server?: string; kubeconfig_file?: string; selectors?: unknown[] }[];
  static_configs?: { targets?: string[]; labels?: Record<string, string> }[];
  relabel_configs?: RelabelConfig[];
}

/** Label names from Kubernetes label keys, as discovery writes them (`strutil.SanitizeLabelName`): every character outside `[a-zA-Z0-9_]` becomes `_`. */
export const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** `<prefix>_label_<name>`, `<prefix>_labelpresent_<name>`, and the same for annotations. */
function objectLabels(prefix: string, labels: Labels, annotations: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, map] of [['label', labels], ['annotation', annotations]] as const) {
    for (const [k, v] of Object.entries(map)) {
      out[`${prefix}_${kind}_${sanitize(k)}`] = v;
      out[`${prefix}_${kind}present_${sanitize(k)}`] = 'true';
    }
  }
  return out;
}

const join = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The pod role's labels common to all of a pod's targets. */
function podLabels(pod: DiscoveredPod): Record<string, string> {
  return {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_ip: pod.ip,
    ...objectLabels('__meta_kubernetes_pod', pod.labels, pod.annotations),
    __meta_kubernetes_pod_ready: 'true',
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_node_name: pod.nodeName,
    __meta_kubernetes_pod_host_ip: pod.hostNetwork ? pod.ip : '',
    __meta_kubernetes_pod_uid: `uid-${pod.namespace}-${pod.name}`,
    ...(pod.controller ? { __meta_kubernetes_pod_controller_kind: pod.controller.kind, __meta_kubernetes_pod_controller_name: pod.controller.name } : {}),
  };
}

type Container = DiscoveredPod['containers'][number];

function containerLabels(c: Container, port?: ContainerPort): Record<string, string> {
  return {
    __meta_kubernetes_pod_container_name: c.name,
    __meta_kubernetes_pod_container_image: c.image,
    __meta_kubernetes_pod_container_init: String(c.init),
    __meta_kubernetes_pod_container_id: '',
    ...(port
      ? {
          __meta_kubernetes_pod_container_port_name: port.name ?? '',
          __meta_kubernetes_pod_container_port_number: String(port.containerPort),
          __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
        }
      : {}),
  };
}

/** Role pod: a target per declared container port, or one per container without ports (address without port). */
export function podRoleTargets(pods: readonly DiscoveredPod[]): Labels[] {
  return pods.flatMap((pod) =>
    pod.containers.flatMap((c) =>
      c.ports.length
        ? c.ports.map((p) => ({ ...podLabels(pod), ...containerLabels(c, p), __address__: join(pod.ip, p.containerPort) }))
        : [{ ...podLabels(pod), ...containerLabels(c), __address__: pod.ip }],
    ),
  );
}

function serviceLabels(s: DiscoveredService): Record<string, string> {
  return { __meta_kubernetes_service_name: s.name, ...objectLabels('__meta_kubernetes_service', s.labels, s.annotations) };
}

/** The pods a Service's selector picks in its namespace (the endpoint controller's work). */
function backends(cluster: Cluster, s: DiscoveredService): DiscoveredPod[] {
  const selector = s.selector;
  if (!selector || !Object.keys(selector).length) return [];
  return cluster.pods.filter((p) => p.namespace === s.namespace && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
}

/** The container port a Service port reaches on a pod: `targetPort` by name or number, else `port`. */
function resolveTargetPort(pod: DiscoveredPod, sp: ServicePort): { container: Container; port: ContainerPort } | { number: number } | undefined {
  const target = sp.targetPort ?? sp.port;
  for (const container of pod.containers) {
    for (const port of container.ports) {
      if ((typeof target === 'string' ? port.name === target : port.containerPort === target) && (port.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return { container, port };
    }
  }
  // A numeric targetPort needs no declared container port; a name that no container declares gives no endpoint.
  return typeof target === 'number' ? { number: target } : undefined;
}

/**
 * Roles endpointslice and endpoints: a target per (backend pod, Service port), with the Service's
 * and the pod's labels (and its container's, when a declared port serves it), plus, as Prometheus
 * does, a target for each container port of a backend pod that no Service port reaches.
 */
export function endpointTargets(cluster: Cluster, role: 'endpointslice' | 'endpoints'): Labels[] {
  const slice = role === 'endpointslice';
  return cluster.services.flatMap((s) => {
    const pods = backends(cluster, s);
    const common = {
      __meta_kubernetes_namespace: s.namespace,
      ...serviceLabels(s),
      ...(slice
        ? {
            __meta_kubernetes_endpointslice_name: `${s.name}-abcde`,
            __meta_kubernetes_endpointslice_address_type: 'IPv4',
            ...objectLabels('__meta_kubernetes_endpointslice', { 'kubernetes.io/service-name': s.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }, {}),
          }
        : { __meta_kubernetes_endpoints_name: s.name, ...objectLabels('__meta_kubernetes_endpoints', s.labels, {}) }),
    };
    return pods.flatMap((pod) => {
      const served = new Set<ContainerPort>();
      const viaService = s.ports.flatMap((sp) => {
        const resolved = resolveTargetPort(pod, sp);
        if (!resolved) return [];
        const number = 'port' in resolved ? resolved.port.containerPort : resolved.number;
        if ('port' in resolved) served.add(resolved.port);
        const endpoint = slice
          ? {
              __meta_kubernetes_endpointslice_address_target_kind: 'Pod',
              __meta_kubernetes_endpointslice_address_target_name: pod.name,
              __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
              __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
              __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
              __meta_kubernetes_endpointslice_endpoint_node_name: pod.nodeName,
              __meta_kubernetes_endpointslice_port: String(number),
              __meta_kubernetes_endpointslice_port_name: sp.name ?? '',
              __meta_kubernetes_endpointslice_port_protocol: sp.protocol ?? 'TCP',
              ...(sp.appProtocol ? { __meta_kubernetes_endpointslice_port_app_protocol: sp.appProtocol } : {}),
            }
          : {
              __meta_kubernetes_endpoint_address_target_kind: 'Pod',
              __meta_kubernetes_endpoint_address_target_name: pod.name,
              __meta_kubernetes_endpoint_ready: 'true',
              __meta_kubernetes_endpoint_node_name: pod.nodeName,
              __meta_kubernetes_endpoint_port_name: sp.name ?? '',
              __meta_kubernetes_endpoint_port_protocol: sp.protocol ?? 'TCP',
              ...(sp.appProtocol ? { __meta_kubernetes_endpoint_port_app_protocol: sp.appProtocol } : {}),
            };
        return [{ ...common, ...podLabels(pod), ...('port' in resolved ? containerLabels(resolved.container, resolved.port) : {}), ...endpoint, __address__: join(pod.ip, number) }];
      });
      const unserved = pod.containers.flatMap((c) =>
        c.ports.filter((p) => !served.has(p)).map((p) => ({ ...common, ...podLabels(pod), ...containerLabels(c, p), __address__: join(pod.ip, p.containerPort) })),
      );
      return [...viaService, ...unserved];
    });
  });
}

/** Role service: a target per Service port, addressed by the Service's DNS name. */
export function serviceRoleTargets(cluster: Cluster): Labels[] {
  return cluster.services.flatMap((s) =>
    s.ports.map((sp) => ({
      __meta_kubernetes_namespace: s.namespace,
      ...serviceLabels(s),
      __meta_kubernetes_service_port_name: sp.name ?? '',
      __meta_kubernetes_service_port_number: String(sp.port),
      __meta_kubernetes_service_port_protocol: sp.protocol ?? 'TCP',
      __meta_kubernetes_service_type: 'ClusterIP',
      __address__: `${s.name}.${s.namespace}.svc:${sp.port}`,
    })),
  );
}

function discovered(cluster: Cluster, job: ScrapeJob, scraperNamespace: string): Labels[] {
  const fromSd = (job.kubernetes_sd_configs ?? []).flatMap((sd) => {
    // Another cluster's API server: its pods are not these.
    if (sd.api_server || sd.kubeconfig_file) return [];
    if (sd.selectors?.length) throw new Error(`job ${job.job_name}: kubernetes_sd_configs selectors are not emulated`);
    const names = [...(sd.namespaces?.names ?? []), ...(sd.namespaces?.own_namespace ? [scraperNamespace] : [])];
    const inNamespaces = (l: Labels) => !names.length || names.includes(l.__meta_kubernetes_namespace!);
    const candidates: Record<string, () => Labels[]> = {
      pod: () => podRoleTargets(cluster.pods),
      endpointslice: () => endpointTargets(cluster, 'endpointslice'),
      endpoints: () => endpointTargets(cluster, 'endpoints'),
      service: () => serviceRoleTargets(cluster),
      node: () => [], // the nodes' addresses: outside the pod network
      ingress: () => [], // addressed through the ingress controller, which the user runs
    };
    const role = candidates[sd.role];
    if (!role) throw new Error(`job ${job.job_name}: unknown kubernetes_sd_configs role "${sd.role}"`);
    return role().filter(inNamespaces);
  });
  const fromStatic = (job.static_configs ?? []).flatMap((sc) => (sc.targets ?? []).map((t) => ({ ...(sc.labels ?? {}), __address__: t })));
  return [...fromSd, ...fromStatic];
}

/**
 * Where an address connects in the cluster: a pod by IP, or a Service's backends by its DNS name
 * (`name.namespace`, `.svc`, `.svc.cluster.local`) on their target ports. Other hosts are outside.
 */
function connections(cluster: Cluster, address: string, scheme: string): { pod: DiscoveredPod; port: number }[] {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(address);
  if (!m) return [];
  const host = m[1] ?? m[2]!;
  const port = m[3] ? Number(m[3]) : scheme === 'https' ? 443 : 80;
  const pod = cluster.pods.find((p) => p.ip === host);
  if (pod) return [{ pod, port }];
  const service = cluster.services.find((s) => [`${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}.svc.cluster.local`].includes(host));
  const sp = service?.ports.find((p) => p.port === port);
  if (!service || !sp) return [];
  return backends(cluster, service).flatMap((b) => {
    const resolved = resolveTargetPort(b, sp);
    return resolved ? [{ pod: b, port: 'port' in resolved ? resolved.port.containerPort : resolved.number }] : [];
  });
}

/**
 * The (pod, port) connections of a scrape config's targets in `cluster`, after relabelling.
 * `scraperNamespace` resolves `own_namespace`. Throws NotEmulated (relabel.ts) for what only the
 * live cluster decides.
 */
export function scrapeTargets(cluster: Cluster, config: object, scraperNamespace: string): Target[] {
  const job = config as ScrapeJob;
  return discovered(cluster, job, scraperNamespace).flatMap((labels) => {
    const kept = relabel({ job: job.job_name, __scheme__: job.scheme ?? 'http', __metrics_path__: job.metrics_path ?? '/metrics', ...labels }, job.relabel_configs ?? []);
    return kept?.__address__ ? connections(cluster, kept.__address__, kept.__scheme__ ?? 'http').map((c) => ({ job: job.job_name, ...c })) : [];
  });
}

/** The manifest fields discovery reads. */
export interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Labels; readonly annotations?: Labels };
  readonly spec?: unknown;
}

interface PodSpec {
  hostNetwork?: boolean;
  containers?: { name: string; image?: string; ports?: ContainerPort[] }[];
  initContainers?: { name: string; image?: string; ports?: ContainerPort[] }[];
}
interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Labels };
  spec: PodSpec;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];
/** The kinds of manifest {@link clusterFromManifests} reads; it ignores the others. */
export const DISCOVERED_KINDS: ReadonlySet<string> = new Set(['Pod', ...WORKLOAD_KINDS, 'CronJob', 'Service']);

/** The pod template of a workload manifest (a CronJob's is two levels down). */
function templateOf(m: Manifest): PodTemplate | undefined {
  const spec = m.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } } | undefined;
  if (m.kind === 'Pod') return { metadata: m.metadata, spec: m.spec as PodSpec };
  if (WORKLOAD_KINDS.includes(m.kind)) return spec?.template;
  if (m.kind === 'CronJob') return spec?.jobTemplate?.spec.template;
  return undefined;
}

/**
 * The cluster discovery would see once the manifests are applied: one running pod per workload
 * (named after it, with a distinct IP from 10.244.0.0/16) and the Services with their ports.
 */
export function clusterFromManifests(manifests: readonly Manifest[]): Cluster {
  const pods = manifests.flatMap((m): DiscoveredPod[] => {
    const template = templateOf(m);
    if (!template) return [];
    const containers = (list: PodSpec['containers'], init: boolean) => (list ?? []).map((c) => ({ name: c.name, image: c.image ?? '', init, ports: c.ports ?? [] }));
    return [
      {
        namespace: m.metadata.namespace ?? 'default',
        name: `${m.metadata.name}-0`,
        ip: '',
        labels: template.metadata?.labels ?? {},
        annotations: template.metadata?.annotations ?? {},
        nodeName: 'node-1',
        hostNetwork: template.spec.hostNetwork === true,
        ...(m.kind === 'Pod' ? {} : { controller: { kind: m.kind, name: m.metadata.name ?? '' } }),
        containers: [...containers(template.spec.containers, false), ...containers(template.spec.initContainers, true)],
      },
    ];
  }).map((p, i) => ({ ...p, ip: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
  const services = manifests.flatMap((m): DiscoveredService[] => {
    if (m.kind !== 'Service') return [];
    const spec = m.spec as { selector?: Labels; ports?: ServicePort[] } | undefined;
    return [{ namespace: m.metadata.namespace ?? 'default', name: m.metadata.name ?? '', labels: m.metadata.labels ?? {}, annotations: m.metadata.annotations ?? {}, ...(spec?.selector ? { selector: spec.selector } : {}), ports: spec?.ports ?? [] }];
  });
  return { pods, services };
}
