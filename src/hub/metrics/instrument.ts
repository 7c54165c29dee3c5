/** Wraps the parts the metrics watch from outside (store, limiters), so their code stays unaware. */
import { performance } from "node:perf_hooks";
import type { Limiter } from "../bus/limiter.js";
import type { Store } from "../store/store.js";
import type { Metrics } from "./metrics.js";

/** Times `appendMessage` (until committed) and `history`, and counts stored messages. Mutates `store`. */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const append = store.appendMessage.bind(store);
  const history = store.history.bind(store);
  store.appendMessage = async (message) => {
    const started = performance.now();
    const result = await append(message);
    metrics.store("append", (performance.now() - started) / 1000, !result.duplicate);
    return result;
  };
  store.history = async (convId, query, viewerId) => {
    const started = performance.now();
    const result = await history(convId, query, viewerId);
    metrics.store("query", (performance.now() - started) / 1000);
    return result;
  };
  return store;
}

/**
 * Counts a limiter's refusals under `name`. `refusesOn` says what a refusal is: an empty `take` (or
 * `takeSync`), or — for the wrong-password buckets, whose empty `take` does not always refuse — only
 * what the password guard reports through `refused`.
 */
export function countRefusals<L extends Limiter>(
  limiter: L,
  name: string,
  refusesOn: "take" | "guard",
  metrics: Metrics,
): L {
  if (refusesOn === "guard") {
    const before = limiter.refused?.bind(limiter);
    limiter.refused = (key: string) => {
      before?.(key);
      metrics.rateLimited(name);
    };
    return limiter;
  }
  const take = limiter.take.bind(limiter);
  // The message path takes without a promise where it can (Limiter.takeSync, `take` by contract):
  // counted the same. The wrapped `take` calls the unwrapped `takeSync`, so nothing counts twice.
  const sync = limiter.takeSync?.bind(limiter);
  const counted = (wait: number) => {
    if (wait > 0) metrics.rateLimited(name);
    return wait;
  };
  limiter.take = async (key: string, cost?: number) =>
    counted(sync ? sync(key, cost) : await take(key, cost));
  if (sync) limiter.takeSync = (key: string, cost?: number) => counted(sync(key, cost));
  return limiter;
}
