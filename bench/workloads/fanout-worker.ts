/** A worker thread running one slice of the fan-out load generator (see fanout-engine.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { FanoutEngine, type FanoutSlice } from "./fanout-engine.js";

export type ToWorker = { type: "run"; idleMs: number; maxMs: number } | { type: "close" };
export type FromWorker =
  | { type: "ready" }
  | { type: "stats"; stats: ReturnType<FanoutEngine["stats"]> }
  | { type: "error"; message: string };

const port = parentPort!;
const engine = new FanoutEngine(workerData as FanoutSlice);
const post = (msg: FromWorker): void => port.postMessage(msg);

port.on("message", (msg: ToWorker) => {
  if (msg.type === "run") {
    engine
      .send()
      .then(() => engine.waitDone(msg.idleMs, msg.maxMs))
      .then(() => post({ type: "stats", stats: engine.stats() }))
      .catch((err: unknown) => post({ type: "error", message: String(err) }));
  } else {
    engine.close();
    setTimeout(() => port.close(), 200).unref();
  }
});

engine
  .setup()
  .then(() => post({ type: "ready" }))
  .catch((err: unknown) =>
    post({ type: "error", message: err instanceof Error ? err.message : String(err) }),
  );
