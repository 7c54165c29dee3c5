/**
 * Direct chats across cluster nodes: two `parley serve` processes on one PostgreSQL schema and one
 * Redis prefix, each user connected to a different node. Requests, answers, declines, cancels and
 * relay channels all cross nodes (the request table is in Redis, relay bytes travel on the bus); the
 * chats go direct when the peers can reach each other and through the relay when not.
 *
 * Skips naming what to start when PostgreSQL or Redis is down, except under CI (then it fails).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ParleyClient,
  PeerChats,
  type DirectChat,
  type DirectMessage,
  type IncomingRequest,
  type PeerChatsOptions,
  type RequestGone,
} from "../../src/client/index.js";
import { removeDir, tempConfigDir, waitFor } from "../client/helpers.js";
import { startCluster, type Cluster } from "./cluster.js";
import { missingServices } from "./services.js";

const missing = await missingServices("postgres", "redis");

interface User {
  name: string;
  client: ParleyClient;
  p2p: PeerChats;
  requests: IncomingRequest[];
  gone: RequestGone[];
}

describe.skipIf(missing !== undefined)(
  `direct chats across cluster nodes${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let cluster: Cluster;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      cluster = await startCluster(2);
    }, 120_000);

    afterAll(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
      await cluster?.stop();
    });

    /** A user whose client knows only node `node` (so it stays there), or `nodes` in that order. */
    async function user(
      name: string,
      node: number,
      options: PeerChatsOptions = {},
      nodes: number[] = [node],
    ): Promise<User> {
      const dir = await tempConfigDir();
      cleanups.push(() => removeDir(dir));
      const client = new ParleyClient({
        urls: nodes.map((i) => cluster.urls[i] ?? ""),
        configDir: dir,
        clientName: "p2p-cluster-test",
        backoff: { baseMs: 100, maxMs: 1_000 },
      });
      cleanups.push(() => client.close());
      await client.connect();
      const p2p = await PeerChats.start(client, {
        configDir: dir,
        listen: { host: "127.0.0.1" },
        addresses: "all",
        directTimeoutMs: 1_500,
        ...options,
      });
      cleanups.push(() => p2p.close());
      await client.register({ username: name, password: `pw-${name}-long` });
      await client.login(name, `pw-${name}-long`);
      await p2p.announce();
      const requests: IncomingRequest[] = [];
      const gone: RequestGone[] = [];
      p2p.on("request", (r) => requests.push(r));
      p2p.on("requestGone", (g) => gone.push(g));
      return { name, client, p2p, requests, gone };
    }

    async function open(from: User, to: User): Promise<{ requester: DirectChat; acceptor: DirectChat }> {
      const requesting = from.p2p.request(to.name);
      await waitFor(`${to.name} is asked`, () => to.requests.length > 0, 20_000);
      const request = to.requests.shift()!;
      const [requester, acceptor] = await Promise.all([requesting, to.p2p.accept(request.requestId)]);
      return { requester, acceptor };
    }

    async function chatBothWays(a: DirectChat, b: DirectChat, path: "direct" | "relay"): Promise<void> {
      const atB: DirectMessage[] = [];
      const atA: DirectMessage[] = [];
      b.on("message", (m) => atB.push(m));
      a.on("message", (m) => atA.push(m));
      const sent = await Promise.all([a.send("one"), a.send("two"), b.send("back")]);
      expect(sent.map((r) => r.path)).toEqual([path, path, path]);
      await waitFor("both sides have them", () => atB.length === 2 && atA.length === 1, 20_000);
      expect(atB.map((m) => m.body)).toEqual(["one", "two"]);
      expect(atA.map((m) => m.body)).toEqual(["back"]);
    }

    it("a direct chat between users on different nodes", async () => {
      const alice = await user("alice", 0);
      const bob = await user("bob", 1);
      const { requester, acceptor } = await open(alice, bob);
      expect(requester.path).toBe("direct");
      expect(acceptor.path).toBe("direct");
      await chatBothWays(requester, acceptor, "direct");
    }, 120_000);

    it("a relayed chat between users on different nodes (the acceptor cannot be dialled)", async () => {
      const carol = await user("carol", 0);
      const dave = await user("dave", 1, { announce: [{ host: "127.0.0.1", port: 9 }] });
      const { requester, acceptor } = await open(carol, dave);
      expect(requester.path).toBe("relay");
      expect(acceptor.path).toBe("relay");
      await chatBothWays(requester, acceptor, "relay");
      // And the other way round: the requester on node 1, relay-only.
      const erin = await user("erin", 1, { addresses: "relay-only" });
      const back = await open(erin, carol);
      expect(back.requester.path).toBe("relay");
      await chatBothWays(back.requester, back.acceptor, "relay");
    }, 120_000);

    it("declines and cancels cross nodes too", async () => {
      const fay = await user("fay", 0);
      const gus = await user("gus", 1);
      const declined = fay.p2p.request("gus").then(
        () => undefined,
        (e: unknown) => e,
      );
      await waitFor("gus is asked", () => gus.requests.length > 0, 20_000);
      await gus.p2p.decline(gus.requests.shift()!.requestId);
      expect(await declined).toMatchObject({ code: "DECLINED" });

      // fay withdraws a request on her node; gus, on the other, is told.
      const { requestId } = await fay.client.call("p2p.request", { user: "gus" });
      await waitFor("gus is asked again", () => gus.requests.length > 0, 20_000);
      await fay.client.call("p2p.cancel", { requestId });
      await waitFor("gus is told", () => gus.gone.length > 0, 20_000);
      expect(gus.gone[0]).toMatchObject({ requestId, reason: "withdrawn" });
    }, 120_000);

    // Last: it kills node 0.
    it("a relayed chat goes on when the requester's node dies and its client moves to the other node", async () => {
      const henry = await user("henry", 0, {}, [0, 1]);
      const ida = await user("ida", 1, { announce: [{ host: "127.0.0.1", port: 9 }] });
      const { requester, acceptor } = await open(henry, ida);
      expect(requester.path).toBe("relay");
      const atIda: DirectMessage[] = [];
      acceptor.on("message", (m) => atIda.push(m));
      await requester.send("before");
      await cluster.hubs[0]!.kill();
      const during = requester.send("while moving");
      await waitFor("henry is on node 1", () => henry.client.status.state === "online", 60_000);
      // The channel is rebound from henry's new connection on node 1; both nodes' caches follow.
      await expect(during).resolves.toMatchObject({ path: "relay" });
      await expect(requester.send("after")).resolves.toMatchObject({ path: "relay" });
      await waitFor("ida has all three", () => atIda.length === 3, 60_000);
      expect(atIda.map((m) => m.body)).toEqual(["before", "while moving", "after"]);
      await expect(acceptor.send("welcome")).resolves.toMatchObject({ path: "relay" });
    }, 180_000);
  },
);
