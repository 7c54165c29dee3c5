/**
 * The SQLite writer thread: owns the connection that appends messages and commits each group it is
 * sent in one transaction (appender.ts `writeGroup`), then answers with every append's outcome. The
 * store acknowledges nothing before that answer: the commit is in the WAL by then, so a crash of the
 * hub loses no acknowledged message (test/integration/crash-recovery.test.ts).
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { Appender } from "./appender.js";
import { configure } from "./pragmas.js";
import type { WorkerReply, WorkerRequest, WriterData } from "./worker-appender.js";

const port = parentPort!;
const data = workerData as WriterData;
const db = new Database(data.file);
configure(db, data.synchronous);
const appender = new Appender(db, "off");

/** Errors cross threads as plain data; the store side revives the store's own error classes. */
function serialise(error: unknown): WorkerReply["outcomes"][number] {
  if (!(error instanceof Error)) return { error: { name: "Error", message: String(error), props: {} } };
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) props[key] = value;
  }
  return { error: { name: error.name, message: error.message, props } };
}

port.on("message", (request: WorkerRequest) => {
  if (request.close) {
    db.close();
    port.close();
    return;
  }
  const before = appender.stats.commits;
  const outcomes = appender.writeGroup(request.batch).map((o) => ("result" in o ? o : serialise(o.error)));
  const reply: WorkerReply = { outcomes, commits: appender.stats.commits - before };
  port.postMessage(reply);
});
port.postMessage({ ready: true });
