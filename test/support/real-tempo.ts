import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dumpYaml } from '../../src/yaml-output.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import { freePort } from './free-port.ts';
import type { K8sObject } from './manifest-checks.ts';
import { mountedConfig, type MountedConfig } from './real-engine-checks.ts';
import { runBinary, type ToolRun } from './run-tool.ts';

// The synthesized Tempo run by the real binary (an engine: test/support/engines.ts), on its files
// as the pod mounts them, with the container's own args.

/** `tempo <container args> -config.verify=true` on the mounted tempo.yaml (exits non-zero on an error or a warning). */
export function tempoVerify(tempo: string, objects: readonly K8sObject[]): ToolRun {
  const mounted = mountedConfig(objects, 'tempo', 'tempo');
  return runBinary(tempo, [...mounted.args, '-config.verify=true'], { cwd: mounted.pod.root });
}

type TempoYaml = {
  server: Record<string, unknown>;
  distributor: { receivers: { otlp: { protocols: Record<string, { endpoint: string }> } } };
  metrics_generator: { storage: { remote_write: { url: string }[] } };
};

export interface LiveTempo extends Daemon {
  readonly mounted: MountedConfig;
  /** `127.0.0.1:port` of its OTLP/gRPC receiver. */
  readonly otlpGrpc: string;
}

/**
 * Starts the synthesized Tempo on loopback: its paths under the pod's temp root (mountedConfig),
 * its listeners on free 127.0.0.1 ports, and its remote write sent to `prometheusUrl` on the
 * synthesized URL's path. Nothing else is changed.
 */
export async function startTempo(tempo: string, objects: readonly K8sObject[], prometheusUrl: string): Promise<LiveTempo> {
  const mounted = mountedConfig(objects, 'tempo', 'tempo');
  const file = mounted.pod.hostPath(mounted.file);
  const config = parseYaml(readFileSync(file, 'utf8')) as TempoYaml;
  const [http, grpc, otlp] = [await freePort(), await freePort(), await freePort()];
  Object.assign(config.server, { http_listen_address: '127.0.0.1', http_listen_port: http, grpc_listen_address: '127.0.0.1', grpc_listen_port: grpc });
  config.distributor.receivers.otlp.protocols.grpc!.endpoint = `127.0.0.1:${otlp}`;
  for (const rw of config.metrics_generator.storage.remote_write) rw.url = prometheusUrl + new URL(rw.url).pathname;
  writeFileSync(file, dumpYaml(config));
  const daemon = await startDaemon({ binary: tempo, args: () => [...mounted.args], url: `http://127.0.0.1:${http}`, readyPath: '/ready', tmpPrefix: 'o11y-tempo-' });
  return Object.assign(daemon, { mounted, otlpGrpc: `127.0.0.1:${otlp}` });
}
