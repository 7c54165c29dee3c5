/**
 * The IRC gateway in cluster mode (issue 14): two hubs in one process on one store and the in-memory
 * bus that behaves like a distributed one (late, interleaved delivery). IRC clients on different nodes
 * share a channel: each sees the other's messages in order, and a WebSocket client on a third node sees
 * them too — the IRC transport gets its events from the same Delivery as WebSocket connections.
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
import { PASSWORD, registerAndLogin } from "../helpers/client.js";
import { tempDir } from "../helpers/hub.js";
import { IrcTestClient } from "../helpers/irc.js";

let dir: string;
let store: SqliteStore;
const hubs: RunningHub[] = [];
const clients: IrcTestClient[] = [];

beforeAll(async () => {
  dir = await tempDir();
  store = await openSqliteStore(join(dir, "shared.db"));
  const broker = new MemoryBroker({ jitterMs: 8 });
  const presence = new LocalPresence();
  const unlimited = () => new LocalLimiter({ ratePerSecond: 1e9, burst: 1e9 }, systemClock);
  const limiters = {} as HubLimiters;
  for (const name of Object.keys(LIMITER_KEYS) as Array<keyof HubLimiters>) limiters[name] = unlimited();
  for (let i = 0; i < 3; i++) {
    hubs.push(
      await createHub(
        {
          host: "127.0.0.1",
          port: 0,
          dataDir: join(dir, `node${i}`),
          insecure: true,
          nodeId: `node${i}`,
          ircPort: 0,
        },
        { log: pino({ level: "silent" }), store, bus: broker.node(), presence, limiters },
      ),
    );
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(hubs.map((h) => h.close()));
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("IRC on two nodes of a cluster", () => {
  it("relays a channel both ways between nodes, in order, and to WebSocket clients", async () => {
    const web = await registerAndLogin(hubs[2]!.url, "c-web");
    for (const u of ["c-ann", "c-bob"]) {
      await hubs[0]!.domain.accounts.register({ username: u, password: PASSWORD }, "127.0.0.1");
    }
    const ann = await IrcTestClient.connect(hubs[0]!.irc!.port!);
    const bob = await IrcTestClient.connect(hubs[1]!.irc!.port!);
    clients.push(ann, bob);
    await ann.saslLogin("c-ann", PASSWORD);
    await bob.saslLogin("c-bob", PASSWORD);
    ann.send("JOIN #across");
    await ann.expectCommand("366");
    bob.send("JOIN #across");
    await bob.expectCommand("366");
    await web.call("room.join", { room: "across" });
    for (let i = 1; i <= 10; i++) ann.send(`PRIVMSG #across :ann ${i}`);
    for (let i = 1; i <= 10; i++) bob.send(`PRIVMSG #across :bob ${i}`);
    const seen = async (c: IrcTestClient, from: string) => {
      const out: string[] = [];
      while (out.length < 10) {
        const m = await c.expect(
          (x) => x.command === "PRIVMSG" && x.source?.startsWith(`${from}!`) === true,
          20_000,
        );
        out.push(m.params[1]!);
      }
      return out;
    };
    const expected = (who: string) => Array.from({ length: 10 }, (_, i) => `${who} ${i + 1}`);
    expect(await seen(bob, "c-ann")).toEqual(expected("ann"));
    expect(await seen(ann, "c-bob")).toEqual(expected("bob"));
    await web.waitFor(
      () => (web.eventsNamed("message").filter((m) => m.room === "across").length === 20 ? true : undefined),
      20_000,
      "20 messages on the WebSocket node",
    );
    await web.close();
  });
});
