/**
 * The hub's metrics in Prometheus form (prom-client), one registry per hub. Hot-path counts are plain
 * numbers read at scrape time; histograms keep one child per op. Gauges of state (connections, users)
 * are read from the gateway when scraped, so nothing is updated per connection event.
 */
import client from "prom-client";
import type { Metrics } from "./metrics.js";

/** What is read from the running hub at scrape time. */
export interface HubState {
  /** Open connections by transport and state. */
  connections(): Array<{ transport: string; state: string; count: number }>;
  /** Users with an authenticated connection on this node. */
  authenticatedUsers(): number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class PrometheusMetrics implements Metrics {
  readonly enabled = true;
  readonly registry = new client.Registry();
  private deliveries = 0;
  private slowDropped = 0;
  private stored = 0;
  private gaps = 0;
  private readonly requests = new Map<string, { op: string; outcome: string; n: number }>();
  private readonly refusals = new Map<string, number>();
  private readonly latency: client.Histogram<"op">;
  private readonly latencyByOp = new Map<string, client.Histogram.Internal<"op">>();
  private readonly storeLatency: client.Histogram<"operation">;
  private readonly busLagSeconds: client.Histogram;

  constructor(state: HubState, labels: { node: string }) {
    const registry = this.registry;
    registry.setDefaultLabels(labels);
    // Event-loop lag, heap, RSS, GC, handles: prom-client's standard process and Node.js metrics.
    client.collectDefaultMetrics({ register: registry });
    const requests = this.requests;
    const refusals = this.refusals;
    const counter = (name: string, help: string, read: () => number) =>
      new client.Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counter(
      "parley_deliveries_total",
      "Frames handed to connections for bus deliveries.",
      () => this.deliveries,
    );
    counter(
      "parley_slow_consumers_dropped_total",
      "Connections dropped because the client stopped reading.",
      () => this.slowDropped,
    );
    counter("parley_messages_stored_total", "Messages stored (retried cids not counted).", () => this.stored);
    counter(
      "parley_bus_gaps_total",
      "Times the bus may have lost messages (repaired from the store).",
      () => this.gaps,
    );
    new client.Counter({
      name: "parley_requests_total",
      help: "Requests answered, by op and outcome (ok or the error code).",
      labelNames: ["op", "outcome"],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of requests.values()) this.inc({ op: r.op, outcome: r.outcome }, r.n);
      },
    });
    new client.Counter({
      name: "parley_rate_limited_total",
      help: "Requests refused by a rate limiter, by limiter.",
      labelNames: ["limiter"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [limiter, n] of refusals) this.inc({ limiter }, n);
      },
    });
    new client.Gauge({
      name: "parley_connections",
      help: "Open client connections on this node, by transport and state (new, ready, authed).",
      labelNames: ["transport", "state"],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of state.connections()) this.set({ transport: c.transport, state: c.state }, c.count);
      },
    });
    new client.Gauge({
      name: "parley_authenticated_users",
      help: "Users with at least one authenticated connection on this node.",
      registers: [registry],
      collect() {
        this.set(state.authenticatedUsers());
      },
    });
    this.latency = new client.Histogram({
      name: "parley_request_duration_seconds",
      help: "Time from a request's arrival to its reply, by op.",
      labelNames: ["op"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.storeLatency = new client.Histogram({
      name: "parley_store_duration_seconds",
      help: "Store calls: append (until committed) and query (a history page).",
      labelNames: ["operation"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.busLagSeconds = new client.Histogram({
      name: "parley_bus_lag_seconds",
      help: "Round trip of this node's bus heartbeats through Redis (cluster mode).",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    });
  }

  request(op: string, outcome: string, seconds: number): void {
    const key = `${op}\0${outcome}`;
    const entry = this.requests.get(key);
    if (entry) entry.n += 1;
    else this.requests.set(key, { op, outcome, n: 1 });
    let child = this.latencyByOp.get(op);
    if (!child) this.latencyByOp.set(op, (child = this.latency.labels({ op })));
    child.observe(seconds);
  }

  delivered(connections: number): void {
    this.deliveries += connections;
  }

  slowConsumerDropped(): void {
    this.slowDropped += 1;
  }

  rateLimited(limiter: string): void {
    this.refusals.set(limiter, (this.refusals.get(limiter) ?? 0) + 1);
  }

  store(operation: "append" | "query", seconds: number, stored?: boolean): void {
    this.storeLatency.observe({ operation }, seconds);
    if (stored) this.stored += 1;
  }

  busGap(): void {
    this.gaps += 1;
  }

  busLag(seconds: number): void {
    this.busLagSeconds.observe(seconds);
  }
}
