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
 * Counts a limiter's refusals under `name`. `refusesOn` is the call whose non-zero answer refuses a
 * request: `peek` for failed-login limits (a `take` there counts a failure, it refuses nothing), `take`
 * for the rest.
 */
export function countRefusals<L extends Limiter>(
  limiter: L,
  name: string,
  refusesOn: "peek" | "take",
  metrics: Metrics,
): L {
  const original = limiter[refusesOn].bind(limiter);
  // The message path takes without a promise where it can (Limiter.takeSync, `take` by contract):
  // counted the same. The wrapped `take` calls the unwrapped `takeSync`, so nothing counts twice.
  const sync = refusesOn === "take" ? limiter.takeSync?.bind(limiter) : undefined;
  const counted = (wait: number) => {
    if (wait > 0) metrics.rateLimited(name);
    return wait;
  };
  limiter[refusesOn] = async (key: string, cost?: number) =>
    counted(sync ? sync(key, cost) : await original(key, cost));
  if (sync) limiter.takeSync = (key: string, cost?: number) => counted(sync(key, cost));
  return limiter;
}
