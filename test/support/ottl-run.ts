import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBinary } from './run-tool.ts';

// The collector's real OTTL through `ottl-run` (README, Testing): a collector config or one
// component's in, OTLP JSON in and out. A statement or condition that does not parse (exit 1), bad
// input (2) or a runtime error under `propagate` (3) throws with ottl-run's own message.

export type OtlpSignal = 'traces' | 'metrics' | 'logs';
export type Attributes = Readonly<Record<string, string | undefined>>;
interface KeyValue {
  key: string;
  value: { stringValue?: string; kvlistValue?: { values?: KeyValue[] } };
}

const RESOURCE_KEY: Record<OtlpSignal, string> = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };

/** OTLP JSON string attributes; undefined values are left out (the attribute is missing). */
export function otlpAttributes(attributes: Attributes): KeyValue[] {
  return Object.entries(attributes).flatMap(([key, v]) => (v === undefined ? [] : [{ key, value: { stringValue: v } }]));
}

/** OTLP JSON attributes back as an object: strings, and maps (kvlist) as nested objects. */
export function attributesOf(list: readonly KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value.kvlistValue ? attributesOf(value.kvlistValue.values) : value.stringValue]));
}

/** One resource per attribute set, without records: what a routing connector matches in its default (resource) context. */
export function otlpResources(signal: OtlpSignal, resources: readonly Attributes[]): object {
  return { [RESOURCE_KEY[signal]]: resources.map((a) => ({ resource: { attributes: otlpAttributes(a) } })) };
}

function run(binary: string, command: 'transform' | 'conditions', configFlag: string, config: object, args: string[], input: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'o11y-ottl-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, JSON.stringify(config)); // JSON is YAML
    const result = runBinary(binary, [command, configFlag, file, '--input', '-', ...args], { input: JSON.stringify(input) });
    if (result.status !== 0) throw new Error(`ottl-run ${command} exited ${result.status}: ${result.output.trim()}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RouteMatch {
  readonly index: number;
  /** Each matching route by name: its pipelines joined by `,`. */
  readonly matched: string[];
}

/** `ottl-run conditions`: the routes of `connector` (in a whole collector config, or a routing connector's own config) each resource matches. */
export function ottlConditions(binary: string, opts: { signal: OtlpSignal; config: object; connector?: string; input: object }): RouteMatch[] {
  const out = run(binary, 'conditions', '--conditions', opts.config, ['--signal', opts.signal, ...(opts.connector ? ['--connector', opts.connector] : [])], opts.input);
  return out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as RouteMatch);
}

/** Where the routing connector sends each resource: every matching route's pipelines, else its default pipelines. */
export function destinations(matches: readonly RouteMatch[], defaultPipelines: readonly string[]): string[][] {
  return matches.map((m) => (m.matched.length ? m.matched.flatMap((name) => name.split(',')) : [...defaultPipelines]));
}

/** `ottl-run transform`: the OTLP JSON `processor` (or the config's only transform processor) makes of `input`. */
export function ottlTransform(binary: string, opts: { signal: OtlpSignal; config: object; processor?: string; input: object }): Record<string, unknown> {
  const out = run(binary, 'transform', '--config', opts.config, ['--signal', opts.signal, ...(opts.processor ? ['--processor', opts.processor] : [])], opts.input);
  return JSON.parse(out) as Record<string, unknown>;
}
