/** Session life cycle, several URLs, rate limits, history paging and read markers against a real hub. */
import net from "node:net";
import { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { HubError, NotConnectedError, type ParleyClient } from "../../src/client/index.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { startProxy } from "./proxy.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
});

async function setup(): Promise<{ hub: TestHub; dir: string; client: (extra?: object) => ParleyClient }> {
  const hub = await startHub();
  cleanups.push(() => hub.stop());
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  return {
    hub,
    dir,
    client: (extra = {}) => {
      const c = testClient(hub.url, dir, extra);
      cleanups.push(() => c.close());
      return c;
    },
  };
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("session life cycle", () => {
  it("resumes a stored token in a new client (app restart) and gets what it missed", async () => {
    const { client } = await setup();
    const alice = client();
    const bob = client();
    await alice.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "ops", description: "operations" });
    await bob.joinRoom("ops");
    await alice.send("room:ops", "one");
    const token = alice.session!.token;
    await alice.close();
    await bob.send("room:ops", "two");
    await bob.send("dm:alice", "while you were away");

    const again = client();
    await again.connect();
    const me = await again.resume(token);
    expect(me.username).toBe("alice");
    await waitFor("the DM replayed", () => again.state.dms["bob"]?.lastSeq === 1);
    expect(again.state.rooms["ops"]!.info.description).toBe("operations");
    expect(again.state.rooms["ops"]!.messages.map((m) => m.body)).toEqual(["one", "two"]);
    expect(again.state.rooms["ops"]!.myRole).toBe("owner");
    expect(again.state.dms["bob"]!.messages.map((m) => m.body)).toEqual(["while you were away"]);
  });

  it("logout ends the session but keeps the connection for another login", async () => {
    const { client } = await setup();
    const alice = client();
    const lost: string[] = [];
    alice.on("sessionLost", (e) => lost.push(e.reason));
    await alice.connect();
    await signUp(alice, "alice");
    const token = alice.session!.token;
    await alice.logout();
    expect(lost).toEqual(["logout"]);
    expect(alice.state.me).toBeNull();
    expect(alice.session).toBeNull();
    expect(alice.status.state).toBe("online");
    await expect(alice.send("room:x", "hi")).rejects.toBeInstanceOf(NotConnectedError);
    const other = client();
    await other.connect();
    await expect(other.resume(token)).rejects.toMatchObject({ code: "SESSION_EXPIRED" });
    await alice.login("alice", "correct-horse-battery");
    expect(alice.state.me?.username).toBe("alice");
  });

  it("a password change on another device ends this session", async () => {
    const { client } = await setup();
    const phone = client();
    const laptop = client();
    const lost: string[] = [];
    laptop.on("sessionLost", (e) => lost.push(e.reason));
    await phone.connect();
    await laptop.connect();
    await signUp(phone, "alice");
    await laptop.login("alice", "correct-horse-battery");
    await phone.call("me.password", { old: "correct-horse-battery", new: "another-long-secret" });
    await waitFor("the laptop hears it", () => lost.length === 1);
    expect(lost).toEqual(["password"]);
    expect(laptop.state.me).toBeNull();
    // It reconnects (the hub closed the socket) but does not resume a dead session.
    await waitFor("the laptop is back online, logged out", () => laptop.status.state === "online");
    expect(laptop.session).toBeNull();
  });

  it("hub errors carry their code; requests while offline fail with NotConnectedError", async () => {
    const { client } = await setup();
    const alice = client();
    await expect(alice.call("rooms.list", {})).rejects.toBeInstanceOf(NotConnectedError);
    await alice.connect();
    const error = await alice.login("nobody", "whatever-password").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe("BAD_CREDENTIALS");
    await signUp(alice, "alice");
    await expect(alice.joinRoom("nope")).rejects.toMatchObject({ code: "NO_SUCH_ROOM" });
    await expect(alice.send("room:nope", "x")).rejects.toMatchObject({ code: "NO_SUCH_ROOM" });
    await expect(alice.send("room:nope", "   ")).rejects.toMatchObject({ code: "EMPTY_BODY" });
    expect(alice.state.outbox).toEqual([]);
  });
});

describe("several hub URLs", () => {
  it("tries the next URL when one is unreachable", async () => {
    const { hub, dir } = await setup();
    const port = await deadPort();
    const c = testClient(`wss://127.0.0.1:${port}`, dir);
    await expect(c.connect()).rejects.toThrow(/cannot reach/);
    const multi = testClient(hub.url, dir, { urls: [`wss://127.0.0.1:${port}`, hub.url] });
    cleanups.push(() => multi.close());
    const info = await multi.connect();
    expect(info.url).toBe(`${hub.url.replace(/\/v1$/, "")}/v1`);
  });

  it("a URL that fails after the upgrade is skipped without leaving a stray reconnect behind", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    // Speaks WebSocket with our subprotocol, then hangs up on the first frame (hello).
    const broken = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "parley.v1" });
    broken.on("connection", (ws) => ws.once("message", () => ws.close(1011, "broken")));
    await new Promise((resolve) => broken.once("listening", resolve));
    cleanups.push(() => new Promise((resolve) => broken.close(resolve)));
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    const c = testClient(hub.url, dir, { urls: [`ws://127.0.0.1:${proxy.port}`, hub.url] });
    cleanups.push(() => c.close());
    await c.connect();
    expect(c.state.hub?.url).toContain(String(proxy.port));
    const seen: string[] = [];
    c.on("status", (st) => seen.push(st.state));
    proxy.retarget((broken.address() as net.AddressInfo).port);
    proxy.cut();
    await waitFor("the drop is noticed", () => seen.length > 0);
    await waitFor("online on the second URL", () => c.status.state === "online");
    expect(c.state.hub?.url).toContain(String(hub.port));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Exactly one way back online, and it stays there.
    expect(seen.filter((st) => st === "online")).toEqual(["online"]);
    expect(seen.at(-1)).toBe("online");
  });

  it("connect({retry: true}) waits for a hub that is not up yet", async () => {
    const port = await deadPort();
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const c = testClient(`wss://127.0.0.1:${port}`, dir);
    cleanups.push(() => c.close());
    const seen: string[] = [];
    c.on("status", (s) => seen.push(s.state));
    const connecting = c.connect({ retry: true });
    await waitFor("a retry is scheduled", () => seen.includes("reconnecting"));
    const hub = await startHub({ config: { port } });
    cleanups.push(() => hub.stop());
    await connecting;
    expect(c.status.state).toBe("online");
  });
});

describe("reconnect timing", () => {
  it("reports when the next try is due, and reconnectNow skips the wait", async () => {
    const { hub, dir } = await setup();
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    // A long backoff, so only reconnectNow can bring it back within the test.
    const c = testClient(`wss://127.0.0.1:${proxy.port}`, dir, {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      random: () => 0.5,
    });
    cleanups.push(() => c.close());
    await c.connect();
    proxy.cut();
    await waitFor("reconnecting", () => c.status.state === "reconnecting");
    const status = c.status;
    expect(status).toMatchObject({ state: "reconnecting", attempt: 1, inMs: 30_000 });
    expect(status.state === "reconnecting" && status.retryAt - Date.now()).toBeGreaterThan(25_000);
    await expect(c.call("rooms.list", {})).rejects.toThrow(/reconnecting in \d+ s/);
    c.reconnectNow();
    await waitFor("online again", () => c.status.state === "online", 5000);
  });
});

describe("sending, paging and reading", () => {
  it("a burst past the hub's message rate limit is delivered whole and in order", async () => {
    const { client } = await setup();
    const alice = client();
    const bob = client();
    await alice.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "flood" });
    await bob.joinRoom("flood");
    const bodies = Array.from({ length: 70 }, (_, i) => `n${i}`);
    const acks = await Promise.all(bodies.map((b) => alice.send("room:flood", b)));
    expect(acks.map((m) => m.seq)).toEqual(bodies.map((_, i) => i + 1));
    await waitFor("bob has all", () => bob.state.rooms["flood"]?.lastSeq === 70, 20_000);
    expect(bob.state.rooms["flood"]!.messages.map((m) => m.body)).toEqual(bodies);
  }, 30_000);

  it("loads older pages, and read markers follow the user across devices", async () => {
    const { client } = await setup();
    const alice = client();
    const bob = client();
    const bobPhone = client();
    await alice.connect();
    await bob.connect();
    await bobPhone.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await bobPhone.login("bob", "correct-horse-battery");
    for (let i = 1; i <= 30; i += 1) await alice.send("dm:bob", `m${i}`);
    await waitFor("bob has them", () => bob.state.dms["alice"]?.lastSeq === 30);
    expect(bob.state.dms["alice"]!.unread).toBe(30);

    const fresh = client();
    await fresh.connect();
    await fresh.login("bob", "correct-horse-battery");
    // Known from dm.list only: a cursor and an unread count, no messages until looked at.
    expect(fresh.state.dms["alice"]).toMatchObject({ lastSeq: 30, unread: 30, messages: [] });
    const viewer = client();
    await viewer.connect();
    await viewer.login("bob", "correct-horse-battery");
    viewer.focus("dm:alice");
    await waitFor("focus loads the latest page", () => (viewer.state.dms["alice"]?.messages.length ?? 0) > 0);
    expect(viewer.state.dms["alice"]!.messages.at(-1)!.body).toBe("m30");
    const dm = await fresh.openDm("alice");
    expect(dm.messages.length).toBeGreaterThan(0);
    const before = fresh.state.dms["alice"]!.messages.length;
    if (fresh.state.dms["alice"]!.hasOlder) {
      const added = await fresh.loadOlder("dm:alice", 10);
      expect(added).toBe(Math.min(10, 30 - before));
    }
    let guard = 0;
    while (fresh.state.dms["alice"]!.hasOlder && guard++ < 10) await fresh.loadOlder("dm:alice", 10);
    expect(fresh.state.dms["alice"]!.messages.map((m) => m.body)).toEqual(
      Array.from({ length: 30 }, (_, i) => `m${i + 1}`),
    );

    bob.focus("dm:alice");
    await waitFor("bob read it", () => bob.state.dms["alice"]!.unread === 0);
    await waitFor("the phone hears the read marker", () => bobPhone.state.dms["alice"]?.readSeq === 30);
    expect(bobPhone.state.dms["alice"]!.unread).toBe(0);
    // A message to the focused conversation is read at once.
    await alice.send("dm:bob", "now");
    await waitFor("bob got it", () => bob.state.dms["alice"]!.lastSeq === 31);
    expect(bob.state.dms["alice"]!.unread).toBe(0);
    await waitFor("the phone sees it read too", () => bobPhone.state.dms["alice"]?.readSeq === 31);
  }, 30_000);

  it("mute and block follow the user to the hub and to other devices", async () => {
    const { client } = await setup();
    const alice = client();
    const alicePhone = client();
    const bob = client();
    await alice.connect();
    await alicePhone.connect();
    await bob.connect();
    await signUp(alice, "alice");
    await alicePhone.login("alice", "correct-horse-battery");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "noisy" });
    await bob.joinRoom("noisy");
    await alice.mute("room:noisy", true);
    expect(alice.state.rooms["noisy"]!.muted).toBe(true);
    await waitFor("the phone knows", () => alicePhone.state.muted.rooms.includes("noisy"));
    const notices: boolean[] = [];
    alice.on("message", (n) => notices.push(n.muted));
    await bob.send("room:noisy", "blah");
    await waitFor("alice got it", () => notices.length === 1);
    expect(notices).toEqual([true]);
    await alice.block("bob", true);
    expect((await alice.call("settings", {})).blocked).toEqual(["bob"]);
    await bob.send("dm:alice", "you will not see this");
    await alice.mute("room:noisy", false);
    expect(alice.state.rooms["noisy"]!.muted).toBe(false);
    expect(alice.state.dms["bob"]).toBeUndefined();
  });
});
