/**
 * Append throughput of the SQLite store: group commit (flushed on setImmediate or on a microtask) against
 * one transaction per message, with synchronous=NORMAL and FULL, on a temp file.
 *
 *   npx tsx bench/store-append.ts [--senders 200] [--seconds 3] [--burst 20000]
 *
 * Two workloads:
 * - burst: `--burst` appends issued in one turn, all awaited (the best case for batching);
 * - senders: `--senders` closed-loop senders; each waits for a macrotask (as a frame arriving on its own
 *   socket would) and then appends and awaits the result, for `--seconds`. Reports messages/s and the
 *   p50/p99 append latency (call to resolution), and messages per commit.
 * - paced: an open loop offering `--rate` appends/s, each from its own macrotask, for `--seconds`: the
 *   latency group commit adds (or saves) at a steady load below saturation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openSqliteStore, type GroupCommit, type SqliteStoreOptions } from "../src/hub/store/sqlite/index.js";

const { values } = parseArgs({
  options: {
    senders: { type: "string", default: "200" },
    seconds: { type: "string", default: "3" },
    burst: { type: "string", default: "20000" },
    rate: { type: "string", default: "2000" },
  },
});
const SENDERS = Number(values.senders);
const SECONDS = Number(values.seconds);
const BURST = Number(values.burst);
const RATE = Number(values.rate);

const dir = mkdtempSync(join(tmpdir(), "parley-bench-store-"));
let fileNo = 0;

async function setup(options: SqliteStoreOptions) {
  const store = await openSqliteStore(join(dir, `b${++fileNo}.db`), options);
  const user = await store.createUser({
    username: "bench",
    displayName: "b",
    passwordHash: "h",
    createdAt: 0,
  });
  const room = await store.createRoom({ name: "bench", ownerId: user.id, createdAt: 0 });
  return { store, user, room };
}

const BODY = "a chat message of a typical length, about eighty characters long, give or take...";

async function burst(options: SqliteStoreOptions) {
  const { store, user, room } = await setup(options);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      store.appendMessage({ convId: room.convId, fromUserId: user.id, body: BODY, cid: `c${i}`, ts: i }),
    ),
  );
  const ms = performance.now() - t0;
  const stats = store.appendStats();
  await store.close();
  return { perSecond: Math.round((BURST / ms) * 1000), perCommit: stats.appends / stats.commits };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

async function senders(options: SqliteStoreOptions) {
  const { store, user, room } = await setup(options);
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let cid = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (performance.now() < deadline) {
        await nextTurn();
        const start = performance.now();
        await store.appendMessage({
          convId: room.convId,
          fromUserId: user.id,
          body: BODY,
          cid: `c${++cid}`,
          ts: 0,
        });
        latencies.push(performance.now() - start);
      }
    }),
  );
  const ms = performance.now() - t0;
  const stats = store.appendStats();
  await store.close();
  return {
    perSecond: Math.round((latencies.length / ms) * 1000),
    ...percentiles(latencies),
    perCommit: stats.appends / stats.commits,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentiles(latencies: number[]) {
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { p50: pct(0.5), p99: pct(0.99) };
}

async function paced(options: SqliteStoreOptions) {
  const { store, user, room } = await setup(options);
  const latencies: number[] = [];
  const inflight: Array<Promise<void>> = [];
  const t0 = performance.now();
  let issued = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await sleep(1);
    const due = Math.floor(((performance.now() - t0) * RATE) / 1000) - issued;
    for (let i = 0; i < due; i++) {
      const cid = `c${++issued}`;
      // Timed from when it was due, so time spent waiting for a blocked event loop counts too.
      const start = performance.now();
      setImmediate(() => {
        const p = store.appendMessage({ convId: room.convId, fromUserId: user.id, body: BODY, cid, ts: 0 });
        inflight.push(p.then(() => void latencies.push(performance.now() - start)));
      });
    }
  }
  await sleep(1);
  await Promise.all(inflight);
  const stats = store.appendStats();
  await store.close();
  return { ...percentiles(latencies), perCommit: stats.appends / stats.commits };
}

const modes: GroupCommit[] = ["immediate", "microtask", "off"];
const syncs = ["normal", "full"] as const;
console.log(
  `store-append: burst=${BURST}, senders=${SENDERS} for ${SECONDS}s, file in ${dir}, node ${process.version}`,
);
console.log(
  "synchronous  group-commit  burst msg/s  (msg/commit)  senders msg/s  p50 ms  p99 ms  (msg/commit)",
);
try {
  for (const synchronous of syncs) {
    for (const groupCommit of modes) {
      const b = await burst({ synchronous, groupCommit });
      const s = await senders({ synchronous, groupCommit });
      const p = await paced({ synchronous, groupCommit });
      console.log(
        [
          synchronous.padEnd(11),
          groupCommit.padEnd(12),
          String(b.perSecond).padStart(11),
          `(${b.perCommit.toFixed(0)})`.padStart(13),
          String(s.perSecond).padStart(14),
          s.p50.toFixed(2).padStart(7),
          s.p99.toFixed(2).padStart(7),
          `(${s.perCommit.toFixed(1)})`.padStart(13),
          p.p50.toFixed(2).padStart(22),
          p.p99.toFixed(2).padStart(7),
          `(${p.perCommit.toFixed(1)})`.padStart(13),
        ].join("  "),
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
