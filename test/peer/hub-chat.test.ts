/**
 * Peer chats arranged through a real hub (WebSocket, SQLite), direct and relayed. The hub runs without
 * its own TLS behind a recording TCP proxy, so the capture is exactly what the hub process sees after
 * TLS termination; together with its SQLite files that is everything the hub could leak.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { login } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";
import { wsRelayLink } from "../../src/peer/relay.js";
import { PeerError, PeerKeyMismatchError } from "../../src/peer/errors.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import type { IncomingMessage, PeerSession } from "../../src/peer/session.js";
import { hubPeer, openChat, type HubPeer } from "./helpers/hub-peer.js";
import { startTcpProxy, type TcpProxy } from "./helpers/proxy.js";
import { wsPayloads } from "./helpers/ws-frames.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setup(): Promise<{ url: string; dataDir: string; wire: TcpProxy }> {
  const hub = await startHub({ insecure: true });
  cleanups.push(() => hub.stop());
  const wire = await startTcpProxy({ host: "127.0.0.1", port: hub.port });
  cleanups.push(() => wire.close());
  return { url: `ws://127.0.0.1:${wire.port}/v1`, dataDir: hub.dataDir, wire };
}

async function peer(
  url: string,
  name: string,
  options: Parameters<typeof hubPeer>[2] = {},
): Promise<HubPeer> {
  const p = await hubPeer(url, name, options);
  cleanups.push(() => p.close());
  return p;
}

function collect(session: PeerSession): IncomingMessage[] {
  const received: IncomingMessage[] = [];
  session.on("message", (m) => received.push(m));
  return received;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every byte of the hub's data folder (SQLite database, WAL, certificate, ...). */
async function storeBytes(dataDir: string): Promise<Buffer> {
  const files = await readdir(dataDir, { recursive: true, withFileTypes: true });
  const parts = await Promise.all(
    files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name))),
  );
  return Buffer.concat(parts);
}

/** What the hub decoded from every connection, both ways: text frames and relay payloads, unmasked. */
function hubView(wire: TcpProxy): { text: string; binary: Buffer; binaryFrames: number } {
  const frames = wire.streams().flatMap((s) => [...wsPayloads(s.up), ...wsPayloads(s.down)]);
  const binaries = frames.filter((f) => f.opcode === 2).map((f) => f.data);
  return {
    text: frames
      .filter((f) => f.opcode === 1)
      .map((f) => f.data.toString("utf8"))
      .join("\n"),
    binary: Buffer.concat(binaries),
    binaryFrames: binaries.length,
  };
}

/** 100 messages each way, each carrying a marker the hub must never see. */
async function exchange(a: PeerSession, b: PeerSession, marker: string): Promise<void> {
  const atB = collect(b);
  const atA = collect(a);
  const bodies = (who: string) => Array.from({ length: 100 }, (_, i) => `${marker} from ${who} #${i}`);
  const receipts = await Promise.all([
    ...bodies("a").map((t) => a.send(t)),
    ...bodies("b").map((t) => b.send(t)),
  ]);
  expect(receipts).toHaveLength(200);
  await until(() => atA.length === 100 && atB.length === 100);
  expect(atB.map((m) => m.body)).toEqual(bodies("a"));
  expect(atA.map((m) => m.body)).toEqual(bodies("b"));
  expect(a.unacked()).toEqual([]);
  expect(b.unacked()).toEqual([]);
}

describe("peer chats through a real hub", () => {
  it("direct: request, accept, 100 messages each way; neither the hub's traffic nor its store holds the text", async () => {
    const { url, dataDir, wire } = await setup();
    const alice = await peer(url, "alice");
    const bob = await peer(url, "bob");
    const { requester, acceptor } = await openChat(alice, bob);
    expect(requester.path).toBe("direct");
    expect(acceptor.path).toBe("direct");
    expect(requester.peerKey).toBe(bob.node.publicKey);
    expect(acceptor.peerKey).toBe(alice.node.publicKey);

    await exchange(requester, acceptor, "zebra-canary-direct");

    const seen = hubView(wire);
    // The capture works: the hub-visible rendezvous is there in clear ...
    expect(seen.text).toContain('"op":"p2p.request"');
    expect(seen.text).toContain(alice.node.publicKey);
    // ... and the chat text is in neither the hub's traffic nor its files.
    expect(seen.binaryFrames).toBe(0);
    expect(seen.text).not.toContain("zebra-canary");
    expect(wire.captured().includes(Buffer.from("zebra-canary"))).toBe(false);
    expect((await storeBytes(dataDir)).includes(Buffer.from("zebra-canary"))).toBe(false);
  });

  it("direct over a slow path: the relay channel the acceptor holds ready never carries a byte", async () => {
    const { url, wire } = await setup();
    // Bob's listener is reached through a path slow enough that his relay channel is open first.
    const slow = await startTcpProxy({ host: "127.0.0.1", port: 9 });
    slow.connectDelayMs = 700;
    cleanups.push(() => slow.close());
    const alice = await peer(url, "alice");
    const bob = await peer(url, "bob", { announce: [{ host: "127.0.0.1", port: slow.port }] });
    slow.target = bob.node.endpoints()[0]!;
    const { requester, acceptor } = await openChat(alice, bob);
    expect([requester.path, acceptor.path]).toEqual(["direct", "direct"]);
    await exchange(requester, acceptor, "tapir-canary-slow");
    expect(hubView(wire).binaryFrames).toBe(0);
  });

  it("relay: with bob's listener unreachable the chat falls back to the hub relay, which sees only ciphertext", async () => {
    const { url, dataDir, wire } = await setup();
    // A firewall in front of bob's listener: connections are accepted and then silently dropped.
    const firewall = await startTcpProxy({ host: "127.0.0.1", port: 9 });
    firewall.mode = "drop";
    cleanups.push(() => firewall.close());
    const alice = await peer(url, "alice");
    const bob = await peer(url, "bob", { announce: [{ host: "127.0.0.1", port: firewall.port }] });

    const started = Date.now();
    const { requester, acceptor } = await openChat(alice, bob);
    const tookMs = Date.now() - started;
    expect(requester.path).toBe("relay");
    expect(acceptor.path).toBe("relay");
    // The direct attempt gets its 5 s, then the relay takes over promptly.
    expect(tookMs).toBeGreaterThanOrEqual(4_900);
    expect(tookMs).toBeLessThan(9_000);

    await exchange(requester, acceptor, "okapi-canary-relay");
    const seen = hubView(wire);
    // All 200 messages (TLS coalesces them into fewer records) crossed the hub as relay frames ...
    const plaintextBytes = 200 * "okapi-canary-relay from a #99".length;
    expect(seen.binaryFrames).toBeGreaterThan(4);
    expect(seen.binary.length).toBeGreaterThan(plaintextBytes);
    expect(seen.text).toContain('"op":"p2p.relay"');
    // ... as TLS records only: no text, in relay payloads, JSON frames or raw bytes.
    expect(seen.binary.includes(Buffer.from("okapi-canary"))).toBe(false);
    expect(seen.text).not.toContain("okapi-canary");
    expect(wire.captured().includes(Buffer.from("okapi-canary"))).toBe(false);
    expect((await storeBytes(dataDir)).includes(Buffer.from("okapi-canary"))).toBe(false);
    const receipt = await requester.send("one more");
    expect(receipt.path).toBe("relay");
  });

  it("relay: a connection not bound to the channel cannot inject into it", async () => {
    const { url } = await setup();
    const alice = await peer(url, "alice");
    const bob = await peer(url, "bob", { listen: false, announce: [] });
    const mallory = await peer(url, "mallory");
    const { requester, acceptor } = await openChat(alice, bob);
    expect(requester.path).toBe("relay");
    const atBob = collect(acceptor);

    const { channel } = await alice.client.call("p2p.relay", { requestId: requester.requestId });
    const forged = Buffer.alloc(64, 0x17);
    forged.writeUInt32BE(channel, 0);
    mallory.client.sendRaw(forged, true);
    const refusal = await mallory.client.waitFor(
      () => mallory.client.frames.find((f) => (f as { ok?: boolean }).ok === false),
      5_000,
      "a BAD_FRAME reply",
    );
    expect(refusal).toMatchObject({ re: null, error: { code: "BAD_FRAME" } });

    // Mallory cannot take the channel over either: the request is not hers.
    await expect(mallory.client.codeOf("p2p.relay", { requestId: requester.requestId })).resolves.toBe(
      "NO_SUCH_REQUEST",
    );
    await requester.send("still private");
    await until(() => atBob.length === 1);
    expect(atBob[0]?.body).toBe("still private");
    expect(requester.path).toBe("relay");
  });
});

describe("a key the hub got wrong", () => {
  it("is caught on the relay path too: the handshake pins the key, whatever carries the bytes", async () => {
    const { url } = await setup();
    const alice = await peer(url, "alice");
    const bob = await peer(url, "bob", { listen: false, announce: [] });
    const impostor = await ephemeralIdentity();
    const { requestId } = await alice.client.call("p2p.request", { user: "bob" });
    const request = await bob.client.nextEvent("p2p.request");
    const accepting = bob.node.accept({
      peer: "alice",
      key: request.key,
      requestId,
      answer: () => bob.client.call("p2p.answer", { requestId, accept: true }),
      openRelay: async () => (await bob.client.call("p2p.relay", { requestId })).channel,
    });
    accepting.catch(() => {});
    await alice.client.nextEvent("p2p.answered");
    // As if the hub (or someone who broke into it) handed alice a substituted key for bob.
    const err = await alice.node
      .connect({
        peer: "bob",
        key: impostor.publicKey,
        requestId,
        endpoints: [],
        openRelay: async () => (await alice.client.call("p2p.relay", { requestId })).channel,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PeerKeyMismatchError);
    expect((err as Error).message).toMatch(/^peer at relay channel \d+ presented identity key/);
  });
});

describe("a direct chat that loses its path", () => {
  it("notices the silent link by keep-alive and moves to the relay without losing a message", async () => {
    const { url } = await setup();
    const tuning = { directTimeoutMs: 2_000, session: { keepAliveMs: 200, keepAliveTimeoutMs: 1_000 } };
    const alice = await peer(url, "alice", tuning);
    const bobNode = await peer(url, "bob", tuning);
    // bob announces a path through a link we can break.
    const link = await startTcpProxy(bobNode.node.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => link.close());
    await bobNode.client.call("peer.announce", {
      endpoints: [{ host: "127.0.0.1", port: link.port }],
      key: bobNode.node.publicKey,
    });
    const { requester, acceptor } = await openChat(alice, bobNode);
    expect(requester.path).toBe("direct");
    const atBob = collect(acceptor);
    const paths: Array<string | null> = [];
    requester.on("path", (p) => paths.push(p));

    await requester.send("before the break");
    link.mode = "drop"; // packets vanish, no FIN: only keep-alive can tell
    const during = ["sent into the void 1", "sent into the void 2", "sent into the void 3"];
    const receipts = await Promise.all(during.map((t) => requester.send(t)));
    expect(receipts.map((r) => r.path)).toEqual(["relay", "relay", "relay"]);
    expect(paths).toEqual([null, "relay"]);
    await until(() => atBob.length === 4);
    // Each exactly once and in order, though some were sent twice (direct, then again on the relay).
    expect(atBob.map((m) => m.body)).toEqual(["before the break", ...during]);
    expect(atBob.map((m) => m.path)).toEqual(["direct", "relay", "relay", "relay"]);
    const reply = await acceptor.send("heard you");
    expect(reply.path).toBe("relay");
  });

  it("gives up after its attempts when the peer is gone, keeping unacked messages for the hub path", async () => {
    const { url } = await setup();
    const tuning = {
      directTimeoutMs: 500,
      reconnectAttempts: 1,
      session: { keepAliveMs: 100, keepAliveTimeoutMs: 500 },
    };
    const alice = await peer(url, "alice", tuning);
    const bob = await peer(url, "bob", tuning);
    const link = await startTcpProxy(bob.node.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => link.close());
    await bob.client.call("peer.announce", {
      endpoints: [{ host: "127.0.0.1", port: link.port }],
      key: bob.node.publicKey,
    });
    const { requester } = await openChat(alice, bob);
    const closed = new Promise<unknown>((resolve) => requester.once("closed", resolve));
    // bob's machine vanishes without a goodbye: his hub connection drops, his listener is unreachable.
    bob.client.ws.terminate();
    await link.close();
    const pending = requester.send("are you there?");
    const reason = await closed;
    expect(reason).toBeInstanceOf(PeerError);
    await expect(pending).rejects.toMatchObject({ code: "SESSION_CLOSED" });
    expect(requester.unacked().map((m) => m.body)).toEqual(["are you there?"]);
  });

  it("survives the requester's hub connection dropping while relayed: new connection, same channel, no loss", async () => {
    const { url } = await setup();
    const tuning = { session: { keepAliveMs: 200, keepAliveTimeoutMs: 1_000 } };
    const alice = await peer(url, "alice", tuning);
    const bob = await peer(url, "bob", { ...tuning, listen: false, announce: [] });
    const { requester, acceptor } = await openChat(alice, bob);
    expect(requester.path).toBe("relay");
    const atBob = collect(acceptor);
    await requester.send("before");

    // alice's hub connection dies; her client tells the node, logs in again (slowly: a re-login on a
    // busy machine can take seconds, which once used up all re-establishing attempts) and hands the
    // node the new connection.
    alice.client.ws.terminate();
    alice.node.setRelay(undefined);
    await new Promise((r) => setTimeout(r, 2_500));
    const again = await login(url, "alice");
    cleanups.push(() => again.close());
    alice.client = again;
    alice.node.setRelay(wsRelayLink(again.ws));

    const after = await Promise.all([requester.send("after 1"), requester.send("after 2")]);
    expect(after.map((r) => r.path)).toEqual(["relay", "relay"]);
    await until(() => atBob.length === 3);
    expect(atBob.map((m) => m.body)).toEqual(["before", "after 1", "after 2"]);
    await expect(acceptor.send("welcome back")).resolves.toMatchObject({ path: "relay" });
  });
});
