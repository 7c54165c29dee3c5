/**
 * A direct-chat request the requester gives up on. Regression: the requester quit without withdrawing,
 * the target accepted and then waited out the whole connection deadline (12 s) for a peer that was not
 * coming. Now the requester withdraws what is unanswered when it closes, and an accept in progress ends
 * at once when the request is withdrawn — whichever reaches the hub first. Real hub (plain ws, so a
 * WebSocket proxy in front of the target can hold back its answer or lose an event), real peer nodes.
 */
import { afterEach, expect, it } from "vitest";
import {
  P2pWithdrawnError,
  PeerChats,
  type IncomingRequest,
  type ParleyClient,
  type RequestGone,
} from "../../src/client/index.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";
import { startWsProxy, type WsProxy } from "./ws-proxy.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Peer {
  client: ParleyClient;
  p2p: PeerChats;
  requests: IncomingRequest[];
  gone: RequestGone[];
}

async function peer(url: string, name: string): Promise<Peer> {
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const client = testClient(url, dir);
  cleanups.push(() => client.close());
  await client.connect();
  const p2p = await PeerChats.start(client, { configDir: dir, listen: { host: "127.0.0.1" } });
  cleanups.push(() => p2p.close());
  await signUp(client, name);
  await p2p.announce();
  const requests: IncomingRequest[] = [];
  const gone: RequestGone[] = [];
  p2p.on("request", (r) => requests.push(r));
  p2p.on("requestGone", (g) => gone.push(g));
  return { client, p2p, requests, gone };
}

async function setup(): Promise<{ hub: TestHub; proxy: WsProxy; alice: Peer; bob: Peer }> {
  const hub = await startHub({ insecure: true });
  cleanups.push(() => hub.stop());
  const proxy = await startWsProxy(hub.url);
  cleanups.push(() => proxy.close());
  const alice = await peer(hub.url, "alice");
  const bob = await peer(proxy.url, "bob");
  return { hub, proxy, alice, bob };
}

/** alice asks bob; resolves with bob's request once it shows (alice's own promise is left to fail). */
async function ask(alice: Peer, bob: Peer): Promise<IncomingRequest> {
  alice.p2p.request("bob").catch(() => {});
  await waitFor("bob to be asked", () => bob.requests.length > 0);
  return bob.requests.shift()!;
}

it("withdraws unanswered requests when the requester closes: the target is told, nothing to accept", async () => {
  const { alice, bob } = await setup();
  const request = await ask(alice, bob);
  await alice.p2p.close();
  await waitFor("the withdrawal", () => bob.gone.length === 1);
  expect(bob.gone[0]).toMatchObject({ requestId: request.requestId, from: "alice", reason: "withdrawn" });
  expect(bob.p2p.requests).toEqual([]);
  await expect(bob.p2p.accept(request.requestId)).rejects.toThrow(/no direct-chat request .* is waiting/);
});

it("ends an accept at once when the withdrawal reaches the hub before the answer", async () => {
  const { proxy, alice, bob } = await setup();
  const request = await ask(alice, bob);
  // bob never hears of the withdrawal: only the hub's answer to his acceptance can tell him.
  proxy.drop("p2p.cancelled");
  await alice.p2p.close();
  const error = await bob.p2p.accept(request.requestId).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(P2pWithdrawnError);
  expect((error as Error).message).toBe("alice withdrew the direct-chat request");
});

it("ends an accept at once when the withdrawal arrives while the answer is on its way", async () => {
  const { proxy, alice, bob } = await setup();
  const request = await ask(alice, bob);
  // bob's answer is held back on its way to the hub; alice withdraws meanwhile.
  const held = proxy.hold("p2p.answer");
  const accepting = bob.p2p.accept(request.requestId).catch((e: unknown) => e);
  await held;
  await alice.p2p.close();
  const error = await accepting;
  expect(error).toBeInstanceOf(P2pWithdrawnError);
  proxy.release();
  expect(bob.p2p.chats.size).toBe(0);
});
