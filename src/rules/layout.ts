/**
 * Where rule files live in the Prometheus pod: each rules ConfigMap is mounted at
 * `<RULES_DIR>/<configmap>/<key>`. Outside `/etc/prometheus` on purpose: a volume mounted inside
 * another ConfigMap volume would need a mount point in a read-only, atomically swapped folder.
 * The synthesizer and the controller (which compares loaded rule files with `dist/`) share it.
 */
export const RULES_DIR = '/etc/prometheus-rules';

/** `app.kubernetes.io/component` of ConfigMaps (and PrometheusRules) holding rule files. */
export const RULES_COMPONENT = 'prometheus-rules';
