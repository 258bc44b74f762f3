import { w, wRange, type KubernetesGroup } from './rule.ts';

/**
 * CoreDNS (kube-system pods with k8s-app=kube-dns and the metrics port 9153). GKE's default kube-dns
 * is not CoreDNS and has no such port: the job finds no target there, and these alerts, which need
 * series, stay quiet rather than claim DNS is down.
 */

const DNS = 'job="coredns"';

export function corednsGroup(): KubernetesGroup {
  const dns = ['coredns'] as const;
  return {
    key: 'coredns',
    rules: [
      {
        alert: 'CoreDNSDown',
        expr: `${w(`up{${DNS}}`)} == 0`,
        for: '15m',
        severity: 'critical',
        summary: 'A CoreDNS pod cannot be scraped',
        description: 'CoreDNS pod {{ $labels.pod }} (cluster {{ $labels.cluster }}) has not answered its scrape for 15 minutes.',
        impact: 'If it is down, part of the cluster\'s name lookups fail or time out.',
        action: '`kubectl -n kube-system get pods -l k8s-app=kube-dns`; its logs; the scraper\'s egress to port 9153.',
        requires: dns,
      },
      {
        alert: 'CoreDNSErrorsHigh',
        expr: `sum by (cluster) (${wRange('rate', `coredns_dns_responses_total{${DNS}, rcode="SERVFAIL"}`)}) / sum by (cluster) (${wRange('rate', `coredns_dns_responses_total{${DNS}}`)}) > 0.03`,
        for: '10m',
        severity: 'warning',
        summary: 'CoreDNS answers SERVFAIL',
        description: '{{ $value | humanizePercentage }} of CoreDNS\' answers in cluster {{ $labels.cluster }} are SERVFAIL.',
        impact: 'Lookups fail: connections to services and external hosts fail.',
        action: 'CoreDNS\' logs; its upstream resolvers (forward plugin health checks); the kubernetes plugin\'s access to the API.',
        requires: dns,
      },
      {
        alert: 'CoreDNSLatencyHigh',
        expr: `histogram_quantile(0.99, sum by (cluster, server, zone, le) (${wRange('rate', `coredns_dns_request_duration_seconds_bucket{${DNS}}`)})) > 1`,
        for: '10m',
        severity: 'warning',
        summary: 'CoreDNS answers slowly',
        description: 'The 99th percentile of CoreDNS requests for zone {{ $labels.zone }} (cluster {{ $labels.cluster }}) takes {{ $value | humanizeDuration }}.',
        impact: 'Every new connection waits for its lookup; clients time out.',
        action: 'CPU throttling of the CoreDNS pods, a slow upstream resolver, cache misses (CoreDNS dashboard).',
        requires: dns,
      },
    ],
  };
}
