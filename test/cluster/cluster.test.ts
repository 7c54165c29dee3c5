/**
 * Cluster mode end to end: three `parley serve` processes on the real PostgreSQL and Redis of this
 * machine, SDK clients spread over them (each knows every node and starts on a different one).
 *
 * Checks, in order, on one cluster: chat in a room and in DMs reaches everyone in one order; a node
 * SIGKILLed mid-traffic loses nothing (its clients move to the others, every acknowledged message is
 * shown exactly once, its stranded user goes offline within 30 s); Redis restarted mid-traffic loses
 * and doubles nothing.
 *
 * The nodes use a redis-server of this test's own (the same binary and settings as the machine's):
 * restarting the machine's shared Redis would break whatever else runs beside these tests.
 *
 * Skips naming what to start when PostgreSQL or Redis is down, except under CI (then it fails).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/model.js";
import { registerAndLogin, type TestClient } from "../helpers/client.js";
import { ClusterClient, PrivateRedis, startCluster, until, type Cluster } from "./cluster.js";
import { missingRedisServer, missingServices } from "./services.js";

const missing = (await missingServices("postgres")) ?? missingRedisServer();

const USERS = 6;

/** Sends `count` messages to `key`, one every `gapMs`, and resolves with those acknowledged. */
async function chatter(
  c: ClusterClient,
  key: `room:${string}` | `dm:${string}`,
  tag: string,
  count: number,
  gapMs: number,
) {
  const acked: Message[] = [];
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    // Not awaited one by one: the SDK's outbox keeps order and re-sends across a node's death.
    pending.push(
      c.client.send(key, `${c.username}-${tag}${i}`).then(
        (m) => void acked.push(m),
        () => {},
      ),
    );
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.all(pending);
  return acked;
}

/** Waits until every client shows `count` messages of `key`; on timeout, says what each one shows. */
async function allShown(clients: ClusterClient[], key: string, count: number): Promise<void> {
  try {
    await until(`every client to show ${count} messages in ${key}`, () =>
      clients.every((c) => c.shown(key).length >= count),
    );
  } catch (err) {
    const shown = clients.map((c) => `${c.username} (${c.client.status.state}): ${c.seqs(key).join(",")}`);
    throw new Error(`${(err as Error).message}; shown:\n${shown.join("\n")}`);
  }
}

/**
 * Creates a room, has everyone join, and has its first message shown everywhere before the traffic.
 *
 * Why the first message: the SDK takes a conversation's first live message as its starting point
 * when it has seen none (src/client/state.ts \`deliver\`, "accepts any first seq"), even after
 * room.join said the room is empty. In a cluster, seq 2 may reach a client before seq 1 (two nodes
 * publish after their commits, in either order), and seq 1 is then dropped as "older". That is an SDK
 * bug (reported to its owner); this keeps it out of what these tests are about.
 */
async function openRoom(clients: ClusterClient[], name: string): Promise<Message> {
  await clients[0]!.client.createRoom({ name });
  for (const c of clients.slice(1)) await c.client.joinRoom(name);
  const first = await clients[0]!.client.send(`room:${name}`, `${name} opens`);
  await allShown(clients, `room:${name}`, 1);
  return first;
}

function expectSameOrderEverywhere(clients: ClusterClient[], key: string, acked: Message[]) {
  const reference = clients[0]!.shown(key);
  for (const c of clients) {
    // Shown once each, in one order, with seqs 1, 2, 3, … (no gap, no duplicate).
    expect(c.shown(key)).toEqual(reference);
    expect(c.seqs(key)).toEqual(reference.map((_, i) => i + 1));
  }
  // Exactly the acknowledged messages (a send either was acknowledged or never stored).
  expect([...reference].sort()).toEqual(acked.map((m) => m.body).sort());
  expect(new Set(reference).size).toBe(reference.length);
}

describe.skipIf(missing !== undefined)(
  `cluster: three hubs on PostgreSQL + Redis${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let cluster: Cluster;
    let redis: PrivateRedis;
    const clients: ClusterClient[] = [];

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      cluster = await startCluster(3, { redisUrl: redis.url });
      for (let i = 0; i < USERS; i++)
        clients.push(await ClusterClient.create(cluster.urls, i % 3, `user${i}`));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await cluster?.stop();
    }, 60_000);

    it("delivers room and DM messages to every client once, in the same order", async () => {
      const opening = await openRoom(clients, "lobby");
      const [roomAcks, dmAcks] = await Promise.all([
        Promise.all(clients.map((c) => chatter(c, "room:lobby", "r", 12, 60))),
        Promise.all(clients.map((c, i) => chatter(c, `dm:user${(i + 1) % USERS}`, "d", 5, 90))),
      ]);
      const acked = [opening, ...roomAcks.flat()];
      expect(acked).toHaveLength(1 + USERS * 12);
      await allShown(clients, "room:lobby", acked.length);
      expectSameOrderEverywhere(clients, "room:lobby", acked);

      for (let i = 0; i < USERS; i++) {
        const sender = clients[i]!;
        const receiver = clients[(i + 1) % USERS]!;
        const sent = dmAcks[i]!;
        expect(sent).toHaveLength(5);
        await until(
          `${receiver.username} to show ${sender.username}'s DMs`,
          () => receiver.shown(`dm:${sender.username}`).length >= 5,
        );
        // Both ends show the conversation identically; it holds just these five.
        expect(receiver.shown(`dm:${sender.username}`)).toEqual(sender.shown(`dm:${receiver.username}`));
        expect(receiver.shown(`dm:${sender.username}`)).toEqual(sent.map((m) => m.body));
      }
    }, 120_000);

    it("survives SIGKILL of a node mid-traffic: clients move on, nothing lost or doubled, presence settles", async () => {
      const opening = await openRoom(clients, "storm");
      // Knows only node 1, so it cannot move on: it must go offline for everyone when node 1 dies.
      const stranded = await ClusterClient.create([cluster.urls[1]!], 0, "stranded");
      try {
        await stranded.client.joinRoom("storm");
        const observer = clients[0]!; // on node 0
        await until("the observer to see the stranded user online", async () =>
          (await observer.client.call("users.online", {})).users.some((u) => u.username === "stranded"),
        );

        const traffic = Promise.all(clients.map((c) => chatter(c, "room:storm", "k", 30, 100)));
        await new Promise((r) => setTimeout(r, 1_000));
        const killedAt = Date.now();
        await cluster.hubs[1]!.kill("SIGKILL");

        const acked = [opening, ...(await traffic).flat()];
        expect(acked).toHaveLength(1 + USERS * 30);
        await allShown(clients, "room:storm", acked.length);
        expectSameOrderEverywhere(clients, "room:storm", acked);
        // The clients of node 1 (users 1 and 4) are on another node now.
        for (const i of [1, 4]) expect(clients[i]!.client.status).toMatchObject({ state: "online" });
        expect(clients[1]!.client.status).not.toMatchObject({ url: cluster.urls[1] });

        // Presence: the stranded user goes offline (timeout) within 30 s; those who moved stay online.
        await until(
          "the stranded user to be reported offline",
          () =>
            observer.events.some(
              (e) =>
                e.ev === "presence" &&
                e["username"] === "stranded" &&
                e["online"] === false &&
                e["reason"] === "timeout",
            ),
          35_000,
        );
        expect(Date.now() - killedAt).toBeLessThan(30_000);
        const online = (await observer.client.call("users.online", {})).users.map((u) => u.username);
        expect(online).not.toContain("stranded");
        for (const c of clients) expect(online).toContain(c.username);
        const wronglyOffline = observer.events.filter(
          (e) => e.ev === "presence" && e["online"] === false && e["username"] !== "stranded",
        );
        expect(wronglyOffline).toEqual([]);
      } finally {
        await stranded.close();
        await cluster.restart(1);
      }
    }, 120_000);

    it("survives a Redis restart mid-traffic: nodes reconnect and repair, nothing lost or doubled", async () => {
      const opening = await openRoom(clients, "weather");
      // One raw client per node, to check what the hubs themselves put on the wire.
      const raw: TestClient[] = [];
      for (const [i, url] of cluster.urls.entries()) {
        const c = await registerAndLogin(url, `wire${i}`);
        await c.call("room.join", { room: "weather" });
        raw.push(c);
      }
      const traffic = Promise.all(clients.map((c) => chatter(c, "room:weather", "w", 30, 100)));
      await new Promise((r) => setTimeout(r, 1_000));
      const shownBefore = clients[0]!.shown("room:weather").length;
      await redis.restart();
      const acked = [opening, ...(await traffic).flat()];
      expect(acked).toHaveLength(1 + USERS * 30);
      // The restart fell in the middle of the traffic, not before or after it.
      expect(shownBefore).toBeGreaterThan(1);
      expect(shownBefore).toBeLessThan(acked.length / 2);
      await allShown(clients, "room:weather", acked.length);
      expectSameOrderEverywhere(clients, "room:weather", acked);
      // Each node repaired its own connections: seqs 2, 3, 4, … on the wire (1 was before they joined),
      // none twice, none missing, in order.
      for (const c of raw) {
        await until(
          "the raw client to get every message",
          () => c.eventsNamed("message").length >= acked.length - 1,
        );
        expect(c.eventsNamed("message").map((m) => m.seq)).toEqual(acked.slice(1).map((_, i) => i + 2));
        await c.close();
      }
      // Presence was rebuilt from the nodes after Redis came back empty.
      const observer = clients[2]!;
      await until("presence to be rebuilt", async () => {
        const online = (await observer.client.call("users.online", {})).users.map((u) => u.username);
        return clients.every((c) => online.includes(c.username));
      });
    }, 120_000);
  },
);
