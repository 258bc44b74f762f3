import { POD_SPEC_PATHS, type Manifest, type ResourceRef } from './manifest.ts';

/** An object another object needs to exist before it can work. */
export interface Reference {
  readonly target: ResourceRef;
  /** Where in the referring object, e.g. `spec.template.spec.volumes[config].configMap`. */
  readonly field: string;
  /** The referrer works without it (`optional: true`, or something every namespace has). */
  readonly optional: boolean;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Every object `m` refers to by name: its namespace, and what its pods run as, mount and read,
 * a StatefulSet's governing Service, the subjects and roles of bindings. Pure.
 */
export function referencesOf(m: Manifest): Reference[] {
  const refs: Reference[] = [];
  const namespace = m.metadata.namespace ?? '';
  const add = (group: string, kind: string, ns: string, name: string | undefined, field: string, optional = false) => {
    if (name) refs.push({ target: { group, kind, namespace: ns, name }, field, optional });
  };
  if (namespace) add('', 'Namespace', '', namespace, 'metadata.namespace');

  const podPath = POD_SPEC_PATHS[m.kind];
  if (podPath) {
    const pod = podPath.reduce<Json>((o, k) => obj(o[k]), m as unknown as Json);
    const at = podPath.join('.');
    const sa = str(pod.serviceAccountName);
    // Every namespace has a "default" ServiceAccount.
    add('', 'ServiceAccount', namespace, sa, `${at}.serviceAccountName`, sa === 'default');
    for (const s of list(pod.imagePullSecrets)) add('', 'Secret', namespace, str(s.name), `${at}.imagePullSecrets`);
    for (const v of list(pod.volumes)) {
      const where = `${at}.volumes[${str(v.name) ?? '?'}]`;
      const cm = obj(v.configMap);
      add('', 'ConfigMap', namespace, str(cm.name), `${where}.configMap`, cm.optional === true);
      const secret = obj(v.secret);
      add('', 'Secret', namespace, str(secret.secretName), `${where}.secret`, secret.optional === true);
      add('', 'PersistentVolumeClaim', namespace, str(obj(v.persistentVolumeClaim).claimName), `${where}.persistentVolumeClaim`);
      for (const source of list(obj(v.projected).sources)) {
        const pcm = obj(source.configMap);
        add('', 'ConfigMap', namespace, str(pcm.name), `${where}.projected.configMap`, pcm.optional === true);
        const psecret = obj(source.secret);
        add('', 'Secret', namespace, str(psecret.name), `${where}.projected.secret`, psecret.optional === true);
      }
    }
    for (const c of [...list(pod.initContainers), ...list(pod.containers)]) {
      const where = `${at}.containers[${str(c.name) ?? '?'}]`;
      for (const e of list(c.env)) {
        const from = obj(e.valueFrom);
        const cmKey = obj(from.configMapKeyRef);
        add('', 'ConfigMap', namespace, str(cmKey.name), `${where}.env[${str(e.name) ?? '?'}]`, cmKey.optional === true);
        const secretKey = obj(from.secretKeyRef);
        add('', 'Secret', namespace, str(secretKey.name), `${where}.env[${str(e.name) ?? '?'}]`, secretKey.optional === true);
      }
      for (const e of list(c.envFrom)) {
        const cm = obj(e.configMapRef);
        add('', 'ConfigMap', namespace, str(cm.name), `${where}.envFrom`, cm.optional === true);
        const secret = obj(e.secretRef);
        add('', 'Secret', namespace, str(secret.name), `${where}.envFrom`, secret.optional === true);
      }
    }
  }
  if (m.kind === 'StatefulSet') add('', 'Service', namespace, str(obj(m.spec).serviceName), 'spec.serviceName');
  if (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') {
    for (const s of list(m.subjects)) {
      if (s.kind === 'ServiceAccount') add('', 'ServiceAccount', str(s.namespace) ?? namespace, str(s.name), 'subjects');
    }
    const role = obj(m.roleRef);
    const roleKind = str(role.kind);
    // Roles are ours; ClusterRoles may be built in (view, edit), so a missing one is not an error.
    if (roleKind === 'Role') add('rbac.authorization.k8s.io', 'Role', namespace, str(role.name), 'roleRef');
    if (roleKind === 'ClusterRole') add('rbac.authorization.k8s.io', 'ClusterRole', '', str(role.name), 'roleRef', true);
  }
  return refs;
}
