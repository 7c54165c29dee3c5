/**
 * Reconnect delays: exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
 * And Jitter"): the delay before attempt n is uniform in [0, min(max, base·2ⁿ)]. Full jitter spreads a
 * crowd of clients reconnecting after a hub restart instead of having them knock in waves.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** `attempt` counts from 0 (the first retry). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  // 2^30 already exceeds any sane cap; bounding the exponent keeps the product finite.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}
