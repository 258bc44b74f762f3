import { sendingQueue } from '../otel-collector.ts';

/**
 * Adds a sending queue to every exporter, the gateway's memory limit shared among them. A
 * load_balancing exporter gets one queue of its own, not one per endpoint: its per-endpoint OTLP
 * exporters neither queue nor retry, so replicas do not multiply queues, and a retry goes through
 * the ring again, to the successor of a replica that left.
 */
export function queued(exporters: Readonly<Record<string, object>>, memoryLimitMiB: number): Record<string, object> {
  const queue = sendingQueue(memoryLimitMiB, Object.keys(exporters).length);
  const perEndpoint = { sending_queue: { enabled: false }, retry_on_failure: { enabled: false } };
  return Object.fromEntries(
    Object.entries(exporters).map(([id, e]) => [
      id,
      id.split('/')[0] === 'load_balancing'
        ? { ...e, ...queue, protocol: { otlp: { ...(e as { protocol: { otlp: object } }).protocol.otlp, ...perEndpoint } } }
        : { ...e, ...queue },
    ]),
  );
}
