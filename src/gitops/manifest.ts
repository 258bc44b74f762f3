/** The parts of a Kubernetes manifest the GitOps logic reads; everything else passes through untouched. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name?: string;
    readonly generateName?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** Identifies one object in a cluster. `namespace` is empty for cluster-scoped objects. */
export interface ResourceRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export const COMPONENT_LABEL = 'app.kubernetes.io/component';

export { POD_SPEC_PATHS } from '../manifests/pod-spec.ts';

/** `apps/v1` → `apps`, `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Built-in kinds without a namespace; CRDs in the manifests can add their own (see {@link crdScopes}). */
const BUILTIN_CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/VolumeAttachment',
]);

export function groupKind(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** Scopes declared by CustomResourceDefinitions among `manifests`, keyed by `group/Kind`. */
export function crdScopes(manifests: Iterable<Manifest>): Map<string, 'Cluster' | 'Namespaced'> {
  const scopes = new Map<string, 'Cluster' | 'Namespaced'>();
  for (const m of manifests) {
    if (m.kind !== 'CustomResourceDefinition') continue;
    const spec = m.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind && (spec.scope === 'Cluster' || spec.scope === 'Namespaced')) {
      scopes.set(groupKind(spec.group, spec.names.kind), spec.scope);
    }
  }
  return scopes;
}

export function isClusterScoped(group: string, kind: string, scopes: ReadonlyMap<string, string> = new Map()): boolean {
  const key = groupKind(group, kind);
  return BUILTIN_CLUSTER_SCOPED.has(key) || scopes.get(key) === 'Cluster';
}

export function refOf(m: Manifest): ResourceRef {
  return { group: groupOf(m.apiVersion), kind: m.kind, namespace: m.metadata.namespace ?? '', name: m.metadata.name ?? '' };
}

/** `Deployment observability/grafana`, `ClusterRole o11y-controller`. */
export function describeRef(r: ResourceRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function refKey(r: ResourceRef): string {
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
}
