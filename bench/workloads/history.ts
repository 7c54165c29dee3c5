/**
 * The `history` workload: page fetch latency (`room.history`, 100 messages) from a room holding 1M
 * messages. The room is seeded straight through the Store API into the hub's data folder before the hub
 * starts (through the protocol, seeding would take longer than the whole suite); the pages are then
 * fetched through the protocol, at random positions, and each page is checked to be the right 100.
 */
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn } from "../lib/parley.js";
import { cpuShare, sampleProcess } from "../lib/proc.js";
import { openStore } from "../../src/hub/store/open.js";

export const HISTORY_ROOM = "history";

/** Writes `count` messages into a new room owned by `owner`, in the data folder of a stopped hub. */
export async function seedHistory(
  dataDir: string,
  owner: string,
  count: number,
): Promise<{ ms: number; perSec: number }> {
  const store = await openStore(undefined, dataDir);
  try {
    const user = await store.getUserByName(owner);
    if (!user) throw new Error(`no account ${owner} to own the history room`);
    const room = await store.createRoom({ name: HISTORY_ROOM, ownerId: user.id, createdAt: Date.now() });
    const t0 = performance.now();
    const chunk = 20_000;
    const body = "a chat message of a typical length, about eighty characters long, give or take...";
    for (let base = 0; base < count; base += chunk) {
      const n = Math.min(chunk, count - base);
      // Issued in one turn, so the store's group commit writes each chunk in one transaction.
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.appendMessage({
            convId: room.convId,
            fromUserId: user.id,
            body,
            cid: `h${base + i}`,
            ts: Date.now(),
          }),
        ),
      );
    }
    const ms = performance.now() - t0;
    return { ms: Math.round(ms), perSec: Math.round(count / (ms / 1000)) };
  } finally {
    await store.close();
  }
}

export interface HistoryOptions {
  server: ServerInfo & { pid: number };
  owner: Account;
  messages: number;
  requests: number;
  connections: number;
  limit: number;
}

export interface HistoryResult {
  workload: "history";
  server: string;
  storedMessages: number;
  pageSize: number;
  requests: number;
  wrongPages: number;
  firstWrong?: string;
  requestsPerSec: number;
  latency: LatencySummary;
  serverCpu: number;
}

export async function runHistory(opts: HistoryOptions): Promise<HistoryResult> {
  const clock = microClock(Date.now());
  const conns = await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      const c = await ParleyConn.connect(opts.server, clock);
      await c.resume(opts.owner.token);
      return c;
    }),
  );
  const hist = new Histogram();
  let wrongPages = 0;
  let firstWrong: string | undefined;
  let issued = 0;
  const before = sampleProcess(opts.server.pid);
  const t0 = performance.now();
  try {
    await Promise.all(
      conns.map(async (conn) => {
        while (issued < opts.requests) {
          const k = issued++;
          // Every tenth request reads the latest page (no cursor); the rest a random older page.
          const before =
            k % 10 === 0
              ? undefined
              : opts.limit + 1 + Math.floor(Math.random() * (opts.messages - opts.limit));
          const s = performance.now();
          const reply = await conn.request("room.history", {
            room: HISTORY_ROOM,
            limit: opts.limit,
            ...(before ? { before } : {}),
          });
          hist.record((performance.now() - s) * 1000);
          const msgs = reply.messages as Array<{ seq: number }> | undefined;
          const last = before ? before - 1 : opts.messages;
          const ok =
            msgs?.length === opts.limit &&
            msgs[0]?.seq === last - opts.limit + 1 &&
            msgs.at(-1)?.seq === last;
          if (!ok) {
            wrongPages++;
            firstWrong ??= `before=${before}: got ${msgs?.length} messages, seq ${msgs?.[0]?.seq}..${msgs?.at(-1)?.seq}`;
          }
        }
      }),
    );
    const wall = performance.now() - t0;
    const after = sampleProcess(opts.server.pid);
    return {
      workload: "history",
      server: opts.server.name,
      storedMessages: opts.messages,
      pageSize: opts.limit,
      requests: opts.requests,
      wrongPages,
      ...(firstWrong ? { firstWrong } : {}),
      requestsPerSec: Math.round(opts.requests / (wall / 1000)),
      latency: summarize(hist),
      serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
    };
  } finally {
    for (const c of conns) c.close();
  }
}
