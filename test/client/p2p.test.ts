/**
 * Peer-to-peer chats through the SDK (ParleyClient + PeerChats) against a real hub over TLS: request and
 * accept, direct chat with receipts, the relay when the direct path is blocked, the fallback to stored
 * DMs when the peer goes away, and the warning when a known contact's key changes.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  P2pKeyChangedError,
  PeerChats,
  type DirectChat,
  type DirectMessage,
  type IncomingRequest,
  type ParleyClient,
  type PeerChatsOptions,
  type RequestGone,
} from "../../src/client/index.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { startProxy } from "./proxy.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface User {
  name: string;
  dir: string;
  client: ParleyClient;
  p2p: PeerChats;
  requests: IncomingRequest[];
}

async function user(
  hub: TestHub,
  name: string,
  options: PeerChatsOptions = {},
  dir?: string,
  url = hub.url,
): Promise<User> {
  const configDir = dir ?? (await tempConfigDir());
  if (!dir) cleanups.push(() => removeDir(configDir));
  const client = testClient(url, configDir);
  cleanups.push(() => client.close());
  await client.connect();
  // Loopback only: tests never reach out to the machine's other interfaces. Addresses go to anyone
  // accepted (the default gives them only to verified contacts): these tests are about the paths.
  const p2p = await PeerChats.start(client, {
    configDir,
    listen: { host: "127.0.0.1" },
    addresses: "all",
    ...options,
  });
  cleanups.push(() => p2p.close());
  if (dir) await client.login(name, "correct-horse-battery");
  else await signUp(client, name);
  await p2p.announce();
  const requests: IncomingRequest[] = [];
  p2p.on("request", (r) => requests.push(r));
  return { name, dir: configDir, client, p2p, requests };
}

/** `from` asks `to`; `to` accepts as soon as the request shows. */
async function open(from: User, to: User): Promise<{ requester: DirectChat; acceptor: DirectChat }> {
  const requesting = from.p2p.request(to.name);
  await waitFor(`${to.name} is asked`, () => to.requests.length > 0);
  const request = to.requests.shift()!;
  expect(request.from).toBe(from.name);
  expect(request.fingerprint).toBe(from.p2p.fingerprint);
  const [requester, acceptor] = await Promise.all([requesting, to.p2p.accept(request.requestId)]);
  return { requester, acceptor };
}

function inbox(chat: DirectChat): DirectMessage[] {
  const got: DirectMessage[] = [];
  chat.on("message", (m) => got.push(m));
  return got;
}

describe("direct chats through the SDK", () => {
  it("request, accept, chat both ways directly with receipts; the identity stays in the config folder", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const alice = await user(hub, "alice");
    const bob = await user(hub, "bob");
    const mode = (await stat(join(alice.dir, "peer-identity.pem"))).mode & 0o777;
    expect(mode).toBe(0o600);

    const { requester, acceptor } = await open(alice, bob);
    expect(requester.path).toBe("direct");
    expect(acceptor.path).toBe("direct");
    expect(alice.p2p.chatWith("bob")).toBe(requester);
    const atBob = inbox(acceptor);
    const atAlice = inbox(requester);

    const receipt = await requester.send("hi bob, just us");
    expect(receipt.path).toBe("direct");
    expect(receipt.ackedAt).toBeGreaterThanOrEqual(receipt.sentAt);
    expect(requester.messages).toEqual([
      expect.objectContaining({ body: "hi bob, just us", own: true, acked: true, path: "direct" }),
    ]);
    await expect(acceptor.send("hi alice")).resolves.toMatchObject({ path: "direct" });
    await waitFor("both messages arrive", () => atBob.length === 1 && atAlice.length === 1);
    expect(atBob[0]).toMatchObject({ from: "alice", body: "hi bob, just us", path: "direct" });
    expect(atAlice[0]).toMatchObject({ from: "bob", body: "hi alice" });
    // Nothing of it went through the hub's stored DMs.
    const history = await alice.client.call("dm.history", { user: "bob" });
    expect(history.messages).toEqual([]);

    // The same identity next time: the key is the device's, not the session's.
    const again = await PeerChats.start(alice.client, {
      configDir: alice.dir,
      listen: { host: "127.0.0.1" },
    });
    cleanups.push(() => again.close());
    expect(again.fingerprint).toBe(alice.p2p.fingerprint);
  });

  it("uses the hub relay when the direct path is blocked, and says so", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const alice = await user(hub, "alice", { directTimeoutMs: 1_000 });
    // bob announces an endpoint nobody listens on: the direct dial is refused.
    const bob = await user(hub, "bob", {
      announce: [{ host: "127.0.0.1", port: 9 }],
      directTimeoutMs: 1_000,
    });
    const { requester, acceptor } = await open(alice, bob);
    expect(requester.path).toBe("relay");
    expect(acceptor.path).toBe("relay");
    const atBob = inbox(acceptor);
    await expect(requester.send("through the hub, still sealed")).resolves.toMatchObject({ path: "relay" });
    await waitFor("bob gets it", () => atBob.length === 1);
    expect(atBob[0]).toMatchObject({ body: "through the hub, still sealed", path: "relay" });
    await expect(acceptor.send("ok")).resolves.toMatchObject({ path: "relay" });
  });

  it("a relayed chat survives the SDK's reconnect to the hub: no message lost or doubled", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    // Default keep-alive (15 s): bob must not need it to notice that alice's side moved to a new
    // connection — her new handshake on the channel tells him.
    const tuning = { directTimeoutMs: 1_000 };
    // alice reaches the hub through a proxy we can cut; bob cannot be dialled directly.
    const alice = await user(hub, "alice", tuning, undefined, `wss://127.0.0.1:${proxy.port}`);
    const bob = await user(hub, "bob", { ...tuning, announce: [{ host: "127.0.0.1", port: 9 }] });
    const { requester, acceptor } = await open(alice, bob);
    expect(requester.path).toBe("relay");
    const atBob = inbox(acceptor);
    await requester.send("before the cut");
    const paths: Array<string | null> = [];
    requester.on("path", (p) => paths.push(p));

    proxy.cut();
    const during = requester.send("sent while reconnecting");
    await waitFor("alice is back online", () => alice.client.status.state === "online", 15_000);
    await expect(during).resolves.toMatchObject({ path: "relay" });
    await expect(requester.send("after")).resolves.toMatchObject({ path: "relay" });
    await waitFor("bob has all three", () => atBob.length === 3, 15_000);
    expect(atBob.map((m) => m.body)).toEqual(["before the cut", "sent while reconnecting", "after"]);
    // The relayed session really went down with the connection and came back on the new one.
    expect(paths).toEqual([null, "relay"]);
  });

  it("a relayed chat survives the acceptor's reconnect to the hub too", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const proxy = await startProxy(hub.port);
    cleanups.push(() => proxy.close());
    // Default keep-alive: alice learns that bob moved from bob's restart signal on the channel.
    const tuning = { directTimeoutMs: 1_000 };
    const alice = await user(hub, "alice", tuning);
    const bob = await user(
      hub,
      "bob",
      { ...tuning, announce: [{ host: "127.0.0.1", port: 9 }] },
      undefined,
      `wss://127.0.0.1:${proxy.port}`,
    );
    const { requester, acceptor } = await open(alice, bob);
    expect(acceptor.path).toBe("relay");
    const atBob = inbox(acceptor);
    const atAlice = inbox(requester);
    await requester.send("before the cut");
    const paths: Array<string | null> = [];
    requester.on("path", (p) => paths.push(p));

    proxy.cut();
    await waitFor("bob is back online", () => bob.client.status.state === "online", 15_000);
    await expect(requester.send("after bob's reconnect")).resolves.toMatchObject({ path: "relay" });
    await expect(acceptor.send("bob is back")).resolves.toMatchObject({ path: "relay" });
    await waitFor("both sides have everything", () => atBob.length === 2 && atAlice.length === 1, 15_000);
    expect(atBob.map((m) => m.body)).toEqual(["before the cut", "after bob's reconnect"]);
    expect(paths).toEqual([null, "relay"]);
  });

  it("falls back to stored DMs when the peer goes offline, and tells the UI", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const alice = await user(hub, "alice");
    const bob = await user(hub, "bob");
    const { requester } = await open(alice, bob);
    await requester.send("while you are here");
    const fallback = new Promise<{ reason: string; resent: number }>((resolve) =>
      requester.on("fallback", resolve),
    );
    const paths: Array<string | null> = [];
    requester.on("path", (p) => paths.push(p));

    // bob quits: his app ends its chats and its hub connection.
    await bob.p2p.close();
    await bob.client.close();
    const why = await fallback;
    expect(why.reason).toBe("bob ended the direct chat");
    expect(requester.path).toBe("hub");
    expect(paths.at(-1)).toBe("hub");
    expect(alice.p2p.chatWith("bob")).toBeUndefined();

    const receipt = await requester.send("stored for later");
    expect(receipt.path).toBe("hub");
    // bob comes back and finds it among his DMs, stored by the hub.
    const back = testClient(hub.url, bob.dir);
    cleanups.push(() => back.close());
    await back.connect();
    await back.login("bob", "correct-horse-battery");
    const history = await back.call("dm.history", { user: "alice" });
    expect(history.messages.map((m) => m.body)).toEqual(["stored for later"]);
    // The direct message before the break never touched the hub.
    expect(requester.messages.map((m) => m.body)).toEqual(["while you are here"]);
  });

  it("takes a request off the list with a reason when the requester withdraws it", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const alice = await user(hub, "alice");
    const bob = await user(hub, "bob");
    const gone: RequestGone[] = [];
    bob.p2p.on("requestGone", (g) => gone.push(g));
    void alice.p2p.request("bob").catch(() => {});
    await waitFor("bob is asked", () => bob.requests.length > 0);
    const { requestId } = bob.requests[0]!;
    expect(bob.p2p.requests.map((r) => r.requestId)).toEqual([requestId]);
    await alice.client.call("p2p.cancel", { requestId });
    await waitFor("bob is told", () => gone.length > 0);
    expect(gone).toMatchObject([{ requestId, from: "alice", reason: "withdrawn" }]);
    expect(bob.p2p.requests).toEqual([]);
    await expect(bob.p2p.accept(requestId)).rejects.toThrow(/no direct-chat request/);
  });

  it("warns with the safety number when a known contact's key changed, and goes on once trusted", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const alice = await user(hub, "alice");
    const bob = await user(hub, "bob");
    const first = await open(alice, bob);
    first.requester.close();
    await bob.p2p.close();
    await bob.client.close();

    // bob on a new device (a new config folder: a new key, and not his master key, so it is unsigned)
    // with the same account.
    const newDir = await tempConfigDir();
    cleanups.push(() => removeDir(newDir));
    const bobAgain = await user(hub, "bob", { identity: await ephemeralIdentity() }, newDir);
    const warnings: unknown[] = [];
    alice.p2p.on("keyChanged", (w) => warnings.push(w));
    const gone: RequestGone[] = [];
    bobAgain.p2p.on("requestGone", (g) => gone.push(g));
    // Refused from the key in the request's reply, before bob has answered anything ...
    const err = await alice.p2p.request("bob").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(P2pKeyChangedError);
    // ... and withdrawn, so bob is not left with a request that cannot succeed; he is told why.
    await waitFor("bob is told", () => gone.length > 0);
    expect(gone).toMatchObject([{ from: "alice", reason: "untrusted" }]);
    expect(bobAgain.p2p.requests).toEqual([]);
    const warning = (err as P2pKeyChangedError).warning;
    expect(warning.user).toBe("bob");
    expect(warning.previousFingerprint).toBe(bob.p2p.fingerprint);
    expect(warning.fingerprint).toBe(bobAgain.p2p.fingerprint);
    expect(warning.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    // Both screens show the same safety number.
    expect(warning.safetyNumber).toBe((await bobAgain.p2p.verification("alice")).safetyNumber);
    expect(gone[0]?.safetyNumber).toBe(warning.safetyNumber);
    expect(warnings).toHaveLength(1);

    expect(await alice.p2p.trustKey("bob")).toBe(true);
    const { requester } = await open(alice, bobAgain);
    await expect(requester.send("new phone?")).resolves.toMatchObject({ path: "direct" });
  });
});
