/** What differs between clouds, resolved per cluster. One small module per cloud implements it. */
export interface PlatformProfile {
  /** OpenTelemetry `cloud.provider` value; undefined on-prem, which has none. */
  readonly cloudProvider?: string;
  /**
   * `resource_detection` detectors for the gateway, in precedence order (the first detector to
   * set an attribute wins). `env` first: what users set explicitly beats what is detected.
   */
  readonly detectors: readonly string[];
  /**
   * Resource attributes no detector provides on this cloud, inserted (never overwritten) by the
   * gateway, e.g. `cloud.provider` on Alibaba, which has no ACK detector.
   */
  readonly staticResourceAttributes: Readonly<Record<string, string>>;
}
