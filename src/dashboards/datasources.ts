/**
 * Grafana datasource uids and names of the stack: stable, because links between datasources and
 * dashboards refer to them.
 */

/** Datasource uids of a cloud; without a cloud (single-cluster stack) the plain `prometheus`, `loki`, `tempo`. */
export function datasourceUids(cloud?: string): { prometheus: string; loki: string; tempo: string; alertmanager: string } {
  const uid = (type: string) => (cloud ? `${type}-${cloud}` : type);
  return { prometheus: uid('prometheus'), loki: uid('loki'), tempo: uid('tempo'), alertmanager: uid('alertmanager') };
}

/** Uid of the datasource over every victoriametrics-cluster backend (`components.victoriametrics.globalSelect`). */
export const GLOBAL_PROMETHEUS_UID = 'prometheus-global';

/** The name Grafana shows for a uid of {@link datasourceUids}: `Prometheus`, `Prometheus (aws)`. */
export function datasourceName(uid: string): string {
  const [type, ...cloud] = uid.split('-');
  const name = type!.charAt(0).toUpperCase() + type!.slice(1);
  return cloud.length ? `${name} (${cloud.join('-')})` : name;
}
