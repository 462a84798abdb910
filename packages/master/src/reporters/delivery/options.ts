/**
 * `reportDelivery`: how the outbox is delivered, with its defaults (documented in the config types,
 * the JSON Schema and the README). Seconds in the config, milliseconds here.
 */
export interface ReportDeliveryOptions {
  /**
   * Deliveries in flight at once PER REPORTER: a hung endpoint holds only its own reporter's slots.
   * @default 4
   */
  concurrency?: number;
  /**
   * Seconds a report that fails with a retryable error (a network fault, a 5xx, a rate limit) is
   * retried, counted from its event; then it is given up and shown as failed.
   * @default 21600 (6 hours)
   */
  retryFor?: number;
  /** Seconds before the first retry; it doubles per attempt (with jitter). @default 2 */
  retryInitialDelay?: number;
  /** Longest wait between two attempts, seconds. @default 300 */
  retryMaxDelay?: number;
  /**
   * Seconds one attempt (generating the report and sending it) may take before it counts as a
   * retryable timeout and its slot is freed.
   * @default 120
   */
  attemptTimeout?: number;
  /** Seconds delivered and failed reports are kept (for /api/v2/reporters), then pruned. @default 604800 (7 days) */
  retention?: number;
  /**
   * Seconds between looks at the outbox for reports written by other masters, released claims and
   * retries that came due (this master's own new reports are delivered at once).
   * @default 10
   */
  pollInterval?: number;
}

export const REPORT_DELIVERY_KEYS = ['concurrency', 'retryFor', 'retryInitialDelay', 'retryMaxDelay', 'attemptTimeout', 'retention', 'pollInterval'] as const;

export const REPORT_DELIVERY_DEFAULTS: Readonly<Required<ReportDeliveryOptions>> = {
  concurrency: 4,
  retryFor: 21600,
  retryInitialDelay: 2,
  retryMaxDelay: 300,
  attemptTimeout: 120,
  retention: 7 * 24 * 3600,
  pollInterval: 10,
};

/** The compiled form the pool runs on. */
export interface DeliverySettings {
  concurrency: number;
  retryForMs: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  attemptTimeoutMs: number;
  retentionMs: number;
  pollIntervalMs: number;
}

export function compileDeliveryOptions(o: ReportDeliveryOptions = {}): DeliverySettings {
  const d = { ...REPORT_DELIVERY_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
  return {
    concurrency: d.concurrency,
    retryForMs: d.retryFor * 1000,
    retryInitialDelayMs: d.retryInitialDelay * 1000,
    retryMaxDelayMs: d.retryMaxDelay * 1000,
    attemptTimeoutMs: d.attemptTimeout * 1000,
    retentionMs: d.retention * 1000,
    pollIntervalMs: d.pollInterval * 1000,
  };
}
