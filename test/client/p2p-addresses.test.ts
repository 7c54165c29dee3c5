/**
 * Address privacy through the SDK against a real hub, with captures: in the default (`verified`) and
 * `relay-only` modes no address of one user reaches the other until they verified each other — not in
 * what the hub relays to the requester, not as a dial — while verified peers, or known contacts in
 * `contacts` mode, do go direct. And a lying hub that hands out 40 addresses gets at most 16 dials.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { PeerChatsOptions } from "../../src/client/index.js";
import type { AddressMode } from "../../src/peer/addresses.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { startLyingHub, type Frame } from "../helpers/lying-hub.js";
import { startTcpProxy, type TcpProxy } from "../peer/helpers/proxy.js";
import { wsPayloads } from "../peer/helpers/ws-frames.js";
import { openChat, p2pUser, verifyEachOther } from "./p2p-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function hub(): Promise<TestHub> {
  const h = await startHub({ insecure: true });
  cleanups.push(() => h.stop());
  return h;
}

/** Quick fallback to the relay: these tests block or withhold the direct path on purpose. */
const user = (url: string, name: string, options: PeerChatsOptions) =>
  p2pUser(url, name, cleanups, { directTimeoutMs: 1_000, ...options });
const open = openChat;

/**
 * alice reaches the hub through a recording proxy (what her client receives is what bob's side could
 * leak to her); bob tells peers an address that is a recording gate in front of his listener (so any
 * dial to him is counted).
 */
async function pair(aliceMode: AddressMode, bobMode: AddressMode) {
  const h = await hub();
  const wire = await startTcpProxy({ host: "127.0.0.1", port: h.port });
  cleanups.push(() => wire.close());
  const alice = await user(`ws://127.0.0.1:${wire.port}/v1`, "alice", { addresses: aliceMode });
  // The gate forwards to bob's listener, whose port is known only once it runs: retarget after start.
  const gate = await startTcpProxy({ host: "127.0.0.1", port: 1 });
  cleanups.push(() => gate.close());
  const bob = await user(h.url, "bob", {
    addresses: bobMode,
    announce: [{ host: "127.0.0.1", port: gate.port }],
  });
  const listening = (
    bob.p2p as unknown as { node: { endpoints(): Array<{ port: number }> } }
  ).node.endpoints();
  if (listening[0]) gate.target = { host: "127.0.0.1", port: listening[0].port };
  return { alice, bob, wire, gate, listening };
}

/** Every text frame alice's client received from the hub. */
function receivedByAlice(wire: TcpProxy): string {
  return wire
    .streams()
    .flatMap((s) => wsPayloads(s.down))
    .filter((f) => f.opcode === 1)
    .map((f) => f.data.toString("utf8"))
    .join("\n");
}

function mentionsPort(text: string, port: number): boolean {
  return text.includes(`"port":${port}`);
}

describe("address privacy", () => {
  it("verified (the default): strangers get the relay and not a single address, verified peers go direct", async () => {
    const { alice, bob, wire, gate, listening } = await pair("verified", "verified");
    expect(listening.length).toBeGreaterThan(0);
    const first = await open(alice, bob);
    expect(first.requester.path).toBe("relay");
    expect(first.acceptor.path).toBe("relay");
    await expect(first.requester.send("hello over the relay")).resolves.toMatchObject({ path: "relay" });
    // Nothing of where bob listens reached alice, and nobody dialled him.
    const seen = receivedByAlice(wire);
    expect(seen).toContain('"ev":"p2p.answered"');
    expect(mentionsPort(seen, gate.port)).toBe(false);
    for (const e of listening) expect(mentionsPort(seen, e.port)).toBe(false);
    expect(gate.streams()).toHaveLength(0);
    first.requester.close();

    // Once they verified each other, the same two go direct: the capture would show it.
    await verifyEachOther(alice, bob);
    const second = await open(alice, bob);
    expect(second.requester.path).toBe("direct");
    expect(mentionsPort(receivedByAlice(wire), gate.port)).toBe(true);
    expect(gate.streams().length).toBeGreaterThan(0);
  });

  it("relay-only: no listener at all, nothing given out even to a verified peer", async () => {
    const { alice, bob, wire, gate, listening } = await pair("all", "relay-only");
    expect(listening).toEqual([]);
    const first = await open(alice, bob);
    await verifyEachOther(alice, bob);
    first.requester.close();
    const second = await open(alice, bob);
    expect(second.requester.path).toBe("relay");
    expect(mentionsPort(receivedByAlice(wire), gate.port)).toBe(false);
    expect(gate.streams()).toHaveLength(0);
  });

  it("the requester's own address: a relay-only requester never dials, even when given an address", async () => {
    const { alice, bob, wire, gate } = await pair("relay-only", "all");
    const { requester } = await open(alice, bob);
    // bob gave his address (his setting allows it) ...
    expect(mentionsPort(receivedByAlice(wire), gate.port)).toBe(true);
    // ... but alice would show hers by dialling, so she takes the relay.
    expect(requester.path).toBe("relay");
    expect(gate.streams()).toHaveLength(0);
  });

  it("contacts: a first contact gets the relay, the next chat goes direct", async () => {
    const { alice, bob, gate } = await pair("contacts", "contacts");
    const first = await open(alice, bob);
    expect(first.requester.path).toBe("relay");
    expect(gate.streams()).toHaveLength(0);
    first.requester.close();
    const second = await open(alice, bob);
    expect(second.requester.path).toBe("direct");
  });
});

describe("dialling limits", () => {
  it("of 40 addresses a lying hub hands out, at most 16 are dialled, and no forbidden one", async () => {
    const h = await hub();
    const liar = await startLyingHub(h.url);
    cleanups.push(() => liar.close());
    // 34 plain TCP listeners that count connections (and never speak TLS), plus forbidden addresses.
    const servers: Server[] = [];
    const dialled = new Set<number>();
    for (let i = 0; i < 34; i++) {
      const server = createServer((socket: Socket) => {
        dialled.add(i);
        socket.on("error", () => {});
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
    }
    cleanups.push(async () => {
      for (const s of servers) s.close();
    });
    const forbidden = ["224.0.0.1", "255.255.255.255", "0.0.0.0", "169.254.169.254", "::", "ff02::1"];
    const endpoints = [
      ...forbidden.map((host) => ({ host, port: 4000 })),
      ...servers.map((s) => ({ host: "127.0.0.1", port: (s.address() as { port: number }).port })),
    ];
    liar.rewrite = (frame: Frame) =>
      frame.ev === "p2p.answered" && frame.accept === true ? { ...frame, endpoints } : frame;
    const alice = await user(liar.url, "alice", { addresses: "all" });
    const bob = await user(h.url, "bob", { addresses: "all" });
    const { requester } = await open(alice, bob);
    // None of the 16 answered as bob: the chat went through the relay.
    expect(requester.path).toBe("relay");
    expect(dialled.size).toBeGreaterThan(0);
    expect(dialled.size).toBeLessThanOrEqual(16);
    // The first 16 allowed ones in order, the forbidden ones skipped.
    expect([...dialled].sort((a, b) => a - b)).toEqual(Array.from({ length: dialled.size }, (_, i) => i));
  });
});
