import { createHash } from 'node:crypto';
import type { ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { deployedReference } from '../src/config/images.ts';
import { DEFAULT_SIZE, SIZE_PRESETS } from '../src/config/sizes.ts';
import type { ExtraEnvConfig, PodOverridesConfig } from '../src/model/types.ts';
import type { Workload } from '../src/config/workloads.ts';
import {
  archScheduling,
  metadata,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  selectorLabels,
  stackLabels,
  type Resources,
  type StackContext,
} from './common.ts';

/** Identity of one component: its app name (object names) and its `app.kubernetes.io/component`. */
export interface ComponentId {
  readonly app: string;
  readonly component: string;
  readonly namespace: string;
}

export interface ContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly env?: k8s.EnvVar[];
  readonly ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  readonly resources: Resources;
  readonly startup?: k8s.Probe;
  readonly liveness?: k8s.Probe;
  readonly readiness?: k8s.Probe;
  readonly mounts?: k8s.VolumeMount[];
  /** Overrides the `restricted` defaults; only the node agent needs this. */
  readonly securityContext?: k8s.SecurityContext;
}

/**
 * A workload's settings from the config (resolved per cluster by `resolveWorkload`): the construct
 * gives `resources` to its container, {@link podTemplate} applies the rest, merged with the stack's
 * own scheduling, labels and arguments, never replacing them.
 */
export interface WorkloadOverrides extends Omit<PodOverridesConfig, 'resources'> {
  /** @default the workload's resources in the default size */
  readonly resources?: Resources;
}

/** Props every construct of a workload takes: the user's settings for it. */
export interface WorkloadProps {
  /**
   * Resources, scheduling, pod metadata, extra arguments and env from the config (charts pass the
   * component's, resolved for the cluster).
   * @default the default size's resources, nothing else
   */
  readonly overrides?: WorkloadOverrides;
}

/** A workload's resources in the default size, for a construct given no `overrides.resources`. */
export function defaultResources(workload: Workload): Resources {
  return SIZE_PRESETS[DEFAULT_SIZE].resources[workload];
}

/** Metadata of a component's main object (its workload, Service, ServiceAccount): named after the app. */
export function componentMetadata(ctx: StackContext, id: ComponentId, opts: { annotations?: Record<string, string>; externalSecrets?: readonly string[] } = {}): ApiObjectMetadata {
  return metadata(ctx, { name: id.app, namespace: id.namespace, app: id.app, component: id.component, ...opts });
}

/**
 * Metadata of a workload object: {@link componentMetadata} with the user's Secrets its pods read
 * (image pull secrets, `extraEnv` secretKeyRefs) added to the external-secrets annotation.
 */
export function workloadMetadata(ctx: StackContext, id: ComponentId, overrides: WorkloadOverrides | undefined, opts: { annotations?: Record<string, string>; externalSecrets?: readonly string[] } = {}): ApiObjectMetadata {
  const fromEnv = (overrides?.extraEnv ?? []).flatMap((e) => ('valueFrom' in e ? [e.valueFrom.secretKeyRef.name] : []));
  const externalSecrets = [...new Set([...(opts.externalSecrets ?? []), ...ctx.images.pullSecrets, ...fromEnv])];
  return componentMetadata(ctx, id, { ...opts, externalSecrets });
}

/** The label selector of a component's pods. */
export function podSelector(ctx: StackContext, id: ComponentId): k8s.LabelSelector {
  return { matchLabels: selectorLabels(ctx, id.app) };
}

/** A container with the `restricted` security context and resources always set. */
export function container(o: ContainerOptions): k8s.Container {
  return {
    name: o.name,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    args: o.args,
    env: o.env,
    ports: o.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    resources: resourceRequirements(o.resources),
    startupProbe: o.startup,
    livenessProbe: o.liveness,
    readinessProbe: o.readiness,
    volumeMounts: o.mounts,
    securityContext: o.securityContext ?? restrictedContainerSecurity(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export interface PodTemplateOptions {
  readonly containers: k8s.Container[];
  /** Run to completion, in order, before the containers start. @default none */
  readonly initContainers?: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  readonly serviceAccountName: string;
  /** Mount the ServiceAccount token only for pods that call the Kubernetes API. */
  readonly usesKubernetesApi: boolean;
  /** Non-root user and group the image runs as. */
  readonly uid: number;
  /** Spread replicas across architectures (per `spreadAcrossArchitectures`). */
  readonly spreadAcrossArchitectures: boolean;
  /** Config contents whose change must roll the pods; hashed into an annotation. */
  readonly configContents?: string[];
  readonly extraLabels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /**
   * Replaces the architecture toleration; the node agent tolerates every taint by default.
   * @default the `kubernetes.io/arch=arm64:NoSchedule` toleration when arm64 is configured
   */
  readonly tolerations?: readonly k8s.Toleration[];
  /** Replaces the `restricted` pod security context (node agent only). */
  readonly securityContext?: k8s.PodSecurityContext;
  /** The node's network namespace (node-exporter only: it reports the host's interfaces). */
  readonly hostNetwork?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  /**
   * The user's settings: labels, annotations, node selector, tolerations, affinity and priority
   * class on the pod; extra arguments and env vars on its first container (the component's own).
   * @default none
   */
  readonly overrides?: WorkloadOverrides;
}

/**
 * Pod template with the stack's labels, security defaults and architecture scheduling, the
 * cluster's image supply (mirror, digests, pull secrets) and the user's overrides.
 */
export function podTemplate(ctx: StackContext, id: ComponentId, o: PodTemplateOptions): k8s.PodTemplateSpec {
  const user = o.overrides ?? {};
  const labels = { ...stackLabels(ctx, id.app, id.component), ...o.extraLabels, ...user.podLabels };
  const scheduling = archScheduling(ctx, selectorLabels(ctx, id.app), { spread: o.spreadAcrossArchitectures, affinity: user.affinity });
  const annotations = { ...user.podAnnotations, ...o.annotations };
  if (o.configContents?.length) {
    annotations['o11y.dev/config-hash'] = createHash('sha256').update(o.configContents.join('\0')).digest('hex').slice(0, 16);
  }
  const tolerations = [...(o.tolerations ?? scheduling.tolerations ?? []), ...(user.tolerations ?? []).map((t) => ({ ...t }))];
  const pullSecrets = ctx.images.pullSecrets;
  return {
    metadata: { labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      serviceAccountName: o.serviceAccountName,
      automountServiceAccountToken: o.usesKubernetesApi,
      securityContext: o.securityContext ?? restrictedPodSecurity(o.uid),
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      ...(user.priorityClassName ? { priorityClassName: user.priorityClassName } : {}),
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
      ...(o.initContainers?.length ? { initContainers: o.initContainers.map((c) => ({ ...c, image: deployedReference(c.image!, ctx.images, ctx.imageDigests) })) } : {}),
      containers: o.containers.map((c, i) => ({
        ...(i === 0 ? withExtras(c, user) : c),
        image: deployedReference(c.image!, ctx.images, ctx.imageDigests),
      })),
      volumes: o.volumes,
      terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
      enableServiceLinks: false,
      // Every image is Linux-only: keep pods (the agent DaemonSet too) off Windows nodes.
      nodeSelector: { 'kubernetes.io/os': 'linux', ...user.nodeSelector },
      ...scheduling,
      tolerations: tolerations.length ? tolerations : undefined,
    },
  };
}

/** The container with the user's extra arguments after its own, and extra env vars (one of the same name replaces the stack's). */
function withExtras(c: k8s.Container, user: WorkloadOverrides): k8s.Container {
  const env = (user.extraEnv ?? []).map(envVar);
  const names = new Set(env.map((e) => e.name));
  return {
    ...c,
    ...(user.extraArgs?.length ? { args: [...(c.args ?? []), ...user.extraArgs] } : {}),
    ...(env.length ? { env: [...(c.env ?? []).filter((e) => !names.has(e.name)), ...env] } : {}),
  };
}

function envVar(e: ExtraEnvConfig): k8s.EnvVar {
  return 'value' in e ? { name: e.name, value: e.value } : { name: e.name, valueFrom: { secretKeyRef: { ...e.valueFrom.secretKeyRef } } };
}

/**
 * A DaemonSet on every node: replaced 10% of the nodes at a time, tolerating every taint unless
 * `tolerations` says otherwise (node pools are tainted for all sorts of reasons; node-level data
 * is wanted from all of them).
 */
export function nodeDaemonSet(scope: Construct, ctx: StackContext, id: ComponentId, o: Omit<PodTemplateOptions, 'spreadAcrossArchitectures' | 'tolerations'> & { tolerations?: readonly k8s.Toleration[] }): k8s.KubeDaemonSet {
  return new k8s.KubeDaemonSet(scope, 'daemonset', {
    metadata: workloadMetadata(ctx, id, o.overrides),
    spec: {
      selector: podSelector(ctx, id),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
      template: podTemplate(ctx, id, { ...o, spreadAcrossArchitectures: false, tolerations: o.tolerations ?? [{ operator: 'Exists' }] }),
    },
  });
}

/** A ServiceAccount; its token is never automounted (pods opt in through their template). */
export function serviceAccount(scope: Construct, ctx: StackContext, id: ComponentId, annotations?: Record<string, string>): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, `${id.app}-sa`, {
    metadata: metadata(ctx, { name: id.app, namespace: id.namespace, app: id.app, component: id.component, annotations }),
    automountServiceAccountToken: false,
  });
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Named container port. */
  readonly targetPort: string;
}

/** A ClusterIP Service selecting the component's pods; `headless` for StatefulSet identities. */
export function service(scope: Construct, ctx: StackContext, id: ComponentId, ports: ServicePort[], opts: { name?: string; headless?: boolean; internalTrafficPolicy?: 'Local' } = {}): k8s.KubeService {
  const name = opts.name ?? id.app;
  return new k8s.KubeService(scope, `${name}-svc`, {
    metadata: metadata(ctx, { name, namespace: id.namespace, app: id.app, component: id.component }),
    spec: {
      type: 'ClusterIP',
      ...(opts.headless ? { clusterIp: 'None', publishNotReadyAddresses: true } : {}),
      ...(opts.internalTrafficPolicy ? { internalTrafficPolicy: opts.internalTrafficPolicy } : {}),
      selector: selectorLabels(ctx, id.app),
      ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.targetPort), protocol: 'TCP' })),
    },
  });
}

/** A ConfigMap of text files. */
export function configMap(scope: Construct, ctx: StackContext, id: ComponentId, name: string, data: Record<string, string>, component = id.component): k8s.KubeConfigMap {
  return new k8s.KubeConfigMap(scope, `${name}-cm`, {
    metadata: metadata(ctx, { name, namespace: id.namespace, app: id.app, component }),
    data,
  });
}

export interface ClusterRoleRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceUrLs?: string[];
  readonly verbs: string[];
}

/** A ClusterRole bound to the component's ServiceAccount; read-only callers pass only get/list/watch. */
export function clusterRoleFor(scope: Construct, ctx: StackContext, id: ComponentId, rules: ClusterRoleRule[]): void {
  // Cluster-scoped names get the namespace prefix so that two stacks in one cluster do not collide.
  const name = `${id.namespace}-${id.app}`;
  new k8s.KubeClusterRole(scope, `${id.app}-clusterrole`, {
    metadata: metadata(ctx, { name, app: id.app, component: id.component }),
    rules: rules.map((r) => ({ ...r })),
  });
  new k8s.KubeClusterRoleBinding(scope, `${id.app}-clusterrolebinding`, {
    metadata: metadata(ctx, { name, app: id.app, component: id.component }),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: id.app, namespace: id.namespace }],
  });
}

/** A Role in the component's namespace, bound to its ServiceAccount: for what a ClusterRole must not grant (writes). */
export function roleFor(scope: Construct, ctx: StackContext, id: ComponentId, name: string, rules: ClusterRoleRule[]): void {
  new k8s.KubeRole(scope, `${name}-role`, {
    metadata: metadata(ctx, { name, namespace: id.namespace, app: id.app, component: id.component }),
    rules: rules.map((r) => ({ ...r })),
  });
  new k8s.KubeRoleBinding(scope, `${name}-rolebinding`, {
    metadata: metadata(ctx, { name, namespace: id.namespace, app: id.app, component: id.component }),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: id.app, namespace: id.namespace }],
  });
}

/** Read-only verbs: all that the stack's own ClusterRoles ever grant. */
export const READ = ['get', 'list', 'watch'];
