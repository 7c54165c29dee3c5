/**
 * Three hubs in one process on one store and an in-memory bus that behaves like a distributed one
 * (src/hub/bus/memory.ts: delivery later than publish, nodes' messages interleaved at random, loss with a
 * gap signal). The same checks as the real-Redis tier (cluster.test.ts), without PostgreSQL or Redis:
 * every client sees every conversation in seq order, each message once, whatever node stored it; and a
 * message the bus lost is repaired from the store.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBroker } from "../../src/hub/bus/memory.js";
import { LocalLimiter } from "../../src/hub/bus/limiter.js";
import { LocalPresence } from "../../src/hub/bus/presence.js";
import { systemClock } from "../../src/hub/clock.js";
import { LIMITER_KEYS } from "../../src/hub/limits.js";
import { createHub, type HubLimiters, type RunningHub } from "../../src/hub/server.js";
import { openSqliteStore, type SqliteStore } from "../../src/hub/store/sqlite/index.js";
import type { AnyEvent } from "../../src/protocol/events.js";
import type { Message } from "../../src/protocol/model.js";
import { registerAndLogin, type TestClient } from "../helpers/client.js";
import { tempDir } from "../helpers/hub.js";

const NODES = 3;
let dir: string;
let store: SqliteStore;
let broker: MemoryBroker;
const hubs: RunningHub[] = [];

beforeAll(async () => {
  dir = await tempDir();
  store = await openSqliteStore(join(dir, "shared.db"));
  // Up to 8 ms between a node's publish and its delivery: plenty of interleaving between nodes.
  broker = new MemoryBroker({ jitterMs: 8 });
  const presence = new LocalPresence();
  const unlimited = () => new LocalLimiter({ ratePerSecond: 1e9, burst: 1e9 }, systemClock);
  const limiters = {} as HubLimiters;
  for (const name of Object.keys(LIMITER_KEYS) as Array<keyof HubLimiters>) limiters[name] = unlimited();
  for (let i = 0; i < NODES; i++) {
    hubs.push(
      await createHub(
        { host: "127.0.0.1", port: 0, dataDir: join(dir, `node${i}`), insecure: true, nodeId: `node${i}` },
        {
          log: pino({ level: process.env["PARLEY_TEST_LOG"] ?? "silent" }),
          store,
          bus: broker.node(),
          presence,
          limiters,
        },
      ),
    );
  }
});

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.close()));
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What a client was shown of one conversation, in the order shown. */
function shown(client: TestClient, where: (e: Message) => boolean): Message[] {
  return client.events
    .filter((e): e is Extract<AnyEvent, { ev: "message" }> => e.ev === "message")
    .filter(where);
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("three hubs in one process on an in-memory bus", () => {
  it("shows every room message once, in seq order, on every node", async () => {
    // Two clients per node.
    const clients = await Promise.all(
      Array.from({ length: NODES * 2 }, (_, i) => registerAndLogin(hubs[i % NODES]!.url, `inproc-${i}`)),
    );
    await clients[0]!.call("room.create", { name: "inproc" });
    for (const c of clients.slice(1)) await c.call("room.join", { room: "inproc" });
    // Every node has heard of every member (invalidations travel the bus) once the creator has.
    await until(
      "the creator to hear of every member",
      () =>
        clients[0]!.eventsNamed("member.joined").filter((e) => e.room === "inproc").length ===
        clients.length - 1,
    );

    const PER_CLIENT = 30;
    // Everyone sends at once, without waiting for replies: the nodes store and publish concurrently.
    const replies = await Promise.all(
      clients.flatMap((c, who) =>
        Array.from({ length: PER_CLIENT }, (_, i) =>
          c.call("msg.send", { room: "inproc", body: `${who}-${i}`, cid: `ip-${who}-${i}` }),
        ),
      ),
    );
    const total = clients.length * PER_CLIENT;
    expect(new Set(replies.map((r) => r.seq)).size).toBe(total);
    const inRoom = (m: Message) => m.room === "inproc";
    await until("every client to show every message", () =>
      clients.every((c) => shown(c, inRoom).length >= total),
    );
    for (const c of clients) {
      const seqs = shown(c, inRoom).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
    await Promise.all(clients.map((c) => c.close()));
  }, 60_000);

  it("keeps a DM conversation in order across the two parties' nodes", async () => {
    const [a, b] = await Promise.all([
      registerAndLogin(hubs[0]!.url, "inproc-dm-a"),
      registerAndLogin(hubs[2]!.url, "inproc-dm-b"),
    ]);
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        a!.call("msg.send", { user: "inproc-dm-b", body: `a${i}`, cid: `dma-${i}` }),
      ),
      ...Array.from({ length: 20 }, (_, i) =>
        b!.call("msg.send", { user: "inproc-dm-a", body: `b${i}`, cid: `dmb-${i}` }),
      ),
    ]);
    const seen = (c: TestClient, other: string) => shown(c, (m) => m.user === other).map((m) => m.seq);
    await until("both parties to show all 40", () => seen(a!, "inproc-dm-b").length >= 40);
    await until("both parties to show all 40", () => seen(b!, "inproc-dm-a").length >= 40);
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(seen(a!, "inproc-dm-b")).toEqual(all);
    expect(seen(b!, "inproc-dm-a")).toEqual(all);
    await Promise.all([a!.close(), b!.close()]);
  }, 60_000);

  it("repairs messages the bus lost from the store, each shown once", async () => {
    const [owner, other] = await Promise.all([
      registerAndLogin(hubs[1]!.url, "inproc-loss-a"),
      registerAndLogin(hubs[2]!.url, "inproc-loss-b"),
    ]);
    await owner!.call("room.create", { name: "lossy" });
    await other!.call("room.join", { room: "lossy" });
    // The owner's node learns of the new member through the bus (an invalidation, then this event).
    await owner!.nextEvent("member.joined", (e) => e.room === "lossy");
    const inRoom = (m: Message) => m.room === "lossy";
    await owner!.call("msg.send", { room: "lossy", body: "before", cid: "loss-0" });
    await until("the first message everywhere", () => shown(other!, inRoom).length === 1);
    const lostBefore = broker.lost;
    broker.loseNext(3);
    for (let i = 1; i <= 6; i++) {
      await owner!.call("msg.send", { room: "lossy", body: `m${i}`, cid: `loss-${i}` });
    }
    await until("the bus to lose three", () => broker.lost - lostBefore === 3);
    await until("the lost messages repaired", () =>
      [owner!, other!].every((c) => shown(c, inRoom).length >= 7),
    );
    for (const c of [owner!, other!]) {
      expect(shown(c, inRoom).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    }
    await Promise.all([owner!.close(), other!.close()]);
  }, 60_000);
});
