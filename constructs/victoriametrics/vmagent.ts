import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGES } from '../../src/model/images.ts';
import { dumpYaml } from '../../src/yaml-output.ts';
import { configMapVolume, emptyDirVolume, type StackContext } from '../common.ts';
import { scrapeConfigs, scrapeFlows, scrapeRbac, type ScrapeProps } from '../prometheus.ts';
import { clusterRoleFor, configMap, type ComponentId, type WorkloadProps } from '../workload.ts';
import { insertUrl, vmDeployment, VM_PORTS } from './common.ts';

export interface VmAgentProps extends ScrapeProps, WorkloadProps {
  /**
   * Scrapers with the same config, each scraping every target: losing one leaves no gap, and the
   * storage keeps one sample per series and scrape interval. @default 2
   */
  readonly replicas?: number;
}

/** The `-promscrape.config` file: the same scrape jobs as Prometheus mode's `prometheus.yml`. */
export function vmagentConfig(ctx: StackContext, props: VmAgentProps): object {
  return { global: { scrape_interval: props.scrapeInterval ?? '30s' }, scrape_configs: scrapeConfigs(ctx, props) };
}

/** Where the persistent queue lives while vminsert cannot be reached. */
const QUEUE_DIR = '/queue';
const QUEUE_SIZE = '2Gi';
const CONFIG_DIR = '/etc/vmagent';

/** The flags of vmagent (without the user's extra arguments). */
export function vmagentArgs(props: Pick<VmAgentProps, 'namespace'>): string[] {
  return [
    `-promscrape.config=${CONFIG_DIR}/scrape.yaml`,
    // Picks up ConfigMap changes without a restart (and without losing the queue).
    '-promscrape.configCheckInterval=30s',
    `-remoteWrite.url=${insertUrl(props.namespace, 'prometheus')}/api/v1/write`,
    `-remoteWrite.tmpDataPath=${QUEUE_DIR}`,
    // Below the emptyDir's size limit, which would evict the pod.
    '-remoteWrite.maxDiskUsagePerURL=1536MiB',
    `-httpListenAddr=:${VM_PORTS.vmagent}`,
  ];
}

/**
 * vmagent: the HA pair of scrapers. Both run the same jobs with the same labels (no replica
 * label), so their samples are the same series; vmstorage's and vmselect's deduplication keep one.
 * Chosen over Prometheus in agent mode: it is the cluster's own ingestion client (persistent
 * queue on disk while vminsert is away, `-dryRun` checks the scrape config it reads), and it
 * needs a fraction of the memory.
 */
export class VmAgent extends Construct {
  readonly id: ComponentId;
  readonly workload: ApiObject;
  readonly config: object;

  constructor(scope: Construct, name: string, ctx: StackContext, props: VmAgentProps) {
    super(scope, name);
    const id = { app: 'vmagent', component: 'metrics-scraper', namespace: props.namespace } as const satisfies ComponentId;
    this.id = id;
    this.config = vmagentConfig(ctx, props);
    clusterRoleFor(this, ctx, id, scrapeRbac(ctx));
    configMap(this, ctx, id, 'vmagent-config', { 'scrape.yaml': dumpYaml(this.config) });
    this.workload = vmDeployment(this, ctx, id, {
      image: IMAGES.vmagent,
      args: vmagentArgs(props),
      replicas: props.replicas,
      overrides: props.overrides,
      usesKubernetesApi: true,
      mounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, { name: 'queue', mountPath: QUEUE_DIR }],
      volumes: [configMapVolume('config', 'vmagent-config'), emptyDirVolume('queue', QUEUE_SIZE)],
    });
    const self = { app: id.app, namespace: id.namespace };
    ctx.flows.register(this, id);
    // The pods its jobs select let it in (FlowTable.scrapes), the VictoriaMetrics components and itself included.
    ctx.flows.scrapes(self, (this.config as { scrape_configs: object[] }).scrape_configs);
    ctx.flows.add(
      { from: self, to: { app: 'vminsert', namespace: id.namespace }, ports: [VM_PORTS.vminsert], why: 'vmagent remote-writes the scraped samples' },
      ...scrapeFlows(ctx, self, props.scrapeEgress),
    );
  }
}
