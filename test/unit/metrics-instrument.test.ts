/**
 * countRefusals: a limiter's refusals are counted once each, whether the caller takes with a promise
 * (`take`) or without one (`takeSync`, the message path's fast case); the password guard's buckets
 * count only the refusals the guard reports.
 */
import { describe, expect, it } from "vitest";
import { LocalLimiter, type Limiter } from "../../src/hub/bus/limiter.js";
import { countRefusals } from "../../src/hub/metrics/instrument.js";
import { NO_METRICS, type Metrics } from "../../src/hub/metrics/metrics.js";

function counting(): Metrics & { refused: string[] } {
  const refused: string[] = [];
  return { ...NO_METRICS, enabled: true, refused, rateLimited: (name) => void refused.push(name) };
}

const frozen = { now: () => 1_000 };

describe("countRefusals", () => {
  it("counts each refused take and takeSync once", async () => {
    const metrics = counting();
    const limiter = countRefusals(
      new LocalLimiter({ ratePerSecond: 1, burst: 2 }, frozen),
      "messages",
      "take",
      metrics,
    );
    expect(await limiter.take("ann")).toBe(0);
    expect(limiter.takeSync!("ann")).toBe(0);
    expect(await limiter.take("ann")).toBeGreaterThan(0);
    expect(limiter.takeSync!("ann")).toBeGreaterThan(0);
    expect(await limiter.take("bob", 3)).toBeGreaterThan(0); // the cost is passed on
    expect(metrics.refused).toEqual(["messages", "messages", "messages"]);
  });

  it("counts a wrong-password bucket's refusals only when the guard reports one", async () => {
    const metrics = counting();
    const limiter = countRefusals(
      new LocalLimiter({ ratePerSecond: 1, burst: 1 }, frozen),
      "login-account",
      "guard",
      metrics,
    );
    await limiter.take("ann");
    expect(await limiter.take("ann")).toBeGreaterThan(0); // empty, but a clean source still goes ahead
    expect(metrics.refused).toEqual([]);
    (limiter as Limiter).refused!("ann");
    expect(metrics.refused).toEqual(["login-account"]);
  });
});
