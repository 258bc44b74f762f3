import { missingInCluster, w, wRange, type KubernetesGroup } from './rule.ts';

/** The API server, scraped through the `kubernetes` Service on every cloud. */

const API = 'job="apiserver"';
/** Long-running requests (watches, exec, logs, proxies) have no meaningful latency. */
const SHORT_REQUESTS = `${API}, verb!~"WATCH|WATCHLIST|CONNECT|LIST", subresource!~"log|exec|portforward|attach|proxy"`;

export function apiserverGroup(): KubernetesGroup {
  const api = ['apiserver'] as const;
  const certExpiry = (name: string, days: number, severity: 'warning' | 'critical') => ({
    alert: name,
    expr: `${w(`apiserver_client_certificate_expiration_seconds_count{${API}}`)} > 0 and on (cluster, job, instance) histogram_quantile(0.01, sum by (cluster, job, instance, le) (${wRange('rate', `apiserver_client_certificate_expiration_seconds_bucket{${API}}`)})) < ${days} * 86400`,
    severity,
    summary: `A client certificate used against the API server expires within ${days === 1 ? 'a day' : `${days} days`}`,
    description: 'A client presented a certificate to the API server {{ $labels.instance }} (cluster {{ $labels.cluster }}) that expires within ' + (days === 1 ? '24 hours.' : `${days} days.`),
    impact: 'When it expires, that client (a kubelet, a controller, a user) is refused by the API server.',
    action: 'Find the client (API server audit log, `kubeadm certs check-expiration` on kubeadm) and rotate its certificate.',
    requires: api,
  });
  return {
    key: 'apiserver',
    rules: [
      {
        alert: 'KubeAPIDown',
        expr: missingInCluster('apiserver'),
        for: '15m',
        severity: 'critical',
        summary: 'No API server is scraped',
        description: 'Cluster {{ $labels.cluster }} has no API server target up for 15 minutes.',
        impact: 'If the API server is really down nothing can be deployed, scaled or healed; if only unreachable, its alerts are blind.',
        action: '`kubectl get --raw /readyz`; check the scraper\'s egress to the API server (`networkPolicy.apiServerCidrs`) and its RBAC for /metrics.',
        requires: ['apiserver', 'kubelet'],
      },
      {
        alert: 'KubeAPIErrorsHigh',
        expr: `sum by (cluster) (${wRange('rate', `apiserver_request_total{${API}, code=~"5.."}`)}) / sum by (cluster) (${wRange('rate', `apiserver_request_total{${API}}`)}) > 0.03`,
        for: '10m',
        severity: 'warning',
        summary: 'The API server fails requests',
        description: '{{ $value | humanizePercentage }} of the API server\'s requests in cluster {{ $labels.cluster }} fail with 5xx.',
        impact: 'Controllers, deployments and kubectl see errors; retries add load.',
        action: 'Split by resource and verb (API server dashboard); check etcd, admission webhooks and aggregated APIs.',
        requires: api,
      },
      {
        alert: 'KubeAPILatencyHigh',
        expr: `histogram_quantile(0.99, sum by (cluster, verb, le) (${wRange('rate', `apiserver_request_duration_seconds_bucket{${SHORT_REQUESTS}}`)})) > 1`,
        for: '15m',
        severity: 'warning',
        summary: 'The API server answers slowly',
        description: 'The 99th percentile of {{ $labels.verb }} requests in cluster {{ $labels.cluster }} takes {{ $value | humanizeDuration }}.',
        impact: 'Everything that talks to the API slows down: rollouts, controllers, kubectl.',
        action: 'Look for a slow admission webhook, a slow etcd, or a client flooding the API (APF rejections).',
        requires: api,
      },
      certExpiry('KubeClientCertificateExpiration', 7, 'warning'),
      certExpiry('KubeClientCertificateExpiresSoon', 1, 'critical'),
      {
        alert: 'KubeAggregatedAPIDown',
        expr: `(1 - max by (cluster, name, namespace) (${w(`avg_over_time(aggregator_unavailable_apiservice{${API}}[10m])`)})) * 100 < 85`,
        for: '5m',
        severity: 'warning',
        summary: 'An aggregated API is unavailable',
        description: 'Aggregated API {{ $labels.name }} (cluster {{ $labels.cluster }}) was available only {{ $value | humanize }}% of the last 10 minutes.',
        impact: 'Its resources (e.g. metrics.k8s.io for `kubectl top` and HPAs) cannot be read; namespace deletion can hang.',
        action: '`kubectl get apiservice <name>`: the backing Service and its pods (metrics-server, custom metrics adapters).',
        requires: api,
      },
    ],
  };
}
