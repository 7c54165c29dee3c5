/**
 * Files inside direct chats: real PeerNodes on loopback (direct TLS), a cut link in the middle of a
 * transfer (resumed from what was written), and a chat relayed through a real hub that must see only
 * ciphertext.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileTransfers, type Transfer } from "../../src/peer/file-transfer.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import { PeerNode, type PeerNodeOptions } from "../../src/peer/node.js";
import type { PeerSession } from "../../src/peer/session.js";
import { startHub } from "../helpers/hub.js";
import { hubPeer, openChat } from "./helpers/hub-peer.js";
import { startTcpProxy } from "./helpers/proxy.js";
import { wsPayloads } from "./helpers/ws-frames.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
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

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parley-p2p-files-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A file of `size` random bytes with `marker` repeated in it, written to a temp folder. */
async function sample(size: number, marker = ""): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  if (marker) for (let at = 0; at + marker.length < size; at += 100_000) bytes.write(marker, at);
  const path = join(await folder(), "sample.bin");
  await writeFile(path, bytes);
  return { path, bytes };
}

/** The receiving side: accepts every offer into `into` once it has checked nothing is written yet. */
function receiver(session: PeerSession, into: string) {
  const files = new FileTransfers(session);
  const ended: Transfer[] = [];
  const offers: Transfer[] = [];
  files.on("offer", (offer) => {
    offers.push({ ...offer });
    void readdir(into).then(async (names) => {
      // Nothing is written before the answer.
      expect(names).toEqual([]);
      await files.accept(offer.id, into);
    });
  });
  files.on("end", (t) => ended.push({ ...t }));
  return { files, ended, offers };
}

describe("files in direct chats", () => {
  it("direct: several MB arrive whole, with the hash checked; the offer comes first with name and size", async () => {
    const alice = await node();
    const bob = await node();
    const [b, a] = await Promise.all([
      bob.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" }),
      alice.connect({ peer: "bob", key: bob.publicKey, requestId: "r1", endpoints: bob.endpoints() }),
    ]);
    const into = await folder();
    const { ended, offers } = receiver(b, into);
    const sender = new FileTransfers(a);
    const progress: number[] = [];
    sender.on("progress", (t) => progress.push(t.done));
    const { path, bytes } = await sample(6 * 1024 * 1024);
    const result = await sender.send(path);
    expect(result.state).toBe("done");
    expect(offers[0]).toMatchObject({ name: "sample.bin", size: bytes.length, sha256: sha(bytes), done: 0 });
    await until(() => ended.length === 1);
    expect(ended[0]?.state).toBe("done");
    expect(sha(await readFile(ended[0]?.path as string))).toBe(sha(bytes));
    expect(await readdir(into)).toEqual(["sample.bin"]);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(progress.length).toBeGreaterThan(10);
  });

  it("refused: the sender hears so and nothing is written", async () => {
    const alice = await node();
    const bob = await node();
    const [b, a] = await Promise.all([
      bob.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" }),
      alice.connect({ peer: "bob", key: bob.publicKey, requestId: "r1", endpoints: bob.endpoints() }),
    ]);
    const into = await folder();
    const files = new FileTransfers(b);
    files.on("offer", (offer) => files.refuse(offer.id));
    const { path } = await sample(100_000);
    const result = await new FileTransfers(a).send(path);
    expect(result).toMatchObject({ state: "failed", error: "refused" });
    expect(await readdir(into)).toEqual([]);
  });

  it("resumes from what was written after the connection is cut mid-transfer", async () => {
    const alice = await node({ reconnectAttempts: 5 });
    const bob = await node({ reconnectAttempts: 5 });
    const proxy = await startTcpProxy(bob.endpoints()[0] as { host: string; port: number });
    cleanups.push(() => proxy.close());
    const [b, a] = await Promise.all([
      bob.accept({ peer: "alice", key: alice.publicKey, requestId: "r1" }),
      alice.connect({
        peer: "bob",
        key: bob.publicKey,
        requestId: "r1",
        endpoints: [{ host: "127.0.0.1", port: proxy.port }],
      }),
    ]);
    const into = await folder();
    const { files, ended } = receiver(b, into);
    let cutAt = -1;
    files.on("progress", (t) => {
      if (cutAt < 0 && t.done > 2 * 1024 * 1024) {
        cutAt = t.done;
        proxy.cut();
      }
    });
    const sender = new FileTransfers(a);
    const sent: number[] = [];
    sender.on("progress", (t) => sent.push(t.done));
    const { path, bytes } = await sample(8 * 1024 * 1024);
    const result = await sender.send(path);
    expect(result.state).toBe("done");
    expect(cutAt).toBeGreaterThan(0);
    await until(() => ended.length === 1);
    expect(sha(await readFile(ended[0]?.path as string))).toBe(sha(bytes));
    // The sender went back to where the receiver was, not to the start: its progress restarted above 0.
    const restarts = sent.filter((done, i) => i > 0 && done < (sent[i - 1] as number));
    expect(restarts.length).toBeGreaterThan(0);
    expect(Math.min(...restarts)).toBeGreaterThan(1024 * 1024);
  });

  it("relayed through a real hub: the file arrives and the hub sees only ciphertext", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const wire = await startTcpProxy({ host: "127.0.0.1", port: hub.port });
    cleanups.push(() => wire.close());
    const url = `ws://127.0.0.1:${wire.port}/v1`;
    const alice = await hubPeer(url, "alice");
    cleanups.push(() => alice.close());
    const bob = await hubPeer(url, "bob", { listen: false, announce: [] });
    cleanups.push(() => bob.close());
    const { requester, acceptor } = await openChat(alice, bob);
    expect(requester.path).toBe("relay");
    const into = await folder();
    const { ended } = receiver(acceptor, into);
    const marker = "quokka-canary-file";
    const { path, bytes } = await sample(3 * 1024 * 1024, marker);
    const result = await new FileTransfers(requester).send(path);
    expect(result.state).toBe("done");
    await until(() => ended.length === 1);
    expect(sha(await readFile(ended[0]?.path as string))).toBe(sha(bytes));
    const frames = wire.streams().flatMap((s) => [...wsPayloads(s.up), ...wsPayloads(s.down)]);
    const relayed = Buffer.concat(frames.filter((f) => f.opcode === 2).map((f) => f.data));
    expect(relayed.length).toBeGreaterThan(bytes.length);
    expect(relayed.includes(Buffer.from(marker))).toBe(false);
    expect(relayed.includes(Buffer.from(bytes.subarray(1000, 1032).toString("base64")))).toBe(false);
    expect(wire.captured().includes(Buffer.from(marker))).toBe(false);
  });
});
