/**
 * The `fanout` workload: C clients in R rooms; each client sends M messages, all at once (burst) or
 * paced at an aggregate rate. Counts deliveries (a message received by one other member), loss, order
 * violations and latency; samples the server's CPU and RSS and the generator's own CPU.
 */
import { Worker } from "node:worker_threads";
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import { roomName, type ClientSpec, type ServerInfo } from "../lib/connect.js";
import type { Server } from "../lib/servers.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn, ParleyError } from "../lib/parley.js";
import { cpuShare, sampleProcess, SelfCpu } from "../lib/proc.js";
import { FanoutEngine, type FanoutSlice, type SliceStats } from "./fanout-engine.js";
import type { FromWorker, ToWorker } from "./fanout-worker.js";

export interface FanoutOptions {
  server: ServerInfo & Pick<Server, "pid" | "gcSample" | "parleyWs">;
  clients: number;
  rooms: number;
  messages: number;
  /** Aggregate msg/s; 0 = burst. */
  rate: number;
  /** Generator threads; 0 runs the generator in this thread. */
  workers: number;
  /** Parley accounts with session tokens, at least `clients` of them. */
  accounts?: Account[];
  /** Unique per run on one server: rooms are named after it. */
  label: string;
  /** Give up after this long without a delivery. */
  idleMs?: number;
}

export interface FanoutResult {
  workload: "fanout";
  label: string;
  server: string;
  clients: number;
  rooms: number;
  roomSize: number;
  messagesPerClient: number;
  mode: "burst" | "paced";
  rate: number;
  expected: number;
  delivered: number;
  loss: number;
  orderViolations: number;
  misrouted: number;
  /** Parley's replies to `msg.send`: every send must be acknowledged. */
  acked: number;
  sendErrors: number;
  firstSendError?: string;
  closedEarly: number;
  shortReceivers: number;
  shortExamples: string[];
  sent: number;
  durationMs: number;
  deliveriesPerSec: number;
  latency: LatencySummary;
  serverCpu: number;
  /** Deliveries per second of server CPU (all its threads): the cost of a delivery, whatever the load. */
  deliveriesPerCpuSec: number;
  /** With a GC probe: the hub's main-thread allocation and collections per 1,000 messages sent. */
  gc?: { allocatedKiBPer1000: number; scavengesPer1000: number; gcMsPer1000: number };
  serverRssKiB: number;
  generatorCpu: number;
  workers: number;
  /** How many runs this result is the median of (compare --repeat). */
  runs?: number;
}

export async function createRooms(
  server: ServerInfo,
  owners: Account[],
  names: string[],
  epochMs: number,
): Promise<void> {
  const clock = microClock(epochMs);
  await Promise.all(
    names.map(async (name, i) => {
      const owner = owners[i]!;
      const conn = await ParleyConn.connect(server, clock);
      try {
        await conn.resume(owner.token);
        await conn.request("room.create", { name });
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === "ROOM_EXISTS")) throw err;
      } finally {
        conn.close();
      }
    }),
  );
}

export interface SliceRunner {
  ready: Promise<void>;
  run(idleMs: number, maxMs: number): Promise<SliceStats>;
  close(): Promise<void>;
}

export function inThread(slice: FanoutSlice): SliceRunner {
  const engine = new FanoutEngine(slice);
  return {
    ready: engine.setup(),
    async run(idleMs, maxMs) {
      await engine.send();
      await engine.waitDone(idleMs, maxMs);
      return engine.stats();
    },
    async close() {
      engine.close();
    },
  };
}

export function inWorker(slice: FanoutSlice): SliceRunner {
  // Module hooks registered by tsx in this thread do not reach workers on Node 20, and `--import` in a
  // worker's execArgv registers them too late for its entry: register tsx first, then import the entry.
  const entry = new URL("./fanout-worker.ts", import.meta.url).href;
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: slice });
  let onStats: ((s: SliceStats) => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onError = reject;
    worker.on("message", (msg: FromWorker) => {
      if (msg.type === "ready") resolve();
      else if (msg.type === "stats") onStats?.(msg.stats);
      else onError?.(new Error(`generator worker: ${msg.message}`));
    });
    worker.on("error", (err) => onError?.(err));
  });
  return {
    ready,
    run(idleMs, maxMs) {
      return new Promise((resolve, reject) => {
        onStats = resolve;
        onError = reject;
        worker.postMessage({ type: "run", idleMs, maxMs } satisfies ToWorker);
      });
    },
    async close() {
      worker.postMessage({ type: "close" } satisfies ToWorker);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => void worker.terminate().then(() => resolve()), 3000);
        worker.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

/** Adds up what the generator slices (threads or workers) counted. */
export function mergeSlices(all: readonly SliceStats[]) {
  const hist = new Histogram();
  const total = {
    expected: 0,
    delivered: 0,
    orderViolations: 0,
    misrouted: 0,
    sendErrors: 0,
    acked: 0,
    closedEarly: 0,
    shortReceivers: 0,
    sent: 0,
  };
  const shortExamples: string[] = [];
  let firstSendError: string | undefined;
  let start = Infinity;
  let end = 0;
  for (const s of all) {
    hist.merge(s.histogram);
    total.expected += s.expected;
    total.delivered += s.delivered;
    total.orderViolations += s.orderViolations;
    total.misrouted += s.misrouted;
    total.sendErrors += s.ackErrors;
    total.acked += s.acksOk;
    total.closedEarly += s.closedEarly;
    total.shortReceivers += s.shortReceivers;
    total.sent += s.sent;
    shortExamples.push(...s.shortExamples.slice(0, 5 - shortExamples.length));
    firstSendError ??= s.firstAckError;
    start = Math.min(start, s.sendStartUs);
    end = Math.max(end, s.lastDeliveryUs);
  }
  const durationMs = end > start ? (end - start) / 1000 : 0;
  return { hist, ...total, shortExamples, firstSendError, durationMs };
}

export async function runFanout(opts: FanoutOptions): Promise<FanoutResult> {
  const roomSize = Math.floor(opts.clients / opts.rooms);
  if (roomSize < 2) throw new Error("fanout needs at least 2 clients per room");
  const clients = roomSize * opts.rooms;
  const prefix = `${opts.label.replace(/[^a-z0-9]/g, "")}r`;
  const epochMs = Date.now();
  const specs: ClientSpec[] = [];
  for (let i = 0; i < clients; i++) {
    const account = opts.accounts?.[i];
    if ((opts.server.proto === "parley" || opts.server.parleyWs) && !account)
      throw new Error(`need ${clients} accounts`);
    specs.push({
      index: i,
      room: Math.floor(i / roomSize),
      slot: i % roomSize,
      username: account?.username ?? `b${i}`,
      ...(account ? { token: account.token } : {}),
    });
  }
  // Parley rooms are created first by their owners (over the hub's WebSocket also for `parley-irc`): IRC
  // creates a channel on JOIN, but many clients joining a room that does not exist yet would race.
  const roomsVia = opts.server.proto === "parley" ? opts.server : opts.server.parleyWs;
  if (roomsVia) {
    const names = Array.from({ length: opts.rooms }, (_, r) => roomName(prefix, r));
    await createRooms(
      roomsVia,
      names.map((_, r) => opts.accounts![r * roomSize]!),
      names,
      epochMs,
    );
  }

  const slices = Math.max(1, opts.workers);
  const runners: SliceRunner[] = [];
  for (let w = 0; w < slices; w++) {
    const slice: FanoutSlice = {
      server: {
        name: opts.server.name,
        proto: opts.server.proto,
        host: opts.server.host,
        port: opts.server.port,
        tls: opts.server.tls,
        ...(opts.server.fingerprint ? { fingerprint: opts.server.fingerprint } : {}),
        ...(opts.server.ircPassword !== undefined ? { ircPassword: opts.server.ircPassword } : {}),
      },
      roomPrefix: prefix,
      clients: specs.filter((s) => s.index % slices === w),
      roomSize,
      messagesPerClient: opts.messages,
      rate: opts.rate,
      totalClients: clients,
      epochMs,
      // InspIRCd completes registrations on a one-second timer: set up many IRC clients at once. A Parley
      // hub's IRC logins each verify a password (Argon2id): a few at a time, or they queue past timeouts.
      setupConcurrency: opts.server.proto === "irc" && opts.server.ircPassword === undefined ? 500 : 16,
    };
    runners.push(opts.workers > 0 ? inWorker(slice) : inThread(slice));
  }
  try {
    await Promise.all(runners.map((r) => r.ready));
    // Let connection setup settle (presence events, joins) before measuring.
    await new Promise((r) => setTimeout(r, 300));
    const gcBefore = await opts.server.gcSample?.();
    const self = new SelfCpu();
    const before = sampleProcess(opts.server.pid);
    const paceMs = opts.rate > 0 ? (clients * opts.messages * 1000) / opts.rate : 0;
    const all = await Promise.all(runners.map((r) => r.run(opts.idleMs ?? 5000, paceMs + 120_000)));
    const after = sampleProcess(opts.server.pid);
    const generatorCpu = self.share();
    const gcAfter = await opts.server.gcSample?.();

    const {
      hist,
      expected,
      delivered,
      orderViolations,
      misrouted,
      sendErrors,
      acked,
      closedEarly,
      shortReceivers,
      shortExamples,
      sent,
      firstSendError,
      durationMs,
    } = mergeSlices(all);
    return {
      workload: "fanout",
      label: opts.label,
      server: opts.server.name,
      clients,
      rooms: opts.rooms,
      roomSize,
      messagesPerClient: opts.messages,
      mode: opts.rate > 0 ? "paced" : "burst",
      rate: opts.rate,
      expected,
      delivered,
      loss: Math.max(0, expected - delivered),
      orderViolations,
      misrouted,
      acked,
      sendErrors,
      ...(firstSendError ? { firstSendError } : {}),
      closedEarly,
      shortReceivers,
      shortExamples,
      sent,
      durationMs: Math.round(durationMs),
      deliveriesPerSec: durationMs > 0 ? Math.round(delivered / (durationMs / 1000)) : 0,
      latency: summarize(hist),
      serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
      deliveriesPerCpuSec:
        after.cpuMs > before.cpuMs ? Math.round(delivered / ((after.cpuMs - before.cpuMs) / 1000)) : 0,
      ...(gcBefore && gcAfter && sent > 0
        ? {
            gc: {
              allocatedKiBPer1000: Math.round(
                ((gcAfter.allocatedBytes - gcBefore.allocatedBytes) / 1024 / sent) * 1000,
              ),
              scavengesPer1000:
                Math.round(((gcAfter.scavenges - gcBefore.scavenges) / sent) * 1000 * 10) / 10,
              gcMsPer1000: Math.round(((gcAfter.gcMs - gcBefore.gcMs) / sent) * 1000 * 10) / 10,
            },
          }
        : {}),
      serverRssKiB: after.rssKiB,
      generatorCpu: Math.round(generatorCpu * 100) / 100,
      workers: opts.workers,
    };
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}
