/** A peer presenting a key other than the hub-published one is refused, on either side of the handshake. */
import { afterEach, describe, expect, it } from "vitest";
import { PeerError, PeerKeyMismatchError } from "../../src/peer/errors.js";
import { keyFingerprint } from "../../src/peer/fingerprint.js";
import { clientHandshake } from "../../src/peer/handshake.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import { PeerNode } from "../../src/peer/node.js";

const nodes: PeerNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});

async function node(): Promise<PeerNode> {
  const peer = await PeerNode.create({
    identity: await ephemeralIdentity(),
    listen: { host: "127.0.0.1" },
    directTimeoutMs: 2_000,
  });
  nodes.push(peer);
  return peer;
}

describe("man in the middle", () => {
  it("the requester refuses a listener whose key is not the one the hub published", async () => {
    const alice = await node();
    const bob = await node();
    const mallory = await node();
    // Mallory intercepts bob's endpoint (say, by DNS or ARP spoofing) and expects alice, to look legit.
    const malloryAccepts = mallory.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" });
    malloryAccepts.catch(() => {});

    const attempt = alice.connect({
      peer: "bob",
      key: bob.publicKey,
      requestId: "r1",
      endpoints: mallory.endpoints(),
    });
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PeerKeyMismatchError);
    const mismatch = err as PeerKeyMismatchError;
    expect(mismatch.code).toBe("KEY_MISMATCH");
    expect(mismatch.expectedFingerprint).toBe(keyFingerprint(bob.publicKey));
    expect(mismatch.actualFingerprint).toBe(keyFingerprint(mallory.publicKey));
    expect(mismatch.message).toMatch(/possible man in the middle/);
  });

  it("the acceptor refuses a dialer whose key is not the requester's, and the dialer is told why", async () => {
    const alice = await node();
    const bob = await node();
    const mallory = await node();
    const rejected = new Promise<Error>((resolve) => bob.once("rejected", (e) => resolve(e)));
    const bobAccepts = bob.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" });
    bobAccepts.catch(() => {});

    // Mallory knows bob's published key and dials him pretending to be alice.
    const err = await mallory
      .connect({ peer: "bob", key: bob.publicKey, requestId: "r1", endpoints: bob.endpoints() })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PeerError);
    expect((err as PeerError).message).toMatch(/refused|closed the connection/);
    const atBob = await rejected;
    expect(atBob).toBeInstanceOf(PeerKeyMismatchError);
    expect((atBob as PeerKeyMismatchError).actualFingerprint).toBe(keyFingerprint(mallory.publicKey));

    // The real alice still gets through afterwards.
    const session = await alice.connect({
      peer: "bob",
      key: bob.publicKey,
      requestId: "r1",
      endpoints: bob.endpoints(),
    });
    expect(session.path).toBe("direct");
    await expect(session.send("hi")).resolves.toMatchObject({ path: "direct" });
  });

  it("a dialer without a client certificate is refused", async () => {
    const bob = await node();
    const stranger = await ephemeralIdentity();
    // A plain TLS client offering no certificate at all.
    const { connect } = await import("node:tls");
    const endpoint = bob.endpoints()[0] as { host: string; port: number };
    const socket = connect({ ...endpoint, rejectUnauthorized: false, minVersion: "TLSv1.3" });
    const toldRefused = await new Promise<boolean>((resolve) => {
      const received: Buffer[] = [];
      socket.on("data", (d: Buffer) => received.push(d)); // also lets 'end' and 'close' fire
      socket.on("error", () => {});
      socket.on("close", () => resolve(Buffer.concat(received).includes(Buffer.from("refused"))));
      setTimeout(() => resolve(false), 5_000);
    });
    expect(toldRefused).toBe(true);
    // And a certificate-bearing client expecting bob succeeds in TLS but is refused at hello.
    await expect(
      clientHandshake(endpoint, { identity: stranger, expectedKey: bob.publicKey, where: "bob" }),
    ).rejects.toMatchObject({ code: "REFUSED" });
  });
});
