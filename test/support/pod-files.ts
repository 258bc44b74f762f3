import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { K8sObject } from './manifest-checks.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const roots: string[] = [];

/** Removes every temp root laid out so far (for `afterAll`). */
export function removePodFiles(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

interface Container {
  name: string;
  args?: string[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string };
}

/** One container's file system as its pod would see it, laid out under a temp root. */
export interface PodFiles {
  readonly root: string;
  readonly args: readonly string[];
  /** Mount paths of ConfigMap volumes (files synthesized by us). */
  readonly configMapMounts: readonly string[];
  /** Every file written from a ConfigMap, as an in-pod path. */
  readonly configMapFiles: readonly string[];
  /** Mount paths of Secret volumes (user-owned: their files are written on demand). */
  readonly secretMounts: readonly string[];
  /** Mount paths of the data volumes (emptyDir, PVC, …): empty folders. */
  readonly dataMounts: readonly string[];
  /** The data mounts not mounted `readOnly`: where the container may write. */
  readonly writableMounts: readonly string[];
  /** The host path of an in-pod path. */
  hostPath(podPath: string): string;
}

function podSpecOf(workload: K8sObject): { containers: Container[]; volumes?: Volume[]; automountServiceAccountToken?: boolean } {
  return (workload.spec as { template: { spec: never } }).template.spec;
}

/**
 * Lays out the files `container` of workload `name` mounts: ConfigMap volumes with their synthesized
 * data (honouring `items` and `subPath`), empty folders for Secret, emptyDir and PVC volumes, and the
 * service-account files when the token is mounted. Absolute paths inside the pod become
 * `<root><path>` on the host.
 */
export function layOutPodFiles(objects: readonly K8sObject[], name: string, container: string): PodFiles {
  const workload = objects.find((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind) && o.metadata.name === name);
  if (!workload) throw new Error(`no workload named ${name}`);
  const spec = podSpecOf(workload);
  const c = spec.containers.find((x) => x.name === container);
  if (!c) throw new Error(`${workload.kind} ${name} has no container ${container}`);
  const root = mkdtempSync(join(tmpdir(), `o11y-pod-${name}-`));
  roots.push(root);
  const hostPath = (podPath: string) => join(root, podPath);
  const write = (podPath: string, text: string) => {
    mkdirSync(dirname(hostPath(podPath)), { recursive: true });
    writeFileSync(hostPath(podPath), text);
  };
  const configMapMounts: string[] = [];
  const configMapFiles: string[] = [];
  const secretMounts: string[] = [];
  const dataMounts: string[] = [];
  const writableMounts: string[] = [];
  for (const mount of c.volumeMounts ?? []) {
    const claims: Volume[] = ((workload.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map((t) => ({ name: t.metadata.name }));
    const volume = [...(spec.volumes ?? []), ...claims].find((v) => v.name === mount.name);
    if (!volume) throw new Error(`${name}/${container}: volumeMount ${mount.name} has no volume`);
    if (volume.configMap) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name && o.metadata.namespace === workload.metadata.namespace);
      if (!cm) throw new Error(`${name}: ConfigMap ${volume.configMap.name} is mounted but not synthesized`);
      const data = (cm.data ?? {}) as Record<string, string>;
      const files = volume.configMap.items ? volume.configMap.items.map((i) => [i.path, data[i.key]!] as const) : Object.entries(data);
      for (const [path, text] of files) {
        if (mount.subPath !== undefined && mount.subPath !== path) continue;
        const podPath = mount.subPath !== undefined ? mount.mountPath : join(mount.mountPath, path);
        write(podPath, text);
        configMapFiles.push(podPath);
      }
      configMapMounts.push(mount.mountPath);
    } else {
      if (volume.secret) secretMounts.push(mount.mountPath);
      else {
        dataMounts.push(mount.mountPath);
        if (!mount.readOnly) writableMounts.push(mount.mountPath);
      }
      mkdirSync(hostPath(mount.mountPath), { recursive: true });
    }
  }
  if (spec.automountServiceAccountToken !== false) {
    for (const file of ['token', 'ca.crt', 'namespace']) write(join(SERVICE_ACCOUNT_DIR, file), file === 'namespace' ? workload.metadata.namespace! : 'dummy\n');
    secretMounts.push(SERVICE_ACCOUNT_DIR);
  }
  return { root, args: c.args ?? [], configMapMounts, configMapFiles, secretMounts, dataMounts, writableMounts, hostPath };
}

/** Absolute in-pod paths that `value` (a parsed config) names under one of `mounts`. */
export function pathsUnder(value: unknown, mounts: readonly string[]): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (mounts.some((m) => v === m || v.startsWith(`${m}/`))) found.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return [...found].sort();
}

/** A deep copy of `value` with every in-pod path under `mounts` moved under `root`. */
export function reroot<T>(value: T, mounts: readonly string[], root: string): T {
  const map = (v: unknown): unknown => {
    if (typeof v === 'string') return mounts.some((m) => v === m || v.startsWith(`${m}/`)) ? join(root, v) : v;
    if (Array.isArray(v)) return v.map(map);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, map(x)]));
    return v;
  };
  return map(value) as T;
}
