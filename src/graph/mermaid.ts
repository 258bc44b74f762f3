import { platformProfile } from '../model/platforms/index.ts';
import { resolveTopology, type Backend } from '../model/topology.ts';
import { CLOUDS, type Cloud, type ClusterConfig, type RouteConfig, type StackConfig } from '../model/types.ts';

/**
 * The stack's topology and routing as a Mermaid flowchart: one box per cloud holding its clusters
 * (name, region, roles), one node per cloud's backends (a backend cluster or a remote endpoint),
 * the routing every gateway applies (by `cloud.provider`, extra routes by tenant or namespace, the
 * default route), and the Grafana that queries every backend. A pure function of the config, so
 * the picture in the docs is regenerated, never drawn by hand (`o11y graph`).
 */
export function mermaidGraph(config: Pick<StackConfig, 'clusters' | 'backends' | 'routing'>): string {
  const topology = resolveTopology(config);
  const lines = ['flowchart LR'];
  const clouds = CLOUDS.filter((cloud) => config.clusters.some((c) => c.cloud === cloud));

  for (const cloud of clouds) {
    lines.push(`  subgraph ${cloudId(cloud)}["${label(cloudTitle(cloud))}"]`, '    direction TB');
    for (const cluster of config.clusters.filter((c) => c.cloud === cloud)) {
      lines.push(`    ${clusterId(cluster)}["${label(clusterLabel(cluster, [...topology.rolesOf(cluster)]))}"]`);
    }
    lines.push('  end');
  }
  for (const cloud of topology.backendClouds) {
    lines.push(`  ${backendId(cloud)}[("${label(backendLabel(cloud, topology.backendOf(cloud)!))}")]`);
  }

  // Each cloud's own telemetry, recognised by cloud.provider (on-prem by its absence).
  for (const cloud of clouds.filter((c) => topology.backendOf(c))) {
    lines.push(`  ${cloudId(cloud)} -->|"${label(providerCondition(cloud))}"| ${backendId(cloud)}`);
  }
  config.routing.routes.forEach((route, i) => {
    lines.push(`  route_${i}>"${label(routeLabel(route))}"] -.->|"extra route"| ${backendId(route.cloud)}`);
  });
  lines.push(`  unmatched(["no route matches"]) -.->|"default"| ${backendId(topology.defaultCloud)}`);

  const grafana = topology.grafanaCluster;
  lines.push(`  grafana{{"${label(`Grafana in ${grafana.name}`)}"}}`);
  // A remote backend is shown in Grafana only when the config says where to query it.
  const queried = topology.backendClouds.filter((cloud) => {
    const backend = topology.backendOf(cloud)!;
    return backend.kind === 'cluster' || backend.query !== undefined;
  });
  for (const cloud of queried) lines.push(`  grafana -.->|"queries"| ${backendId(cloud)}`);
  return `${lines.join('\n')}\n`;
}

/** Mermaid ids: letters, digits and `_` (cluster names are DNS labels, so `-` → `_` cannot collide). */
const safeId = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');
const cloudId = (cloud: Cloud) => `cloud_${cloud}`;
const backendId = (cloud: Cloud) => `backend_${cloud}`;
const clusterId = (cluster: ClusterConfig) => `cluster_${safeId(cluster.name)}`;

/** Text inside a quoted Mermaid label: quotes and angle brackets as entities, `<br/>` kept as the line break. */
function label(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>');
}

function cloudTitle(cloud: Cloud): string {
  const provider = platformProfile(cloud).cloudProvider;
  return provider ? `${cloud} (cloud.provider=${provider})` : `${cloud} (no cloud.provider)`;
}

function clusterLabel(cluster: ClusterConfig, roles: readonly string[]): string {
  return [cluster.name, cluster.region, ...(roles.length ? [`roles: ${roles.join(', ')}`] : [])].join('\n');
}

function backendLabel(cloud: Cloud, backend: Backend): string {
  return backend.kind === 'cluster'
    ? `${cloud} backends\nTempo · Loki · Prometheus\nin ${backend.cluster.name}`
    : `${cloud} backends\nremote ${backend.otlpEndpoint}`;
}

function providerCondition(cloud: Cloud): string {
  const provider = platformProfile(cloud).cloudProvider;
  return provider ? `cloud.provider == ${provider}` : 'cloud.provider unset';
}

function routeLabel(route: RouteConfig): string {
  return [
    ...(route.tenant !== undefined ? [`tenant == ${route.tenant}`] : []),
    ...(route.namespace !== undefined ? [`namespace == ${route.namespace}`] : []),
  ].join(' and ');
}
