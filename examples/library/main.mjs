// @ts-check
/**
 * A cdk8s app of your own: cdk8s-o11y's stack for one cluster, plus a component the stack does not
 * ship (Prometheus' blackbox exporter, for probing URLs), built with the stack's own workload
 * helpers so that it gets the same labels, Pod Security, architecture scheduling and
 * NetworkPolicies. Plain JavaScript: the package is compiled, no tsx needed.
 *
 *   npm install && npx cdk8s synth        # or: node main.mjs
 */
import { App, Chart, YamlOutputType } from 'cdk8s';
import { componentMetadata, container, k8s, O11yStack, podSelector, podTemplate, service, serviceAccount } from 'cdk8s-o11y';

const dist = process.env.O11Y_DIST ?? 'dist';
const cluster = 'edge';

// One App per cluster: its outdir is the cluster's folder, and each chart becomes one file.
const app = new App({ outdir: `${dist}/${cluster}`, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });

// The same keys as o11y.yaml (examples/library/o11y.yaml), typed, with `cluster` for the one cluster.
const stack = new O11yStack(app, cluster, {
  name: 'o11y',
  namespace: 'observability',
  architectures: ['amd64', 'arm64'],
  cluster: { name: cluster, cloud: 'onprem', region: 'dc2', storageClass: 'local-path' },
  components: {
    prometheus: { retention: '30d', storage: '20Gi' },
    collector: { gateway: { replicas: 2 } },
    grafana: { adminSecret: 'grafana-admin' },
  },
});

// A component of our own, in a chart of our own (written after the stack's, as 60-blackbox.k8s.yaml).
const chart = new Chart(app, '60-blackbox', { disableResourceNameHashes: true });
const id = { app: 'blackbox-exporter', component: 'probes', namespace: stack.config.namespace };
const port = 9115;
serviceAccount(chart, stack.context, id);
new k8s.KubeDeployment(chart, 'blackbox-exporter', {
  metadata: componentMetadata(stack.context, id),
  spec: {
    replicas: 1,
    selector: podSelector(stack.context, id),
    template: podTemplate(stack.context, id, {
      serviceAccountName: id.app,
      usesKubernetesApi: false,
      uid: 65534,
      spreadAcrossArchitectures: false,
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port) },
      containers: [
        container({
          name: 'blackbox-exporter',
          image: 'quay.io/prometheus/blackbox-exporter:v0.27.0',
          ports: [{ name: 'http-metrics', containerPort: port }],
          resources: { cpu: { request: '10m', limit: '100m' }, memory: { request: '32Mi', limit: '64Mi' } },
        }),
      ],
    }),
  },
});
service(chart, stack.context, id, [{ name: 'http-metrics', port, targetPort: 'http-metrics' }]);
// Its NetworkPolicy comes from the flow table, like every component's. No flow to declare for the
// scrape: Prometheus' jobs select the pod (stack labels, port http-metrics), so it is admitted on 9115.
stack.flows.register(chart, id);

app.synth();
// The cluster folder's Kustomization (listing our chart too) and dist/promtool/<cluster>/.
stack.writeFiles(app, dist);
