/**
 * What the hub tells its metrics, as one small interface injected where things happen (the gateway's
 * request and delivery paths, the store, the limiters, the bus). Every call is cheap by contract: plain
 * counting, no allocation per delivery; the Prometheus side (prometheus.ts) turns the counts into
 * metrics when scraped. `NO_METRICS` is the default: without `--metrics-port` nothing is measured.
 */
export interface Metrics {
  /** A request answered: its op, `ok` or the error code, and how long it took. */
  request(op: string, outcome: string, seconds: number): void;
  /** Frames handed to connections for one bus delivery (one per receiving connection). */
  delivered(connections: number): void;
  /** A connection dropped because it stopped reading. */
  slowConsumerDropped(): void;
  /** A request refused by a rate limiter: `requests`, or a limiter's name in hub/limits.ts (`login-account`…). */
  rateLimited(limiter: string): void;
  /** A store call: `append` (a message stored, `duplicate` when its cid was known) or `query` (history). */
  store(operation: "append" | "query", seconds: number, stored?: boolean): void;
  /** The bus may have lost messages (a Redis reconnect): the gateways repair from the store. */
  busGap(): void;
  /** The time a bus message took to come back to the node that sent it (cluster heartbeats). */
  busLag(seconds: number): void;
  /** Whether anything is measured: callers may skip taking timestamps when not. */
  readonly enabled: boolean;
}

export const NO_METRICS: Metrics = {
  enabled: false,
  request() {},
  delivered() {},
  slowConsumerDropped() {},
  rateLimited() {},
  store() {},
  busGap() {},
  busLag() {},
};
