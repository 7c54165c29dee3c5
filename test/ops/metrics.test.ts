/** /metrics: its own loopback listener, valid Prometheus text, and counters that move with traffic. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, registerAndLogin } from "../helpers/client.js";
import { httpGet } from "../helpers/http.js";
import { ROOT, startHub } from "../helpers/hub.js";
import { has, parsePrometheus, valueOf, type Sample } from "../helpers/prometheus.js";

describe("metrics", () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  beforeAll(async () => {
    hub = await startHub({ config: { metricsPort: 0 } });
  });
  afterAll(() => hub.stop());

  async function scrape(): Promise<Sample[]> {
    const answer = await httpGet(hub.hub.metricsUrl!, "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(answer.body);
  }

  it("listens on loopback, apart from the hub's public port", async () => {
    expect(hub.hub.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(hub.hub.metricsUrl!).port).not.toBe(String(hub.port));
    expect((await httpGet(hub.url, "/metrics")).status).toBe(426);
  });

  it("is off unless asked for", async () => {
    const plain = await startHub();
    try {
      expect(plain.hub.metricsUrl).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });

  it("parses as Prometheus text with the process metrics", async () => {
    const samples = await scrape();
    for (const name of [
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "parley_connections",
      "parley_authenticated_users",
      "parley_deliveries_total",
      "parley_messages_stored_total",
      "parley_slow_consumers_dropped_total",
      "parley_bus_gaps_total",
    ]) {
      expect(has(samples, name), name).toBe(true);
    }
    expect(samples.every((s) => s.labels["node"] !== undefined)).toBe(true);
  });

  it("counters move with traffic", async () => {
    const before = await scrape();
    const ann = await registerAndLogin(hub.url, "ann");
    const ben = await registerAndLogin(hub.url, "ben");
    await ann.call("room.create", { name: "metrics" });
    await ben.call("room.join", { room: "metrics" });
    for (let i = 0; i < 5; i++) await ann.call("msg.send", { room: "metrics", body: `m${i}`, cid: `c${i}` });
    await ann.call("msg.send", { room: "metrics", body: "again", cid: "c0" }); // a retry: stored once
    await ben.call("room.history", { room: "metrics" });
    expect(await ann.codeOf("room.join", { room: "nowhere" })).toBe("NO_SUCH_ROOM");
    const guesser = await TestClient.connect(hub.url);
    for (let i = 0; i < 6; i++) await guesser.request("login", { username: "ben", password: "wrong guess!" });
    await ben.nextEvent("message", (m) => m.body === "m4");

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta("parley_requests_total", { op: "msg.send", outcome: "ok" })).toBe(6);
    expect(delta("parley_requests_total", { op: "room.join", outcome: "NO_SUCH_ROOM" })).toBe(1);
    expect(delta("parley_requests_total", { op: "login", outcome: "RATE_LIMITED" })).toBe(1);
    expect(delta("parley_rate_limited_total", { limiter: "login-account" })).toBe(1);
    expect(delta("parley_request_duration_seconds_count", { op: "msg.send" })).toBe(6);
    expect(delta("parley_messages_stored_total")).toBe(5);
    // Each message reaches ben's connection (ann's own gets it in the reply).
    expect(delta("parley_deliveries_total")).toBeGreaterThanOrEqual(5);
    expect(delta("parley_store_duration_seconds_count", { operation: "append" })).toBe(6);
    expect(delta("parley_store_duration_seconds_count", { operation: "query" })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, "parley_connections", { transport: "websocket", state: "authed" })).toBe(2);
    expect(valueOf(after, "parley_connections", { state: "ready" })).toBe(1);
    expect(valueOf(after, "parley_authenticated_users")).toBe(2);
    await Promise.all([ann.close(), ben.close(), guesser.close()]);
  });

  it("the Grafana dashboard in deploy/ asks only for metrics the hub exports (after the traffic above)", async () => {
    const dashboard = await readFile(join(ROOT, "deploy/grafana-dashboard.json"), "utf8");
    const exprs = (JSON.parse(dashboard) as { panels: Array<{ targets: Array<{ expr: string }> }> }).panels
      .flatMap((p) => p.targets)
      .map((t) => t.expr);
    const asked = new Set(exprs.flatMap((e) => e.match(/\b(?:parley|nodejs|process)_[a-z0-9_]+/g) ?? []));
    expect(asked.size).toBeGreaterThan(10);
    const samples = await scrape();
    for (const name of asked) expect(has(samples, name), name).toBe(true);
  });
});
