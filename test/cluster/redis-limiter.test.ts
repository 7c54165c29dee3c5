/** RedisLimiter against the real Redis: buckets shared by every node, apart by name, local when cut off. */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { openLimiter, type ClosableLimiter } from "../../src/hub/bus/open.js";
import { RedisLimiter } from "../../src/hub/bus/redis-limiter.js";
import { REDIS_URL, freshPrefix, missingServices } from "./services.js";
import { systemClock } from "../../src/hub/clock.js";

const missing = await missingServices("redis");

describe.skipIf(missing !== undefined)(`RedisLimiter${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function limiters(
    rule: { ratePerSecond: number; burst: number },
    names: string[],
  ): Promise<ClosableLimiter[]> {
    const { url, drop } = freshPrefix();
    const list = await Promise.all(names.map((name) => openLimiter(url, rule, systemClock, name)));
    cleanups.push(async () => {
      await Promise.all(list.map((l) => l.close()));
      await drop();
    });
    return list;
  }

  it("counts one bucket across nodes and refuses past the burst with the wait", async () => {
    const [a, b] = await limiters({ ratePerSecond: 1, burst: 3 }, ["login", "login"]);
    expect(await a!.take("ann")).toBe(0);
    expect(await b!.take("ann")).toBe(0);
    expect(await a!.take("ann")).toBe(0);
    const wait = await b!.take("ann");
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(await a!.take("bob")).toBe(0); // another key, another bucket
  });

  it("takes nothing on refusal or peek, refills with time, and resets", async () => {
    const [a] = await limiters({ ratePerSecond: 20, burst: 2 }, ["messages"]);
    expect(await a!.take("k", 2)).toBe(0);
    expect(await a!.peek("k")).toBeGreaterThan(0);
    expect(await a!.take("k", 2)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(await a!.peek("k", 2)).toBe(0);
    expect(await a!.take("k", 2)).toBe(0);
    await a!.reset("k");
    expect(await a!.take("k", 2)).toBe(0);
  });

  it("gives back tokens, never past the burst", async () => {
    const [a, b] = await limiters({ ratePerSecond: 0.001, burst: 3 }, ["guard", "guard"]);
    for (let i = 0; i < 3; i++) expect(await a!.take("k")).toBe(0);
    expect(await b!.take("k")).toBeGreaterThan(0);
    await b!.give("k");
    expect(await a!.take("k")).toBe(0);
    expect(await a!.take("k")).toBeGreaterThan(0);
    await a!.give("k", 10);
    for (let i = 0; i < 3; i++) expect(await b!.take("k")).toBe(0);
    expect(await b!.take("k")).toBeGreaterThan(0);
  });

  it("keeps limiters with different names apart under the same key", async () => {
    const [register, login] = await limiters({ ratePerSecond: 1, burst: 1 }, ["register", "login-address"]);
    expect(await register!.take("10.0.0.1")).toBe(0);
    expect(await login!.take("10.0.0.1")).toBe(0);
    expect(await register!.take("10.0.0.1")).toBeGreaterThan(0);
  });

  it("counts on this node while Redis is unreachable instead of failing or letting everything through", async () => {
    const { prefix, drop } = freshPrefix();
    const redis = new Redis(REDIS_URL, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    redis.on("error", () => {});
    cleanups.push(async () => {
      redis.disconnect();
      await drop();
    });
    const limiter = new RedisLimiter(redis, prefix, { ratePerSecond: 0.001, burst: 2 }, "t");
    // Never connected: every call fails at once and the local bucket answers.
    expect(await limiter.take("x")).toBe(0);
    expect(await limiter.take("x")).toBe(0);
    expect(await limiter.take("x")).toBeGreaterThan(0);
  });
});
