/** Two real PeerNodes on loopback: direct TLS 1.3 sessions, receipts, ordering, reconnects. */
import { afterEach, describe, expect, it } from "vitest";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import { PeerNode, type PeerNodeOptions } from "../../src/peer/node.js";
import type { IncomingMessage, PeerSession } from "../../src/peer/session.js";
import { startTcpProxy, type TcpProxy } from "./helpers/proxy.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(options: Partial<PeerNodeOptions> = {}): Promise<PeerNode> {
  const peer = await PeerNode.create({
    identity: await ephemeralIdentity(),
    listen: { host: "127.0.0.1" },
    directTimeoutMs: 1_500,
    ...options,
  });
  cleanups.push(() => peer.close());
  return peer;
}

/** alice requests, bob accepts; returns both ends of the chat. */
async function pair(
  alice: PeerNode,
  bob: PeerNode,
  endpoints = bob.endpoints(),
): Promise<{ a: PeerSession; b: PeerSession }> {
  const [b, a] = await Promise.all([
    bob.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" }),
    alice.connect({ peer: "bob", key: bob.publicKey, requestId: "r1", endpoints }),
  ]);
  return { a, b };
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

describe("direct peer sessions", () => {
  it("carries 100 messages each way over TLS 1.3, all acknowledged, in order", async () => {
    const alice = await node();
    const bob = await node();
    const { a, b } = await pair(alice, bob);
    expect(a.path).toBe("direct");
    expect(b.path).toBe("direct");
    const atBob = collect(b);
    const atAlice = collect(a);

    const bodies = (who: string) => Array.from({ length: 100 }, (_, i) => `${who} says ${i}`);
    const receipts = await Promise.all([
      ...bodies("alice").map((body) => a.send(body)),
      ...bodies("bob").map((body) => b.send(body)),
    ]);

    expect(receipts).toHaveLength(200);
    for (const receipt of receipts) {
      expect(receipt.path).toBe("direct");
      expect(receipt.ackedAt).toBeGreaterThanOrEqual(receipt.sentAt);
    }
    await until(() => atBob.length === 100 && atAlice.length === 100);
    expect(atBob.map((m) => m.body)).toEqual(bodies("alice"));
    expect(atAlice.map((m) => m.body)).toEqual(bodies("bob"));
    expect(a.unacked()).toEqual([]);
    expect(b.unacked()).toEqual([]);
  });

  it("reconnects after the link drops without losing or duplicating a message", async () => {
    const alice = await node({ reconnectAttempts: 5 });
    const bob = await node({ reconnectAttempts: 5 });
    const proxy: TcpProxy = await startTcpProxy(bob.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => proxy.close());
    const { a, b } = await pair(alice, bob, [{ host: "127.0.0.1", port: proxy.port }]);
    const atBob = collect(b);
    const paths: Array<string | null> = [];
    a.on("path", (p) => paths.push(p));

    const first = await Promise.all([a.send("one"), a.send("two")]);
    expect(first.map((r) => r.path)).toEqual(["direct", "direct"]);
    proxy.cut();
    // Sent while the link is down: held in the outbox, delivered after the reconnect.
    const later = [a.send("three"), a.send("four")];
    const receipts = await Promise.all(later);
    expect(receipts.map((r) => r.path)).toEqual(["direct", "direct"]);
    await until(() => atBob.length === 4);
    expect(atBob.map((m) => m.body)).toEqual(["one", "two", "three", "four"]);
    expect(paths).toContain(null);
    expect(paths.at(-1)).toBe("direct");
  });

  it("the message text never crosses the wire in clear", async () => {
    const alice = await node();
    const bob = await node();
    const proxy = await startTcpProxy(bob.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => proxy.close());
    const { a, b } = await pair(alice, bob, [{ host: "127.0.0.1", port: proxy.port }]);
    const atBob = collect(b);
    const secret = "the plaintext canary 7f3a9c";
    await a.send(secret);
    await until(() => atBob.length === 1);
    expect(atBob[0]?.body).toBe(secret);
    expect(proxy.captured().length).toBeGreaterThan(500);
    expect(proxy.captured().includes(Buffer.from("canary"))).toBe(false);
  });

  it("falls back with a clear error when the peer is unreachable and there is no relay", async () => {
    const alice = await node();
    const bob = await node();
    const proxy = await startTcpProxy(bob.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => proxy.close());
    proxy.mode = "drop";
    const started = Date.now();
    await expect(
      alice.connect({
        peer: "bob",
        key: bob.publicKey,
        requestId: "r1",
        endpoints: [{ host: "127.0.0.1", port: proxy.port }],
      }),
    ).rejects.toMatchObject({ code: "UNREACHABLE" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });
});
