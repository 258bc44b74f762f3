import { ApiObject, type Chart } from 'cdk8s';
import type { Manifest } from './manifest.ts';
import { SYNC_WAVE_ANNOTATION, syncWaveFor } from './waves.ts';

export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/**
 * Client-side apply copies the whole object into the `kubectl.kubernetes.io/last-applied-configuration`
 * annotation, and all annotations of an object must fit in 256 KiB (262,144 bytes). An object whose
 * JSON reaches half of that is one dashboard or rule file away from failing to sync, so it is
 * applied server-side, which keeps no such copy. Smaller objects keep client-side apply: its diffs
 * are what most Argo CD users expect, and it needs no field-manager migration.
 */
export const SERVER_SIDE_APPLY_MIN_BYTES = 128 * 1024;

/** Whether an object must be applied server-side: large ones (see above) and every CRD, whose schemas only grow. */
export function needsServerSideApply(obj: Manifest): boolean {
  if (obj.kind === 'CustomResourceDefinition') return true;
  return Buffer.byteLength(JSON.stringify(obj), 'utf8') >= SERVER_SIDE_APPLY_MIN_BYTES;
}

/** The `argocd.argoproj.io/sync-options` value with `ServerSideApply=true` added to what is there. */
export function withServerSideApply(existing: string | undefined): string {
  const options = (existing ?? '').split(',').map((o) => o.trim()).filter((o) => o && !o.startsWith('ServerSideApply='));
  return [...options, 'ServerSideApply=true'].join(',');
}

/**
 * Annotates every object of a chart for Argo CD: its sync wave ({@link syncWaveFor}) and, for large
 * objects, server-side apply. Call it after the chart is complete, just before synthesis, so that
 * the size decision sees the final object.
 */
export function annotateForArgoCd(chart: Chart): void {
  for (const node of chart.node.findAll()) {
    if (!(node instanceof ApiObject)) continue;
    const manifest = node.toJson() as Manifest;
    node.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveFor(manifest)));
    if (needsServerSideApply(manifest)) {
      node.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, withServerSideApply(manifest.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION]));
    }
  }
}
