import { stringify } from 'yaml';
import { groupKind, groupOf, type Manifest } from './manifest.ts';

/**
 * Health of prometheus-operator configuration objects (PrometheusRule, ServiceMonitor, PodMonitor),
 * which Argo CD has no built-in check for. The operator reports, per Prometheus that selects the
 * object, an `Accepted` condition under `status.bindings` (only with its
 * StatusForConfigurationResources feature gate; without a status there is nothing to judge).
 * Degraded matches `o11y check`: a rejected rule file never loads, so its groups show as missing.
 * Written for Lua 5.1 (Argo CD's gopher-lua).
 */
export const PROMETHEUS_OPERATOR_HEALTH_LUA = `local hs = { status = "Healthy", message = "Accepted by every Prometheus that selects it" }
if obj.status == nil or obj.status.bindings == nil then
  hs.message = "No status from the Prometheus operator"
  return hs
end
for _, binding in ipairs(obj.status.bindings) do
  local target = (binding.namespace or "") .. "/" .. (binding.name or "?")
  for _, condition in ipairs(binding.conditions or {}) do
    if condition.type == "Accepted" then
      if condition.status == "False" then
        return { status = "Degraded", message = target .. ": " .. (condition.message or condition.reason or "rejected") }
      end
      local generation = obj.metadata.generation or 0
      if condition.status ~= "True" or (condition.observedGeneration or generation) < generation then
        hs = { status = "Progressing", message = target .. ": waiting for the operator to accept generation " .. generation }
      end
    end
  end
end
return hs
`;

const OPERATOR_KINDS = ['PrometheusRule', 'ServiceMonitor', 'PodMonitor'].map((k) => groupKind('monitoring.coreos.com', k));

/** `argocd-cm` keys with a Lua health check for each custom resource kind among `manifests` that needs one. */
export function healthCustomizations(manifests: Iterable<Manifest>): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const m of manifests) {
    const gk = groupKind(groupOf(m.apiVersion), m.kind);
    if (OPERATOR_KINDS.includes(gk)) keys[`resource.customizations.health.${groupOf(m.apiVersion)}_${m.kind}`] = PROMETHEUS_OPERATOR_HEALTH_LUA;
  }
  return Object.fromEntries(Object.entries(keys).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Where the argocd-cm merge patch goes, under dist/argocd/ (a subfolder: it is not an object to apply). */
export const ARGOCD_CM_PATCH_FILE = 'patches/argocd-cm.yaml';

/**
 * A merge patch for `argocd-cm`: annotation-based resource tracking (Argo CD 3 default; on 2.x the
 * label default would rewrite our `app.kubernetes.io/instance` labels) and the health checks above.
 * Apply with `kubectl -n argocd patch configmap argocd-cm --type merge --patch-file …`.
 */
export function argocdCmPatch(manifests: Iterable<Manifest>): string {
  const data = { 'application.resourceTrackingMethod': 'annotation', ...healthCustomizations(manifests) };
  return `# Merge into argocd-cm: kubectl -n argocd patch configmap argocd-cm --type merge --patch-file ${ARGOCD_CM_PATCH_FILE}\n${stringify({ data }, { lineWidth: 0 })}`;
}
