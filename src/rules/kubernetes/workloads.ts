import { w, type KubernetesGroup } from './rule.ts';

/**
 * Workloads, from kube-state-metrics: pods that crash-loop or never get ready, rollouts that stall,
 * autoscalers at their ceiling, failed Jobs; plus the pod → workload mapping the dashboards use.
 */

const KSM = 'job="kube-state-metrics"';
const ksm = ['kube-state-metrics'] as const;

/** `kube_<kind>_<a>` and `kube_<kind>_<b>` of the same object differ (both sides `cluster`-labelled). */
const differ = (a: string, b: string) => `${w(`${a}{${KSM}}`)} != ${w(`${b}{${KSM}}`)}`;
/** The counter has not moved in `range`: the controller is not making progress. */
const stalled = (metric: string, range = '10m') => `${w(`changes(${metric}{${KSM}}[${range}])`)} == 0`;

const byWorkload = (expr: string) => `max by (cluster, namespace, workload, workload_type, pod) (${expr})`;

/** Pods owned by a ReplicaSet, labelled with the Deployment that owns the ReplicaSet (`workload_type` "Deployment"). */
function deploymentPods(): string {
  const pods = `label_replace(${w(`kube_pod_owner{${KSM}, owner_kind="ReplicaSet"}`)}, "replicaset", "$1", "owner_name", "(.*)")`;
  const owners = `topk by (cluster, namespace, replicaset) (1, max by (cluster, namespace, replicaset, owner_name) (${w(`kube_replicaset_owner{${KSM}, owner_kind="Deployment"}`)}))`;
  return `label_replace(label_replace(${pods} * on (cluster, namespace, replicaset) group_left (owner_name) ${owners}, "workload", "$1", "owner_name", "(.*)"), "workload_type", "Deployment", "", "")`;
}

export function workloadsGroup(): KubernetesGroup {
  return {
    key: 'workloads',
    rules: [
      // Pods of Deployments (through their ReplicaSet), DaemonSets, StatefulSets and Jobs, labelled with their workload and its kind.
      {
        record: 'namespace_workload_pod:kube_pod_owner:relabel',
        expr: `${byWorkload(deploymentPods())} or ${byWorkload(`label_replace(label_replace(${w(`kube_pod_owner{${KSM}, owner_kind=~"DaemonSet|StatefulSet|Job"}`)}, "workload", "$1", "owner_name", "(.*)"), "workload_type", "$1", "owner_kind", "(.*)")`)}`,
        requires: ksm,
      },
      {
        alert: 'KubePodCrashLooping',
        expr: `${w(`max_over_time(kube_pod_container_status_waiting_reason{${KSM}, reason="CrashLoopBackOff"}[5m])`)} >= 1`,
        for: '15m',
        severity: 'warning',
        summary: 'A container is crash-looping',
        description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} (cluster {{ $labels.cluster }}) has been in CrashLoopBackOff for 15 minutes.',
        impact: 'The pod does not serve; each restart waits longer (up to 5 minutes).',
        action: '`kubectl logs --previous` of the container and `kubectl describe pod`: exit code, OOMKilled, failing probes, missing config or Secret.',
        requires: ksm,
      },
      {
        alert: 'KubePodNotReady',
        // Filtered before `cluster` is set: only the few pods in trouble get relabelled and joined.
        expr: `max by (cluster, namespace, pod) (${w(`kube_pod_status_phase{${KSM}, phase=~"Pending|Unknown|Failed"} == 1`)}) unless on (cluster, namespace, pod) ${w(`kube_pod_owner{${KSM}, owner_kind="Job"}`)}`,
        for: '15m',
        severity: 'warning',
        summary: 'A pod has not been running for 15 minutes',
        description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} (cluster {{ $labels.cluster }}) has been Pending, Failed or Unknown for 15 minutes.',
        impact: 'The workload runs with fewer replicas than it asks for, or not at all.',
        action: '`kubectl describe pod`: unschedulable (resources, taints, affinity, PVC), image pull errors, or a lost node.',
        requires: ksm,
      },
      {
        alert: 'KubeDeploymentRolloutStuck',
        expr: `${w(`kube_deployment_status_condition{${KSM}, condition="Progressing", status="false"}`)} != 0`,
        for: '15m',
        severity: 'warning',
        summary: 'A Deployment rollout is not progressing',
        description: 'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} (cluster {{ $labels.cluster }}) exceeded its progress deadline.',
        impact: 'The new version is not (fully) out; old and new pods may run side by side.',
        action: '`kubectl rollout status` and the new ReplicaSet\'s pods: failing readiness, image pull errors, quota or scheduling.',
        requires: ksm,
      },
      {
        alert: 'KubeDeploymentReplicasMismatch',
        expr: `(${w(`kube_deployment_spec_replicas{${KSM}}`)} > ${w(`kube_deployment_status_replicas_available{${KSM}}`)}) and ${stalled('kube_deployment_status_replicas_updated')}`,
        for: '15m',
        severity: 'warning',
        summary: 'A Deployment has fewer available replicas than it wants',
        description: 'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} (cluster {{ $labels.cluster }}) has had fewer available replicas than desired for 15 minutes.',
        impact: 'Less capacity and less redundancy than planned.',
        action: 'Look at the Deployment\'s pods that are not ready and why (`kubectl describe`).',
        requires: ksm,
      },
      {
        alert: 'KubeStatefulSetReplicasMismatch',
        expr: `(${differ('kube_statefulset_status_replicas_ready', 'kube_statefulset_replicas')}) and ${stalled('kube_statefulset_status_replicas_updated')}`,
        for: '15m',
        severity: 'warning',
        summary: 'A StatefulSet has fewer ready replicas than it wants',
        description: 'StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} (cluster {{ $labels.cluster }}) has had a replica mismatch for 15 minutes.',
        impact: 'A member of a clustered store may be missing: less redundancy, maybe no quorum.',
        action: 'The lowest-ordinal pod that is not ready blocks the others: `kubectl describe` it and its PVC.',
        requires: ksm,
      },
      {
        alert: 'KubeStatefulSetUpdateNotRolledOut',
        expr: `(max without (revision) (${w(`kube_statefulset_status_current_revision{${KSM}}`)} unless ${w(`kube_statefulset_status_update_revision{${KSM}}`)}) * on (cluster, namespace, statefulset) group_left () max by (cluster, namespace, statefulset) (${differ('kube_statefulset_replicas', 'kube_statefulset_status_replicas_updated')})) and on (cluster, namespace, statefulset) ${stalled('kube_statefulset_status_replicas_updated', '5m')}`,
        for: '15m',
        severity: 'warning',
        summary: 'A StatefulSet update is not rolled out',
        description: 'StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} (cluster {{ $labels.cluster }}) has not finished its update for 15 minutes.',
        impact: 'Pods run two revisions; the update waits on a pod that does not get ready.',
        action: '`kubectl rollout status statefulset/<name>`; fix the pod the rollout waits on (or its partition).',
        requires: ksm,
      },
      {
        alert: 'KubeDaemonSetRolloutStuck',
        expr: `((${differ('kube_daemonset_status_updated_number_scheduled', 'kube_daemonset_status_desired_number_scheduled')}) or (${differ('kube_daemonset_status_number_available', 'kube_daemonset_status_desired_number_scheduled')})) and ${stalled('kube_daemonset_status_updated_number_scheduled', '5m')}`,
        for: '15m',
        severity: 'warning',
        summary: 'A DaemonSet rollout is not progressing',
        description: 'DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} (cluster {{ $labels.cluster }}) has pods not updated or not available for 15 minutes.',
        impact: 'Some nodes run an old version, or none: their logs, metrics or networking may be missing.',
        action: 'Find the nodes whose DaemonSet pod is not ready (`kubectl get pods -o wide`); check taints, resources and the pod\'s events.',
        requires: ksm,
      },
      {
        alert: 'KubeHpaMaxedOut',
        expr: `${w(`kube_horizontalpodautoscaler_status_current_replicas{${KSM}}`)} == ${w(`kube_horizontalpodautoscaler_spec_max_replicas{${KSM}}`)}`,
        for: '15m',
        severity: 'warning',
        summary: 'An autoscaler is at its maximum replicas',
        description: 'HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} (cluster {{ $labels.cluster }}) has run at its maximum for 15 minutes.',
        impact: 'The workload cannot scale further: under more load its latency or errors grow.',
        action: 'Check whether the load is real; raise maxReplicas, or the pods\' efficiency.',
        requires: ksm,
      },
      {
        alert: 'KubeJobFailed',
        expr: `${w(`kube_job_failed{${KSM}, condition="true"}`)} > 0`,
        for: '15m',
        severity: 'warning',
        summary: 'A Job failed',
        description: 'Job {{ $labels.namespace }}/{{ $labels.job_name }} (cluster {{ $labels.cluster }}) failed.',
        impact: 'Whatever the Job does (a backup, a migration, a report) did not happen.',
        action: '`kubectl describe job` and the logs of its failed pods; delete the Job once handled (the alert stays while it exists).',
        requires: ksm,
      },
    ],
  };
}
