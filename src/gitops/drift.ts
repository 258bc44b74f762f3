import type { Manifest } from './manifest.ts';

/**
 * Fields the API server fills in that Argo CD reports as a difference when it diffs server-side
 * (ServerSideApply=true or server-side diff): a StatefulSet's claim templates gain `apiVersion` and
 * `kind` (argoproj/argo-cd#11143), so the StatefulSet stays OutOfSync for ever. Client-side diffs,
 * our default for objects this size, ignore fields missing from the manifest, hence a warning. Pure.
 */
export function serverDefaultedFields(m: Manifest): string[] {
  if (m.kind !== 'StatefulSet') return [];
  const templates = (m.spec as { volumeClaimTemplates?: { apiVersion?: string; kind?: string; metadata?: { name?: string } }[] } | undefined)?.volumeClaimTemplates ?? [];
  return templates
    .filter((t) => t.apiVersion !== 'v1' || t.kind !== 'PersistentVolumeClaim')
    .map((t) => `spec.volumeClaimTemplates[${t.metadata?.name ?? '?'}] lacks apiVersion: v1 and kind: PersistentVolumeClaim, which the API server adds: Argo CD shows the StatefulSet OutOfSync when it diffs server-side`);
}
