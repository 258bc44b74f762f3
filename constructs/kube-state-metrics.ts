import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { httpProbe, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { API_SERVER_PORTS } from './network-policy.ts';
import { clusterRoleFor, container, podTemplate, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

const METRICS_PORT = 8080;
const TELEMETRY_PORT = 8081;

/** Resources exported, by API group. Secrets and ConfigMaps are left out: nobody needs to list them for metrics. */
const RESOURCES: Record<string, string[]> = {
  '': ['endpoints', 'limitranges', 'namespaces', 'nodes', 'persistentvolumeclaims', 'persistentvolumes', 'pods', 'replicationcontrollers', 'resourcequotas', 'services'],
  apps: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'],
  autoscaling: ['horizontalpodautoscalers'],
  batch: ['cronjobs', 'jobs'],
  'networking.k8s.io': ['ingresses', 'networkpolicies'],
  policy: ['poddisruptionbudgets'],
  'storage.k8s.io': ['storageclasses'],
};

export interface KubeStateMetricsProps extends WorkloadProps {
  readonly namespace: string;
}

/**
 * kube-state-metrics: workload, pod and node state as the `kube_*` series that the community's
 * alerts and dashboards expect. Chosen over the collector's `k8s_cluster` receiver for that
 * compatibility; node labels include `kubernetes.io/arch` for per-architecture views.
 */
export class KubeStateMetrics extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: KubeStateMetricsProps) {
    super(scope, name);
    const id: ComponentId = { app: 'kube-state-metrics', component: 'kube-state-metrics', namespace: props.namespace };
    this.id = id;
    serviceAccount(this, ctx, id);
    clusterRoleFor(
      this,
      ctx,
      id,
      // Informers only: list and watch, not even get.
      Object.entries(RESOURCES).map(([group, resources]) => ({ apiGroups: [group], resources, verbs: ['list', 'watch'] })),
    );
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides),
      spec: {
        replicas: 1,
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: 65534,
          spreadAcrossArchitectures: false,
          containers: [
            container({
              name: 'kube-state-metrics',
              image: IMAGES.kubeStateMetrics,
              args: [
                `--port=${METRICS_PORT}`,
                `--telemetry-port=${TELEMETRY_PORT}`,
                `--resources=${Object.values(RESOURCES).flat().sort().join(',')}`,
                '--metric-labels-allowlist=nodes=[kubernetes.io/arch,kubernetes.io/os]',
              ],
              ports: [
                { name: 'metrics', containerPort: METRICS_PORT },
                { name: 'telemetry', containerPort: TELEMETRY_PORT },
              ],
              resources: props.overrides?.resources ?? defaultResources('kubeStateMetrics'),
              liveness: httpProbe('/livez', 'metrics'),
              readiness: httpProbe('/readyz', 'telemetry', { periodSeconds: 5 }),
            }),
          ],
        }),
      },
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(
      { from: self, to: { apiServer: true }, ports: API_SERVER_PORTS, why: 'kube-state-metrics lists and watches the objects it reports' },
    );
  }
}
