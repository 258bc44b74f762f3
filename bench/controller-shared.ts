/** What the controller benchmarks share: a stand-in Prometheus verdict and realistic pods. */
import type { Pod } from '../src/controller/k8s-types.ts';
import { pod } from '../test/fixtures/k8s/objects.ts';
import type { KubeObject } from '../test/support/fake-apiserver.ts';

/** A healthy Prometheus verdict: the controller benchmarks measure the Kubernetes side only. */
export const NO_PROMETHEUS = { rules: { status: 'Current' as const, groups: [] }, alerts: [], budgets: [] };

/** What the API server adds to every real pod and the check never reads; makes list bodies realistic (~4 KB a pod). */
const managedFields = [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2025-11-20T10:00:00Z', fieldsType: 'FieldsV1',
  fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app.kubernetes.io/name': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': {} },
    'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {}, 'f:securityContext': {} } } } } },
{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2025-11-20T10:00:05Z', fieldsType: 'FieldsV1', subresource: 'status',
  fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:hostIPs': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } } }];

/** Ready pod `replica` of workload `app` as the API server lists it: managed fields, owner reference, uid. */
export function realisticPod(app: string, replica: number, namespace: string, node: string): KubeObject {
  const p: Pod = pod(app, `${app}-${replica}`, { namespace, node });
  return { ...p, kind: 'Pod', metadata: { ...p.metadata, managedFields, uid: `4f1c-${app}-${replica}`,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7d4b9c8f6d`, uid: `rs-${app}`, controller: true }] } } as unknown as KubeObject;
}
