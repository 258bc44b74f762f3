import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { TolerationConfig } from '../src/model/types.ts';
import { httpProbe, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { container, defaultResources, nodeDaemonSet, serviceAccount, type ComponentId, type WorkloadProps } from './workload.ts';

/** App name of node-exporter, and the name of its scrape job. */
export const NODE_EXPORTER = 'node-exporter';
/** node-exporter's registered port; on the node's address, since it runs on the host network. */
export const NODE_EXPORTER_PORT = 9100;

/** Where the host's file systems appear in the container; all read-only. */
export const NODE_EXPORTER_HOST_PATHS = { proc: '/host/proc', sys: '/host/sys', root: '/host/root' } as const;

/** Interfaces of pods (veth pairs, CNI devices) are cAdvisor's business, not the node's: keep one series per physical or bond device. */
const POD_INTERFACES = '^(veth.*|cali.*|cilium.*|lxc.*|gke.*|eni.*|azv.*|flannel.*|cni.*|vxlan.*|tunl.*|[a-f0-9]{15})$';
/** Container and kubelet mounts repeat the node's file systems once per pod. */
const POD_MOUNTS = '^/(dev|proc|sys|run/containerd/.+|run/k8s.io/.+|var/lib/docker/.+|var/lib/containerd/.+|var/lib/kubelet/.+)($|/)';

export interface NodeExporterProps extends WorkloadProps {
  /** The agent namespace: PSS `privileged`, the stack's documented exception. */
  readonly namespace: string;
  /**
   * Taints it tolerates: node metrics are wanted from every node, like the agents' logs.
   * @default [{ operator: 'Exists' }]
   */
  readonly tolerations?: readonly TolerationConfig[];
}

/**
 * node-exporter on every node, in the agent namespace. Chosen over the collector's `hostmetrics`
 * receiver because the node alerts and dashboards (node-mixin style) read `node_*` series: the
 * receiver's `system.*` metrics have other names and units, and it reports neither clock sync
 * (`node_timex_*`) nor OOM kills (`node_vmstat_oom_kill`). Either needs the same host access.
 *
 * What it gets of the host, and why: the host network (network counters are per network
 * namespace, so only there does it see the node's interfaces; it listens on the node's own
 * address), and `/proc`, `/sys` and `/` mounted read-only (CPU, memory, disks, file systems). No
 * host PID (the host's `/proc` is mounted), no privilege, every capability dropped, non-root, a
 * read-only root filesystem, no ServiceAccount token.
 */
export class NodeExporter extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: NodeExporterProps) {
    super(scope, name);
    const id: ComponentId = { app: NODE_EXPORTER, component: NODE_EXPORTER, namespace: props.namespace };
    this.id = id;
    serviceAccount(this, ctx, id);
    const hostMounts = [
      { name: 'proc', hostPath: '/proc', mountPath: NODE_EXPORTER_HOST_PATHS.proc },
      { name: 'sys', hostPath: '/sys', mountPath: NODE_EXPORTER_HOST_PATHS.sys },
      { name: 'root', hostPath: '/', mountPath: NODE_EXPORTER_HOST_PATHS.root },
    ];
    this.workload = nodeDaemonSet(this, ctx, id, {
      overrides: props.overrides,
      serviceAccountName: id.app,
      usesKubernetesApi: false,
      uid: 65534,
      hostNetwork: true,
      tolerations: props.tolerations?.map((t) => ({ ...t })),
      containers: [
        container({
          name: NODE_EXPORTER,
          image: IMAGES.nodeExporter,
          args: [
            `--path.procfs=${NODE_EXPORTER_HOST_PATHS.proc}`,
            `--path.sysfs=${NODE_EXPORTER_HOST_PATHS.sys}`,
            `--path.rootfs=${NODE_EXPORTER_HOST_PATHS.root}`,
            // The node's own address, not every interface of the host (a public one included).
            `--web.listen-address=$(NODE_IP):${NODE_EXPORTER_PORT}`,
            `--collector.netdev.device-exclude=${POD_INTERFACES}`,
            `--collector.netclass.ignored-devices=${POD_INTERFACES}`,
            `--collector.filesystem.mount-points-exclude=${POD_MOUNTS}`,
          ],
          env: [{ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
          ports: [{ name: 'metrics', containerPort: NODE_EXPORTER_PORT }],
          resources: props.overrides?.resources ?? defaultResources('nodeExporter'),
          liveness: httpProbe('/', 'metrics'),
          readiness: httpProbe('/', 'metrics'),
          mounts: hostMounts.map((m) => ({
            name: m.name,
            mountPath: m.mountPath,
            readOnly: true,
            // Volumes mounted on the host after start-up (a new PV) show up too.
            ...(m.name === 'root' ? { mountPropagation: 'HostToContainer' } : {}),
          })),
        }),
      ],
      volumes: hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: 'Directory' } })),
    });
    // No NetworkPolicy: policies do not select host-network pods. The scrapers' egress to it is
    // declared with the scrape flows (to the node addresses, port NODE_EXPORTER_PORT).
  }
}
