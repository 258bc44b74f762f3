import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { httpProbe, serviceHost, type StackContext } from './common.ts';
import { IMAGES } from '../src/model/images.ts';
import { API_SERVER_PORTS, type Flow } from './network-policy.ts';
import { clusterRoleFor, container, podTemplate, READ, service, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadOverrides, type WorkloadProps } from './workload.ts';

export const CONTROLLER_METRICS_PORT = 9464;
/** The Node base image's unprivileged `node` user. */
const NODE_UID = 1000;

export interface O11yControllerProps extends WorkloadProps {
  readonly namespace: string;
  /**
   * Node architectures every spread workload must have a ready pod on and every DaemonSet must
   * cover (`--require-arch`).
   * @default the stack's `architectures`
   */
  readonly architectures?: readonly string[];
  /**
   * Also synthesize an Argo CD PostSync hook Job that runs `o11y check --wait`, so that a sync
   * fails when the stack does not become healthy.
   * @default false
   */
  readonly hook?: boolean;
  /**
   * How long the hook waits for the stack to become healthy.
   * @default '10m'
   */
  readonly hookTimeout?: string;
  /**
   * Namespace, port, app and API path prefix of the Prometheus (or vmselect, which answers the rules
   * API from vmalert) whose rules are checked.
   * @default the controller's namespace, port 9090, app `prometheus`, no prefix
   */
  readonly prometheus?: { readonly namespace?: string; readonly port?: number; readonly app?: string; readonly path?: string };
}

/**
 * The `o11y watch` controller: a Deployment that keeps checking the stack's rollout (per node
 * architecture) and SLO rules and exports the verdict on /metrics. Its ClusterRole only reads
 * (get/list/watch); it never writes to the cluster. Optionally an Argo CD PostSync hook Job runs
 * the same check once per sync with the same read-only ServiceAccount.
 */
export class O11yController extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: O11yControllerProps) {
    super(scope, name);
    const id: ComponentId = { app: 'o11y-controller', component: 'controller', namespace: props.namespace };
    this.id = id;
    const architectures = props.architectures ?? ctx.architectures;
    const prometheusUrl = `http://${serviceHost(props.prometheus?.app ?? 'prometheus', props.prometheus?.namespace ?? props.namespace)}:${props.prometheus?.port ?? 9090}${props.prometheus?.path ?? ''}`;
    // In the cluster Prometheus is reached directly, so no services/proxy permission is needed.
    const checkArgs = [`--part-of=${ctx.stackName}`, `--prometheus-url=${prometheusUrl}`, `--require-arch=${architectures.join(',')}`];

    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, [
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: READ },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: READ },
    ]);

    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides),
      spec: {
        replicas: 1,
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: NODE_UID,
          spreadAcrossArchitectures: false,
          containers: [
            container({
              ...controllerContainer(props.overrides),
              args: ['watch', `--listen=:${CONTROLLER_METRICS_PORT}`, ...checkArgs],
              ports: [{ name: 'metrics', containerPort: CONTROLLER_METRICS_PORT }],
              liveness: httpProbe('/healthz', 'metrics'),
              readiness: httpProbe('/readyz', 'metrics', { periodSeconds: 5 }),
            }),
          ],
        }),
      },
    });
    service(this, ctx, id, [{ name: 'metrics', port: CONTROLLER_METRICS_PORT, targetPort: 'metrics' }]);
    const prometheus = { app: props.prometheus?.app ?? 'prometheus', namespace: props.prometheus?.namespace ?? id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.add(...checkerFlows(id, prometheus, props.prometheus?.port ?? 9090));

    if (props.hook) this.postSyncHook(ctx, id, checkArgs, props.hookTimeout ?? '10m', props);
  }

  private postSyncHook(ctx: StackContext, controller: ComponentId, checkArgs: string[], timeout: string, props: O11yControllerProps): void {
    const prometheus = props.prometheus;
    // Its own app name: the controller's Service must not select the hook's pod.
    const id: ComponentId = { app: 'o11y-check', component: 'controller', namespace: controller.namespace };
    // The controller's overrides, but not its extra arguments, which are `o11y watch`'s.
    const overrides = props.overrides && { ...props.overrides, extraArgs: undefined };
    const template = podTemplate(ctx, id, {
      overrides,
      serviceAccountName: controller.app,
      usesKubernetesApi: true,
      uid: NODE_UID,
      spreadAcrossArchitectures: false,
      containers: [container({ ...controllerContainer(overrides), args: ['check', '--wait', `--timeout=${timeout}`, ...checkArgs] })],
    });
    new k8s.KubeJob(this, 'postsync-hook', {
      metadata: workloadMetadata(ctx, id, overrides, {
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          // A fixed name is safe because the previous run is deleted before the next is created.
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
        },
      }),
      spec: {
        backoffLimit: 0,
        // The check ends itself at --timeout; the deadline is only a backstop.
        activeDeadlineSeconds: 3600,
        template: { ...template, spec: { ...template.spec!, restartPolicy: 'Never' } },
      },
    });
    ctx.flows.register(this, id);
    ctx.flows.add(...checkerFlows(id, { app: prometheus?.app ?? 'prometheus', namespace: prometheus?.namespace ?? id.namespace }, prometheus?.port ?? 9090));
  }
}

/** What `o11y check` and `o11y watch` reach: the API server and the Prometheus whose rules they check. */
function checkerFlows(checker: ComponentId, prometheus: { app: string; namespace: string }, port: number): Flow[] {
  const from = { app: checker.app, namespace: checker.namespace };
  return [
    { from, to: { apiServer: true }, ports: API_SERVER_PORTS, why: `${checker.app} reads workloads, pods and nodes` },
    { from, to: prometheus, ports: [port], why: `${checker.app} reads rule health from Prometheus` },
  ];
}

/** The controller image's container. It runs a bundled CLI (no tsx), so it needs no writable path. */
function controllerContainer(overrides: WorkloadOverrides | undefined) {
  return {
    name: 'o11y',
    image: IMAGES.o11yController,
    resources: overrides?.resources ?? defaultResources('controller'),
  };
}
