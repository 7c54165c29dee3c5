/**
 * Group commit in a writer thread: `appendMessage` without the SQLite write on the event loop that
 * also parses requests and writes every socket.
 *
 * Appends called in one event-loop turn go to the writer thread (append-worker.ts) as one group, and
 * while a group is being committed the next ones gather, so under load groups grow by themselves. A
 * promise resolves only when the writer says its group is committed. The store's other writes run on
 * the store's own connection through `exclusive`: after every append called before them (their group
 * committed) and before any called after them — so writes keep their call order, and the two
 * connections never wait on each other's write lock.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as storeTypes from "../store.js";
import type { AppendResult, NewMessage } from "../store.js";
import type { AppendQueue } from "./appender.js";

export interface WriterData {
  file: string;
  synchronous: "normal" | "full" | undefined;
}

export type WorkerRequest = { close: true; batch?: undefined } | { close?: undefined; batch: NewMessage[] };

export interface WireError {
  name: string;
  message: string;
  props: Record<string, unknown>;
}

export interface WorkerReply {
  outcomes: Array<{ result: AppendResult } | { error: WireError }>;
  commits: number;
}

interface Pending {
  message: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

interface Barrier {
  run: () => void;
}

/** The store's error classes (store.ts), so a typed error thrown in the writer stays typed here. */
const storeErrors = new Map<string, { prototype: Error }>();
for (const value of Object.values(storeTypes)) {
  if (typeof value === "function" && value.prototype instanceof Error) storeErrors.set(value.name, value);
}

export function revive(wire: WireError): Error {
  const error = new Error(wire.message);
  const known = storeErrors.get(wire.name);
  if (known) Object.setPrototypeOf(error, known.prototype);
  return Object.assign(error, wire.props, { name: wire.name });
}

/** The writer thread; under tsx (development, tests) its TypeScript source is loaded through tsx. */
function startWriter(data: WriterData): Worker {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) {
    const entry = new URL("./append-worker.ts", import.meta.url).href;
    const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: data });
  }
  return new Worker(new URL("./append-worker.js", import.meta.url), { workerData: data });
}

export class WorkerAppender implements AppendQueue {
  readonly stats = { commits: 0, appends: 0 };
  private queue: Array<Pending | Barrier> = [];
  private inFlight: Pending[] | undefined;
  private scheduled = false;
  private failed: Error | undefined;
  private drained: Array<() => void> = [];

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WorkerReply) => this.answered(reply));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`the SQLite writer thread exited (${code})`)));
    worker.unref();
  }

  static async start(data: WriterData): Promise<WorkerAppender> {
    const worker = startWriter(data);
    await new Promise<void>((resolve, reject) => {
      const exited = (code: number) => done(new Error(`the SQLite writer thread exited (${code})`));
      const done = (error?: Error) => {
        worker.off("message", ready).off("error", done).off("exit", exited);
        if (error) reject(error);
        else resolve();
      };
      const ready = () => done();
      worker.on("message", ready).on("error", done).on("exit", exited);
    });
    return new WorkerAppender(worker);
  }

  append(message: NewMessage): Promise<AppendResult> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.schedule();
    });
  }

  exclusive<T>(write: () => T): Promise<T> {
    if (!this.inFlight && this.queue.length === 0) {
      try {
        return Promise.resolve(write());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        run: () => {
          try {
            resolve(write());
          } catch (error) {
            reject(error);
          }
        },
      });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length + (this.inFlight?.length ?? 0);
  }

  get broken(): Error | undefined {
    return this.failed;
  }

  /** Waits for every append called so far, then stops the writer thread. */
  async close(): Promise<void> {
    if (this.pending > 0 && !this.failed) await new Promise<void>((resolve) => this.drained.push(resolve));
    if (this.failed) return;
    this.failed = new Error("the store is closed");
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage({ close: true } satisfies WorkerRequest);
    await exited;
  }

  /** Sends the appends of this turn as one group, on setImmediate (after this poll phase's reads). */
  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Runs the writes waiting at the head of the queue, then sends the appends up to the next one. */
  private pump(): void {
    if (this.inFlight || this.failed) return;
    while (this.queue.length > 0 && "run" in this.queue[0]!) (this.queue.shift() as Barrier).run();
    let end = 0;
    while (end < this.queue.length && !("run" in this.queue[end]!)) end++;
    if (end === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
      return;
    }
    const group = this.queue.splice(0, end) as Pending[];
    this.inFlight = group;
    // Keep the process alive while a group is out; an idle writer does not hold it.
    this.worker.ref();
    this.worker.postMessage({ batch: group.map((p) => p.message) } satisfies WorkerRequest);
  }

  private answered(reply: WorkerReply): void {
    const group = this.inFlight ?? [];
    this.inFlight = undefined;
    this.worker.unref();
    this.stats.commits += reply.commits;
    this.stats.appends += group.length;
    group.forEach((p, i) => {
      const outcome = reply.outcomes[i];
      if (outcome && "result" in outcome) p.resolve(outcome.result);
      else p.reject(outcome ? revive(outcome.error) : new Error("the SQLite writer gave no answer"));
    });
    // What gathered meanwhile goes at once: the writer is never idle while appends wait.
    this.pump();
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    const waiting = [...(this.inFlight ?? []), ...this.queue];
    this.inFlight = undefined;
    this.queue = [];
    for (const item of waiting) {
      if ("run" in item) item.run();
      else item.reject(error);
    }
    for (const resolve of this.drained.splice(0)) resolve();
  }
}
