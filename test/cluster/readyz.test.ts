/**
 * /readyz in cluster mode follows PostgreSQL and Redis: 503 naming the one that went away, 200 again once
 * it is back. PostgreSQL "goes away" behind a TCP proxy the test cuts, and Redis is the test's own
 * redis-server, so the machine's shared services stay up for everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet } from "../helpers/http.js";
import { parsePrometheus, valueOf } from "../helpers/prometheus.js";
import { startHub } from "../helpers/hub.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { PrivateRedis, until } from "./cluster.js";
import { freshPrefix, freshSchema, missingRedisServer, missingServices } from "./services.js";

const missing = (await missingServices("postgres")) ?? missingRedisServer();

describe.skipIf(missing !== undefined)(
  `readyz in a cluster${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let redis: PrivateRedis;
    let proxy: TcpProxy;
    let schema: Awaited<ReturnType<typeof freshSchema>>;
    let hub: Awaited<ReturnType<typeof startHub>>;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      schema = await freshSchema();
      const target = new URL(schema.url);
      proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      target.port = String(proxy.port);
      hub = await startHub({
        config: {
          store: target.toString(),
          bus: freshPrefix(redis.url).url,
          nodeId: "readyz",
          metricsPort: 0,
        },
      });
    }, 60_000);

    afterAll(async () => {
      await hub?.stop();
      await proxy?.cut();
      await redis?.stop();
      await schema?.drop();
    });

    async function readyz(): Promise<{ status: number; checks: Record<string, string> }> {
      const answer = await httpGet(hub.url, "/readyz");
      return {
        status: answer.status,
        checks: (JSON.parse(answer.body) as { checks: Record<string, string> }).checks,
      };
    }

    async function waitStatus(status: number): Promise<Record<string, string>> {
      let last = await readyz();
      await until(`readyz ${status}`, async () => (last = await readyz()).status === status, 30_000);
      return last.checks;
    }

    it("is ready with both services up", async () => {
      expect(await waitStatus(200)).toEqual({ store: "ok", bus: "ok" });
    });

    it("says 503 naming PostgreSQL while it is unreachable, and 200 when it returns", async () => {
      await proxy.cut();
      const checks = await waitStatus(503);
      expect(checks["store"]).not.toBe("ok");
      expect(checks["bus"]).toBe("ok");
      await proxy.restore();
      expect(await waitStatus(200)).toEqual({ store: "ok", bus: "ok" });
    }, 90_000);

    it("says 503 naming Redis while it is down, and 200 when it returns", async () => {
      await redis.stop();
      const checks = await waitStatus(503);
      expect(checks["bus"]).toMatch(/Redis/);
      expect(checks["store"]).toBe("ok");
      await redis.restart(0);
      expect(await waitStatus(200)).toEqual({ store: "ok", bus: "ok" });
    }, 90_000);

    it("counts the bus gap of the Redis restart and times the bus round trip", async () => {
      let samples = parsePrometheus((await httpGet(hub.hub.metricsUrl!, "/metrics")).body);
      await until(
        "a bus heartbeat round trip",
        async () => {
          samples = parsePrometheus((await httpGet(hub.hub.metricsUrl!, "/metrics")).body);
          return valueOf(samples, "parley_bus_lag_seconds_count") > 0;
        },
        30_000,
      );
      expect(valueOf(samples, "parley_bus_gaps_total")).toBeGreaterThanOrEqual(1);
    }, 60_000);
  },
);
