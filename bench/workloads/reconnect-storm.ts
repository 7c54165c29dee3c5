/**
 * The `reconnect-storm` workload: C clients in rooms are dropped at once (TCP torn down, no close frame),
 * messages are sent to their rooms while they are away, then all of them reconnect at the same moment
 * with `resume` and their last seen seq per room. Measures the time until every client has received
 * every message it missed, and checks that none is missing or duplicated.
 */
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import { roomName, type ServerInfo } from "../lib/connect.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn } from "../lib/parley.js";
import { forEachLimited } from "../lib/pool.js";
import { cpuShare, sampleProcess } from "../lib/proc.js";
import { createRooms } from "./fanout.js";

export interface StormOptions {
  server: ServerInfo & { pid: number };
  /** `clients` accounts for the clients, then one sender per room. */
  accounts: Account[];
  clients: number;
  rooms: number;
  /** Messages each room's sender sends while the clients are away. */
  missed: number;
  label: string;
  timeoutMs?: number;
}

export interface StormResult {
  workload: "reconnect-storm";
  server: string;
  clients: number;
  rooms: number;
  missedPerClient: number;
  caughtUp: number;
  missing: number;
  duplicates: number;
  failedResumes: number;
  firstFailure?: string;
  allCaughtUpMs: number;
  /** Per-client time from reconnect start to caught up. */
  catchUp: LatencySummary;
  serverCpu: number;
}

export async function runStorm(opts: StormOptions): Promise<StormResult> {
  const clock = microClock(Date.now());
  const roomSize = Math.floor(opts.clients / opts.rooms);
  const n = roomSize * opts.rooms;
  if (opts.accounts.length < n + opts.rooms)
    throw new Error(`reconnect-storm needs ${n + opts.rooms} accounts`);
  const prefix = `${opts.label.replace(/[^a-z0-9]/g, "")}s`;
  const names = Array.from({ length: opts.rooms }, (_, r) => roomName(prefix, r));
  const senders = opts.accounts.slice(n, n + opts.rooms);
  await createRooms(opts.server, senders, names, Date.now());

  // Everyone online and joined; remember the seq each client has seen.
  const seen = new Array<number>(n).fill(0);
  const first = new Array<ParleyConn>(n);
  await forEachLimited(n, 32, async (i) => {
    const conn = await ParleyConn.connect(opts.server, clock);
    await conn.resume(opts.accounts[i]!.token);
    const reply = await conn.request("room.join", { room: names[Math.floor(i / roomSize)]! });
    seen[i] = Number(reply.lastSeq ?? 0);
    first[i] = conn;
  });

  // The storm: every connection drops at once.
  for (const conn of first) conn.ws.destroy();

  // Messages sent while they are away.
  const finalSeq = new Array<number>(opts.rooms).fill(0);
  await Promise.all(
    senders.map(async (sender, r) => {
      const conn = await ParleyConn.connect(opts.server, clock);
      try {
        await conn.resume(sender.token);
        for (let k = 0; k < opts.missed; k++) {
          const reply = await conn.request("msg.send", {
            room: names[r]!,
            body: `missed ${k}`,
            cid: `${prefix}${r}.${k}`,
          });
          finalSeq[r] = Math.max(finalSeq[r]!, Number(reply.seq));
        }
      } finally {
        conn.close();
      }
    }),
  );

  // All reconnect at the same moment, each resuming from the last seq it saw.
  const catchUp = new Histogram();
  let caughtUp = 0;
  let missing = 0;
  let duplicates = 0;
  let failedResumes = 0;
  let firstFailure: string | undefined;
  let lastCaughtUpMs = 0;
  const conns: ParleyConn[] = [];
  const before = sampleProcess(opts.server.pid);
  const t0 = performance.now();
  const deadline = opts.timeoutMs ?? 30_000;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = Math.floor(i / roomSize);
      const want = finalSeq[r]! - seen[i]!;
      const got = new Set<number>();
      let resolveDone: () => void = () => {};
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const timer = setTimeout(resolveDone, deadline);
      try {
        const conn = await ParleyConn.connect(opts.server, clock);
        conns.push(conn);
        conn.onEvent = (ev) => {
          if (ev.ev !== "message" || ev.room !== names[r]) return;
          const seq = Number(ev.seq);
          if (seq <= seen[i]!) return;
          if (got.has(seq)) duplicates++;
          got.add(seq);
          if (got.size >= want) resolveDone();
        };
        await conn.resume(opts.accounts[i]!.token, { [`room:${names[r]}`]: seen[i]! });
        if (got.size >= want) resolveDone();
        await done;
      } catch (err) {
        failedResumes++;
        firstFailure ??= String(err);
      } finally {
        clearTimeout(timer);
      }
      if (got.size >= want) {
        caughtUp++;
        const ms = performance.now() - t0;
        catchUp.record(ms * 1000);
        lastCaughtUpMs = Math.max(lastCaughtUpMs, ms);
      } else missing += want - got.size;
    }),
  );
  const after = sampleProcess(opts.server.pid);
  for (const c of conns) c.close();
  return {
    workload: "reconnect-storm",
    server: opts.server.name,
    clients: n,
    rooms: opts.rooms,
    missedPerClient: opts.missed,
    caughtUp,
    missing,
    duplicates,
    failedResumes,
    ...(firstFailure ? { firstFailure } : {}),
    allCaughtUpMs: Math.round(lastCaughtUpMs),
    catchUp: summarize(catchUp),
    serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
  };
}
