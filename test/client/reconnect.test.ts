/**
 * Acceptance: two clients chat in a room and in DMs while the hub is SIGKILLed and restarted, and
 * while the link is cut or silently dropped; both end with the same messages, in order, none
 * missing, none doubled.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import type { ConversationKey, ParleyClient } from "../../src/client/index.js";
import { spawnHub, startHub, type SpawnedHub } from "../helpers/hub.js";
import { startProxy } from "./proxy.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
});

function view(messages: readonly Message[]): string[] {
  return messages.map((m) => `${m.seq}|${m.from}|${m.body}`);
}

/** The conversation's messages: seqs 1..n without holes or repeats, exactly these bodies, and the same on both sides. */
function expectSameHistory(
  a: ParleyClient,
  b: ParleyClient,
  keyA: ConversationKey,
  keyB: ConversationKey,
  bodies: string[],
): void {
  const conv = (c: ParleyClient, key: ConversationKey) =>
    key.startsWith("room:") ? c.state.rooms[key.slice(5)] : c.state.dms[key.slice(3)];
  const ma = conv(a, keyA)?.messages ?? [];
  const mb = conv(b, keyB)?.messages ?? [];
  expect(ma.map((m) => m.seq)).toEqual(bodies.map((_, i) => i + 1));
  expect(new Set(ma.map((m) => m.body))).toEqual(new Set(bodies));
  expect(ma.length).toBe(bodies.length);
  expect(view(mb)).toEqual(view(ma));
}

/** Each sender's messages appear in the order they were sent. */
function expectSenderOrder(messages: readonly Message[], from: string, prefix: string): void {
  const own = messages.filter((m) => m.from === from && m.body.startsWith(prefix)).map((m) => m.body);
  const numbers = own.map((b) => Number(b.slice(prefix.length)));
  expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
}

async function pair(url: string, extra: Parameters<typeof testClient>[2] = {}) {
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const alice = testClient(url, dir, extra);
  const bob = testClient(url, dir, extra);
  cleanups.push(
    () => alice.close(),
    () => bob.close(),
  );
  await alice.connect();
  await bob.connect();
  await signUp(alice, "alice");
  await signUp(bob, "bob");
  await alice.createRoom({ name: "ops" });
  await bob.joinRoom("ops");
  await waitFor("alice sees bob in ops", () => alice.state.rooms["ops"]?.members["bob"] !== undefined);
  return { alice, bob };
}

describe("reconnect, resume and outbox", () => {
  it("survives the hub being SIGKILLed and restarted on the same port and data", async () => {
    let hub: SpawnedHub = await spawnHub();
    const { port, dataDir } = hub;
    cleanups.push(() => removeDir(dataDir));
    cleanups.push(() => hub.kill());
    const { alice, bob } = await pair(hub.url);
    const statuses: string[] = [];
    alice.on("status", (s) => statuses.push(s.state));
    // What a UI hears: every message once (a bell must not ring twice), in seq order per conversation.
    const heard: string[] = [];
    bob.on("message", (n) => heard.push(`${n.key}#${n.message.seq}`));

    const room: string[] = [];
    const dm: string[] = [];
    const sends: Promise<Message>[] = [];
    const say = (who: ParleyClient, key: ConversationKey, body: string, log: string[]) => {
      log.push(body);
      sends.push(who.send(key, body));
    };
    // Phase 1: a normal conversation, acknowledged.
    for (let i = 0; i < 8; i += 1) {
      say(alice, "room:ops", `a${i}`, room);
      say(bob, "room:ops", `b${i}`, room);
      if (i % 2 === 0) say(alice, "dm:bob", `da${i}`, dm);
      else say(bob, "dm:alice", `db${i}`, dm);
    }
    await Promise.all(sends);
    // Phase 2: sends in flight as the hub dies.
    for (let i = 8; i < 14; i += 1) {
      say(alice, "room:ops", `a${i}`, room);
      say(bob, "room:ops", `b${i}`, room);
    }
    await hub.kill("SIGKILL");
    await waitFor("alice notices", () => alice.status.state !== "online");
    // Phase 3: typed while the hub is down: they wait in the outbox.
    for (let i = 14; i < 20; i += 1) {
      say(alice, "room:ops", `a${i}`, room);
      say(bob, "room:ops", `b${i}`, room);
      say(alice, "dm:bob", `da${i}`, dm);
    }
    expect(alice.state.outbox.length).toBeGreaterThanOrEqual(12);
    hub = await spawnHub({ dataDir, args: ["--port", String(port)] });
    await Promise.all(sends);
    await waitFor(
      "both sides hold every room message",
      () =>
        alice.state.rooms["ops"]?.lastSeq === room.length && bob.state.rooms["ops"]?.lastSeq === room.length,
      15_000,
    );
    await waitFor(
      "both sides hold every DM",
      () => alice.state.dms["bob"]?.lastSeq === dm.length && bob.state.dms["alice"]?.lastSeq === dm.length,
    );
    expect(alice.state.outbox).toEqual([]);
    expect(bob.state.outbox).toEqual([]);
    expectSameHistory(alice, bob, "room:ops", "room:ops", room);
    expectSameHistory(alice, bob, "dm:bob", "dm:alice", dm);
    expectSenderOrder(alice.state.rooms["ops"]!.messages, "alice", "a");
    expectSenderOrder(alice.state.rooms["ops"]!.messages, "bob", "b");
    expect(heard).toHaveLength(room.length + dm.length);
    expect(new Set(heard).size).toBe(heard.length);
    for (const key of ["room:ops", "dm:alice"]) {
      const seqs = heard.filter((h) => h.startsWith(`${key}#`)).map((h) => Number(h.split("#")[1]));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(statuses).toContain("reconnecting");
    expect(statuses.at(-1)).toBe("online");
  }, 60_000);

  it("survives cuts of the connection mid-conversation (reset by the network)", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    const { alice, bob } = await pair(`wss://127.0.0.1:${proxy.port}`);
    const room: string[] = [];
    const dm: string[] = [];
    const sends: Promise<Message>[] = [];
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 6; i += 1) {
        const n = round * 6 + i;
        room.push(`a${n}`, `b${n}`);
        dm.push(`da${n}`);
        sends.push(alice.send("room:ops", `a${n}`), bob.send("room:ops", `b${n}`));
        sends.push(alice.send("dm:bob", `da${n}`));
      }
      // Cut while those are in flight; the client reconnects through the proxy and resumes.
      proxy.cut();
    }
    await Promise.all(sends);
    await waitFor(
      "everything arrives on both sides",
      () =>
        alice.state.rooms["ops"]?.lastSeq === room.length &&
        bob.state.rooms["ops"]?.lastSeq === room.length &&
        bob.state.dms["alice"]?.lastSeq === dm.length,
      15_000,
    );
    expectSameHistory(alice, bob, "room:ops", "room:ops", room);
    expectSameHistory(alice, bob, "dm:bob", "dm:alice", dm);
    expectSenderOrder(bob.state.rooms["ops"]!.messages, "alice", "a");
    expectSenderOrder(bob.state.rooms["ops"]!.messages, "bob", "b");
  }, 60_000);

  it("detects a silently dead link by keep-alive and catches up on what it missed", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    // Bob talks to the hub directly; Alice goes through the proxy with a short keep-alive.
    const alice = testClient(`wss://127.0.0.1:${proxy.port}`, dir, { keepAliveMs: 300 });
    const bob = testClient(hub.url, dir);
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
    );
    await alice.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "ops" });
    await bob.joinRoom("ops");
    await bob.send("room:ops", "before");
    await waitFor("alice has the first", () => alice.state.rooms["ops"]?.lastSeq === 1);

    proxy.blackhole(true);
    const started = Date.now();
    await bob.send("room:ops", "during 1");
    await bob.send("dm:alice", "during dm");
    const reconnecting = new Promise<void>((resolve) =>
      alice.on("status", (s) => s.state === "reconnecting" && resolve()),
    );
    await reconnecting;
    const detectedAfter = Date.now() - started;
    expect(detectedAfter).toBeLessThan(3000);
    proxy.blackhole(false);
    await bob.send("room:ops", "after");
    await waitFor(
      "alice catches up",
      () => alice.state.rooms["ops"]?.lastSeq === 3 && alice.state.dms["bob"]?.lastSeq === 1,
    );
    expect(alice.state.rooms["ops"]!.messages.map((m) => m.body)).toEqual(["before", "during 1", "after"]);
    expect(view(alice.state.rooms["ops"]!.messages)).toEqual(view(bob.state.rooms["ops"]!.messages));
    expect(alice.state.dms["bob"]!.messages.map((m) => m.body)).toEqual(["during dm"]);
  }, 30_000);

  it("re-sends a message whose acknowledgement was lost with the same cid, and it is stored once", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    // A short request timeout: alice re-sends on the same connection while replies are lost.
    const alice = testClient(`wss://127.0.0.1:${proxy.port}`, dir, { requestTimeoutMs: 400 });
    const bob = testClient(hub.url, dir);
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
    );
    await alice.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "ops" });
    await bob.joinRoom("ops");
    await waitFor("alice sees bob", () => alice.state.rooms["ops"]?.members["bob"] !== undefined);

    const attempts: number[] = [];
    alice.on("sent", ({ entry }) => attempts.push(entry.attempts));
    proxy.dropReplies(true);
    const sending = alice.send("room:ops", "exactly once");
    const dmSending = alice.send("dm:bob", "dm once");
    // The hub stored the first (bob hears it) but alice never got the reply.
    await waitFor("bob hears it", () => bob.state.rooms["ops"]?.lastSeq === 1);
    expect(alice.state.outbox.map((e) => e.body)).toEqual(["exactly once", "dm once"]);
    await waitFor("alice re-sent it", () => (alice.state.outbox[0]?.attempts ?? 0) >= 3);
    // Bytes were dropped inside the TLS stream, so the link is broken for good: cut it.
    proxy.dropReplies(false);
    proxy.cut();
    const [sent] = await Promise.all([sending, dmSending]);
    expect(sent.seq).toBe(1);
    await waitFor("the DM arrives", () => bob.state.dms["alice"]?.lastSeq === 1);
    await bob.send("room:ops", "next");
    await waitFor("alice has bob's next", () => alice.state.rooms["ops"]?.lastSeq === 2);
    expect(attempts[0]).toBeGreaterThanOrEqual(2);
    expect(view(bob.state.rooms["ops"]!.messages)).toEqual(["1|alice|exactly once", "2|bob|next"]);
    expect(view(alice.state.rooms["ops"]!.messages)).toEqual(["1|alice|exactly once", "2|bob|next"]);
    expect(view(bob.state.dms["alice"]!.messages)).toEqual(["1|alice|dm once"]);
    // And the hub itself holds one copy (history from a fresh device would show a double).
    const history = await bob.call("room.history", { room: "ops" });
    expect(history.messages.map((m) => m.body)).toEqual(["exactly once", "next"]);
  }, 30_000);

  it("fills a gap in the live stream with history, without reconnecting", async () => {
    // Plain ws:// so the proxy can see frames and lose exactly one event.
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const alice = testClient(`ws://127.0.0.1:${proxy.port}`, dir);
    const bob = testClient(hub.url, dir);
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
    );
    await alice.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "ops" });
    await bob.joinRoom("ops");
    await waitFor("alice sees bob", () => alice.state.rooms["ops"]?.members["bob"] !== undefined);
    const heard: number[] = [];
    alice.on("message", (n) => heard.push(n.message.seq));
    const statuses: string[] = [];
    alice.on("status", (st) => statuses.push(st.state));

    proxy.dropChunksWith("LOST-IN-TRANSIT");
    await bob.send("room:ops", "first");
    await bob.send("room:ops", "LOST-IN-TRANSIT");
    await bob.send("room:ops", "third");
    await waitFor("alice has all three", () => alice.state.rooms["ops"]?.lastSeq === 3);
    expect(alice.state.rooms["ops"]!.messages.map((m) => m.body)).toEqual([
      "first",
      "LOST-IN-TRANSIT",
      "third",
    ]);
    expect(heard).toEqual([1, 2, 3]);
    expect(statuses).toEqual([]);
  });
});
