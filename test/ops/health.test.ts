/** /healthz and /readyz on the hub's own port: unauthenticated, JSON, and cheap under a flood. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet } from "../helpers/http.js";
import { startHub } from "../helpers/hub.js";
import { until } from "../cluster/cluster.js";

describe("health endpoints", () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(() => hub.stop());

  it("GET /healthz answers 200 over TLS without logging in", async () => {
    const answer = await httpGet(hub.url, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
  });

  it("GET /readyz names each check", async () => {
    const answer = await httpGet(hub.url, "/readyz");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: "ready", checks: { store: "ok", bus: "ok" } });
  });

  it("HEAD works and other methods are refused", async () => {
    expect((await httpGet(hub.url, "/readyz", "HEAD")).status).toBe(200);
    const post = await httpGet(hub.url, "/healthz", "POST");
    expect(post.status).toBe(405);
  });

  it("a flood of readiness probes costs one store probe per interval", async () => {
    let probes = 0;
    const store = (hub.hub as unknown as { health: { options: { checks: Record<string, () => unknown> } } })
      .health.options.checks;
    const original = store["store"]!;
    store["store"] = () => {
      probes++;
      return original();
    };
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => httpGet(hub.url, "/readyz")));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      // At most a couple: the cache may turn over once while the 50 requests are answered.
      expect(probes).toBeLessThanOrEqual(3);
    } finally {
      store["store"] = original;
    }
  });

  it("turns not ready with the reason once the store is closed", async () => {
    const other = await startHub();
    try {
      // Close only the store, as a failed disk would leave it, while the HTTP server still answers.
      await (other.hub.domain.deps.store as { close(): Promise<void> }).close();
      // The cached answer expires within a second; poll rather than sleep.
      let answer = await httpGet(other.url, "/readyz");
      await until("readyz to say 503", async () => {
        answer = await httpGet(other.url, "/readyz");
        return answer.status === 503;
      });
      expect(JSON.parse(answer.body)).toMatchObject({
        status: "not ready",
        checks: { store: "the store is closed", bus: "ok" },
      });
    } finally {
      await other.stop().catch(() => {});
    }
  });

  it("other paths still get the hub's plain answer", async () => {
    const answer = await httpGet(hub.url, "/nothing-here");
    expect(answer.status).toBe(426);
  });
});
