/** The hub's rendezvous ops against a real hub: who may ask whom, answers, expiry, relay binding. */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/hub/clock.js";
import { P2P_REQUEST_TTL_MS } from "../../src/hub/domain/p2p.js";
import { deviceIdOf } from "../../src/peer/device-signature.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import { registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function hub(clock?: ManualClock): Promise<string> {
  const h = await startHub(clock ? { options: { clock } } : {});
  cleanups.push(() => h.stop());
  return h.url;
}

async function user(url: string, name: string, announce = true): Promise<TestClient & { key: string }> {
  const client = await registerAndLogin(url, name);
  cleanups.push(() => client.close());
  const key = (await ephemeralIdentity()).publicKey;
  if (announce) await client.call("peer.announce", { endpoints: [{ host: "127.0.0.1", port: 40000 }], key });
  return Object.assign(client, { key });
}

describe("p2p rendezvous ops", () => {
  it("request → event with the requester's key; accept → both sides get each other's endpoints and key", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    await bob.call("peer.announce", { endpoints: [{ host: "127.0.0.2", port: 41000 }], key: bob.key });

    const { requestId, key } = await alice.call("p2p.request", { user: "BOB" });
    expect(requestId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    // The reply names the key the hub holds for bob, so alice can refuse a changed one at once.
    expect(key).toBe(bob.key);
    const request = await bob.nextEvent("p2p.request");
    // The requesting device comes along (the key per device: its id and keys; unsigned here).
    const aliceDevice = { id: deviceIdOf(alice.key), key: alice.key };
    expect(request).toEqual({
      ev: "p2p.request",
      requestId,
      from: "alice",
      key: alice.key,
      device: expect.objectContaining(aliceDevice),
    });

    const answer = await bob.call("p2p.answer", { requestId, accept: true });
    expect(answer).toEqual({
      endpoints: [{ host: "127.0.0.1", port: 40000 }],
      key: alice.key,
      device: expect.objectContaining(aliceDevice),
    });
    const answered = await alice.nextEvent("p2p.answered");
    expect(answered).toEqual({
      ev: "p2p.answered",
      requestId,
      accept: true,
      endpoints: [{ host: "127.0.0.2", port: 41000 }],
      key: bob.key,
      device: expect.objectContaining({ id: deviceIdOf(bob.key), key: bob.key }),
    });
    // Both parties get the same relay channel; answering again is not possible.
    const a = await alice.call("p2p.relay", { requestId });
    const b = await bob.call("p2p.relay", { requestId });
    expect(a.channel).toBe(b.channel);
    expect(await bob.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
  });

  it("a declined request tells the requester and is gone", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    const { requestId } = await alice.call("p2p.request", { user: "bob" });
    await bob.nextEvent("p2p.request");
    expect(await bob.call("p2p.answer", { requestId, accept: false })).toEqual({});
    expect(await alice.nextEvent("p2p.answered")).toEqual({ ev: "p2p.answered", requestId, accept: false });
    expect(await alice.codeOf("p2p.relay", { requestId })).toBe("NO_SUCH_REQUEST");
  });

  it("the requester may withdraw an unanswered request: the target is told, and it is gone", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    const carol = await user(url, "carol");
    const { requestId } = await alice.call("p2p.request", { user: "bob" });
    await bob.nextEvent("p2p.request");
    // Only the requester may withdraw it.
    expect(await bob.codeOf("p2p.cancel", { requestId })).toBe("NO_SUCH_REQUEST");
    expect(await carol.codeOf("p2p.cancel", { requestId })).toBe("NO_SUCH_REQUEST");
    await alice.call("p2p.cancel", { requestId });
    expect(await bob.nextEvent("p2p.cancelled")).toEqual({ ev: "p2p.cancelled", requestId });
    // With the reason a client gives when it refuses the target's key, which the target is told.
    const third = await alice.call("p2p.request", { user: "bob" });
    await alice.call("p2p.cancel", { requestId: third.requestId, reason: "key-changed" });
    expect(await bob.nextEvent("p2p.cancelled", (e) => e.requestId === third.requestId)).toEqual({
      ev: "p2p.cancelled",
      requestId: third.requestId,
      reason: "key-changed",
    });
    expect(await alice.codeOf("p2p.cancel", { requestId: "x", reason: "bored" })).toBe("INVALID_PARAMS");
    expect(await bob.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
    expect(await alice.codeOf("p2p.cancel", { requestId })).toBe("NO_SUCH_REQUEST");
    // An answered request cannot be withdrawn (the chat is the parties' to end).
    const second = await alice.call("p2p.request", { user: "bob" });
    await bob.call("p2p.answer", { requestId: second.requestId, accept: true });
    expect(await alice.codeOf("p2p.cancel", { requestId: second.requestId })).toBe("NO_SUCH_REQUEST");
  });

  it("leaves the key out of the request's reply when the target has announced none", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    await user(url, "bob", false);
    expect(await alice.call("p2p.request", { user: "bob" })).toEqual({ requestId: expect.any(String) });
  });

  it("refuses unknown, offline, blocking and keyless targets with their codes", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    expect(await alice.codeOf("p2p.request", { user: "nobody" })).toBe("NO_SUCH_USER");
    expect(await alice.codeOf("p2p.request", { user: "alice" })).toBe("INVALID_PARAMS");

    const carol = await user(url, "carol");
    await carol.close();
    // The hub notices the close asynchronously; ask until it has (bounded).
    let code = "";
    for (let i = 0; i < 50 && code !== "NOT_ONLINE"; i++) {
      const reply = await alice.request("p2p.request", { user: "carol" });
      code = reply.ok ? "OK" : reply.error.code;
      if (code !== "NOT_ONLINE") await new Promise((r) => setTimeout(r, 20));
    }
    expect(code).toBe("NOT_ONLINE");

    await bob.call("block", { user: "alice", on: true });
    expect(await alice.codeOf("p2p.request", { user: "bob" })).toBe("BLOCKED");
    expect(bob.eventsNamed("p2p.request")).toEqual([]);

    const dave = await user(url, "dave", false);
    const refusal = await dave.request("p2p.request", { user: "alice" });
    expect(refusal).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS" } });
    expect(JSON.stringify(refusal)).toMatch(/peer\.announce/);
  });

  it("only the target may answer, and only the two parties may relay", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    const mallory = await user(url, "mallory");
    const { requestId } = await alice.call("p2p.request", { user: "bob" });
    expect(await mallory.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
    expect(await alice.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
    // Not accepted yet: no relay for anyone.
    expect(await alice.codeOf("p2p.relay", { requestId })).toBe("NO_SUCH_REQUEST");
    await bob.call("p2p.answer", { requestId, accept: true });
    expect(await mallory.codeOf("p2p.relay", { requestId })).toBe("NO_SUCH_REQUEST");
    expect(await mallory.codeOf("p2p.relay", { requestId: "x".repeat(22) })).toBe("NO_SUCH_REQUEST");
  });

  it("rejects a key that is not a public key, naming the field", async () => {
    const url = await hub();
    const alice = await user(url, "alice", false);
    const reply = await alice.request("peer.announce", {
      endpoints: [],
      key: Buffer.from("not a key").toString("base64"),
    });
    expect(reply).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS", field: "key" } });
    const bad = await alice.request("peer.announce", { endpoints: [{ host: "", port: 70000 }], key: "AAAA" });
    expect(bad).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS" } });
  });

  it("an unanswered request expires after two minutes", async () => {
    const clock = new ManualClock(Date.now());
    const url = await hub(clock);
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    const { requestId } = await alice.call("p2p.request", { user: "bob" });
    clock.advance(P2P_REQUEST_TTL_MS + 1);
    expect(await bob.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
  });

  it("binary frames before login, or too short to name a channel, are bad frames", async () => {
    const url = await hub();
    const alice = await user(url, "alice");
    alice.sendRaw(Buffer.from([1, 2]), true);
    const reply = await alice.waitFor(
      () => alice.frames.find((f) => (f as { ok?: boolean }).ok === false),
      5_000,
      "BAD_FRAME",
    );
    expect(reply).toMatchObject({ re: null, error: { code: "BAD_FRAME" } });
  });

  it("forwards relay bytes untouched between the parties, within a per-connection byte budget", async () => {
    // A clock that stands still: on a loaded machine sending 4.8 MB takes long enough for the budget's
    // refill (1 MiB/s) to keep up, and the refusal this test looks for would never come.
    const url = await hub(new ManualClock());
    const alice = await user(url, "alice");
    const bob = await user(url, "bob");
    const { requestId } = await alice.call("p2p.request", { user: "bob" });
    await bob.call("p2p.answer", { requestId, accept: true });
    const { channel } = await alice.call("p2p.relay", { requestId });
    await bob.call("p2p.relay", { requestId });
    const atBob: Buffer[] = [];
    const first = new Promise<void>((resolve) =>
      bob.ws.on("message", (data, isBinary) => {
        if (!isBinary) return;
        atBob.push(data as Buffer);
        resolve();
      }),
    );

    const frame = Buffer.alloc(60_000, 0xab);
    frame.writeUInt32BE(channel, 0);
    alice.sendRaw(frame, true);
    await first;
    expect(atBob[0]?.equals(frame)).toBe(true);

    // 4 MiB of burst at 1 MiB/s, then refusals: 80 frames of 60 kB (~4.6 MB) are enough when they
    // go out at once. On a loaded machine sending is slower and the bucket refills meanwhile, so keep
    // sending (bounded) until the hub refuses, instead of betting on the speed.
    const refused = () =>
      alice.frames.find((f) => (f as { error?: { code?: string } }).error?.code === "RATE_LIMITED");
    for (let batch = 0; batch < 20 && !refused(); batch++) {
      for (let i = 0; i < 80; i++) alice.sendRaw(frame, true);
      for (let i = 0; i < 2_000 && alice.ws.bufferedAmount > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      await alice.waitFor(refused, 500, "RATE_LIMITED").catch(() => undefined);
    }
    const limited = await alice.waitFor(refused, 20_000, "RATE_LIMITED");
    expect(limited).toMatchObject({ re: null, error: { retryAfterMs: expect.any(Number) } });
  });
});
