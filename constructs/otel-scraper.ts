import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s.ts';
import { dumpYaml } from '../src/yaml-output.ts';
import { configMapVolume, serviceHost, type StackContext } from './common.ts';
import { memoryMiB } from '../src/config/quantity.ts';
import { collectorContainer, collectorService, HEALTH_CHECK, MEMORY_LIMITER, sendingQueue } from './otel-collector.ts';
import { scrapeConfigs, scrapeFlows, scrapeRbac, type ScrapeProps } from './prometheus.ts';
import { clusterRoleFor, configMap, podTemplate, serviceAccount, type ComponentId, workloadMetadata, podSelector, defaultResources, type WorkloadProps } from './workload.ts';

export interface OtelScraperProps extends ScrapeProps, WorkloadProps {
  /** The local gateway the scraped metrics go to. */
  readonly gateway: { readonly service: string; readonly port: number };
}

/**
 * Scrapes a cluster that has no Prometheus of its own (a workload cluster): the same jobs as our
 * Prometheus (kube-state-metrics, kubelet, cAdvisor, node-exporter, the API server, CoreDNS, the control plane where the cloud exposes it, annotated pods and services, the stack), run by
 * the collector's `prometheus` receiver and sent through the local gateway to the cloud's backend.
 * One replica, so that no target is scraped twice.
 */
export class OtelScraper extends Construct {
  readonly id: ComponentId;
  /** Its workload, for cdk8s escape hatches (`addJsonPatch`); see README, "Escape hatches". */
  readonly workload: ApiObject;
  /** The ConfigMap of its configuration file (a whole file per key: patch the object, not the file). */
  readonly configMap: ApiObject;

  constructor(scope: Construct, name: string, ctx: StackContext, props: OtelScraperProps) {
    super(scope, name);
    const id: ComponentId = { app: 'otel-scraper', component: 'otel-scraper', namespace: props.namespace };
    this.id = id;
    const configText = dumpYaml(scraperConfig(ctx, props));
    serviceAccount(this, ctx, id);
    clusterRoleFor(this, ctx, id, scrapeRbac(ctx));
    this.configMap = configMap(this, ctx, id, 'otel-scraper-config', { 'config.yaml': configText });
    this.workload = new k8s.KubeDeployment(this, 'deployment', {
      metadata: workloadMetadata(ctx, id, props.overrides),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: podSelector(ctx, id),
        template: podTemplate(ctx, id, {
          overrides: props.overrides,
          serviceAccountName: id.app,
          usesKubernetesApi: true,
          uid: 10001,
          spreadAcrossArchitectures: false,
          configContents: [configText],
          containers: [collectorContainer({ resources: scraperResources(props) })],
          volumes: [configMapVolume('config', 'otel-scraper-config')],
        }),
      },
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    ctx.flows.scrapes(self, scrapeConfigs(ctx, props));
    ctx.flows.add(
      ...scrapeFlows(ctx, self, props.scrapeEgress),
      { from: self, to: { app: props.gateway.service, namespace: id.namespace }, ports: [props.gateway.port], why: 'scraped metrics go to the local gateway' },
    );
  }
}

/** `$` starts an environment variable in collector configs: `$$` keeps relabel references like `$1`. */
function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v)]));
  return value;
}

/** The scraper's collector config, a pure function of the context and the props. */
export function scraperConfig(ctx: StackContext, props: OtelScraperProps): object {
  return {
    extensions: { health_check: HEALTH_CHECK },
    receivers: {
      prometheus: {
        config: {
          global: { scrape_interval: props.scrapeInterval ?? '30s' },
          scrape_configs: escapeDollars(scrapeConfigs(ctx, props)),
        },
      },
    },
    processors: { memory_limiter: MEMORY_LIMITER },
    exporters: {
      'otlp_grpc/gateway': {
        endpoint: `${serviceHost(props.gateway.service, props.namespace)}:${props.gateway.port}`,
        tls: { insecure: true },
        ...sendingQueue(memoryMiB(scraperResources(props).memory.limit), 1),
      },
    },
    service: collectorService(['health_check'], {
      metrics: { receivers: ['prometheus'], exporters: ['otlp_grpc/gateway'] },
    }),
  };
}

function scraperResources(props: OtelScraperProps) {
  return props.overrides?.resources ?? defaultResources('otelScraper');
}
