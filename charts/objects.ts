import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Manifest } from '../src/gitops/manifest.ts';

/** Adds plain objects, built as data elsewhere, to a chart (ids by kind and name). */
export function addObjects(scope: Construct, manifests: readonly Manifest[]): void {
  for (const { apiVersion, kind, metadata, ...rest } of manifests) {
    new ApiObject(scope, `${kind}-${metadata.name}`, { apiVersion, kind, metadata, ...rest });
  }
}
