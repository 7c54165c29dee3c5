/** The in-process token bucket (its Redis twin passes the same cases in test/cluster/redis-limiter.test.ts). */
import { describe, expect, it } from "vitest";
import { LocalLimiter } from "../../src/hub/bus/limiter.js";
import { ManualClock } from "../../src/hub/clock.js";

describe("LocalLimiter", () => {
  it("refuses past the burst with the wait, takes nothing on refusal or peek, refills with time", async () => {
    const clock = new ManualClock();
    const limiter = new LocalLimiter({ ratePerSecond: 1, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBe(1000);
    expect(await limiter.peek("k")).toBe(1000);
    clock.advance(1000);
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("other")).toBe(0);
  });

  it("gives back tokens, never past the burst", async () => {
    const limiter = new LocalLimiter({ ratePerSecond: 0.001, burst: 3 }, new ManualClock());
    for (let i = 0; i < 3; i++) expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBeGreaterThan(0);
    await limiter.give("k");
    expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBeGreaterThan(0);
    await limiter.give("k", 10);
    for (let i = 0; i < 3; i++) expect(await limiter.take("k")).toBe(0);
    expect(await limiter.take("k")).toBeGreaterThan(0);
  });
});
