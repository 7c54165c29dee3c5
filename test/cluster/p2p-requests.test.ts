/**
 * The direct-chat request table's contract (src/hub/bus/p2p-requests.ts), run against the in-memory
 * table of one node and against Redis with two instances standing for two hub nodes on one prefix:
 * every transition decided once even when both race, expiry by the hub's clock, channels unique.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LocalP2pRequests, type P2pRequestRecord, type P2pRequests } from "../../src/hub/bus/p2p-requests.js";
import { parseRedisSpec } from "../../src/hub/bus/redis-options.js";
import { RedisP2pRequests } from "../../src/hub/bus/redis-p2p-requests.js";
import { freshPrefix, missingServices } from "./services.js";

const missingRedis = await missingServices("redis");
const T0 = 1_700_000_000_000;
let counter = 0;

function request(extra: Partial<P2pRequestRecord> = {}): P2pRequestRecord {
  return {
    id: `req-${++counter}`,
    fromUserId: 1,
    fromName: "alice",
    fromDevice: "aaaaaaaaaaaaaaaa",
    toUserId: 2,
    toDevice: undefined,
    fromConn: "node0:1",
    toConn: undefined,
    state: "pending",
    expiresAt: T0 + 120_000,
    channel: undefined,
    ...extra,
  };
}

function describeTable(name: string, open: () => Promise<[P2pRequests, P2pRequests]>, skip?: string): void {
  describe.skipIf(skip !== undefined)(`${name}${skip ? ` (skipped: ${skip})` : ""}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    async function tables(): Promise<[P2pRequests, P2pRequests]> {
      const pair = await open();
      cleanups.push(async () => {
        await pair[0].close();
        if (pair[1] !== pair[0]) await pair[1].close();
      });
      return pair;
    }

    it("creates requests up to the requester's cap, and expired ones stop counting", async () => {
      const [a, b] = await tables();
      for (let i = 0; i < 3; i++)
        expect(await a.create(request({ expiresAt: T0 + 1_000 * (i + 1) }), T0, 3)).toBe(true);
      expect(await b.create(request(), T0, 3)).toBe(false);
      // Another requester has a cap of their own.
      expect(await b.create(request({ fromUserId: 7 }), T0, 3)).toBe(true);
      // Once the first expired, there is room again.
      expect(await b.create(request(), T0 + 1_500, 3)).toBe(true);
    });

    it("accepts once, whichever node is asked, and a second accept gets nothing", async () => {
      const [a, b] = await tables();
      const r = request();
      await a.create(r, T0, 16);
      const [one, two] = await Promise.all([
        a.accept(r.id, 2, "dddddddddddddddd", "node0:5", T0 + 1e6, T0 + 1),
        b.accept(r.id, 2, "eeeeeeeeeeeeeeee", "node1:9", T0 + 1e6, T0 + 1),
      ]);
      const won = [one, two].filter((x) => x !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ state: "accepted", expiresAt: T0 + 1e6, fromName: "alice" });
      // Accepted requests are no longer pending: they neither count nor can be withdrawn.
      expect(await b.removePending(r.id, { side: "from", userId: 1 }, T0 + 2)).toBeUndefined();
      expect(await a.create(request(), T0, 1)).toBe(true);
    });

    it("lets only the asked device of the target accept or decline, and only the requester withdraw", async () => {
      const [a, b] = await tables();
      const r = request({ toDevice: "dddddddddddddddd" });
      await a.create(r, T0, 16);
      expect(await b.accept(r.id, 2, "eeeeeeeeeeeeeeee", "c", T0 + 1e6, T0)).toBeUndefined();
      expect(await b.accept(r.id, 3, "dddddddddddddddd", "c", T0 + 1e6, T0)).toBeUndefined();
      expect(
        await b.removePending(r.id, { side: "to", userId: 2, device: "eeeeeeeeeeeeeeee" }, T0),
      ).toBeUndefined();
      expect(await b.removePending(r.id, { side: "from", userId: 2 }, T0)).toBeUndefined();
      const declined = await b.removePending(r.id, { side: "to", userId: 2, device: "dddddddddddddddd" }, T0);
      expect(declined).toMatchObject({ id: r.id, toDevice: "dddddddddddddddd", fromUserId: 1 });
      expect(await a.removePending(r.id, { side: "from", userId: 1 }, T0)).toBeUndefined();
      const other = request();
      await b.create(other, T0, 16);
      expect(await a.removePending(other.id, { side: "from", userId: 1 }, T0)).toMatchObject({
        id: other.id,
      });
    });

    it("treats an expired request as gone", async () => {
      const [a, b] = await tables();
      const r = request({ expiresAt: T0 + 10 });
      await a.create(r, T0, 16);
      expect(await b.accept(r.id, 2, "dddddddddddddddd", "c", T0 + 1e6, T0 + 10)).toBeUndefined();
    });

    it("binds relay sides on either node and gives each request its own channel, found by number", async () => {
      const [a, b] = await tables();
      const channels = new Set<number>();
      for (let i = 0; i < 5; i++) {
        const r = request();
        await a.create(r, T0, 16);
        expect(await b.bindRelay(r.id, 1, "node1:1", T0)).toBeUndefined(); // not accepted yet
        await b.accept(r.id, 2, "dddddddddddddddd", "node1:2", T0 + 1e6, T0);
        const first = await (i % 2 ? a : b).bindRelay(r.id, 1, "node0:7", T0);
        const second = await (i % 2 ? b : a).bindRelay(r.id, 2, "node1:8", T0);
        expect(first?.channel).toBeGreaterThan(0);
        expect(second?.channel).toBe(first?.channel);
        expect(await a.bindRelay(r.id, 3, "x", T0)).toBeUndefined();
        channels.add(first?.channel ?? 0);
        expect(await (i % 2 ? b : a).byChannel(first?.channel ?? 0, T0)).toMatchObject({
          id: r.id,
          fromConn: "node0:7",
          toConn: "node1:8",
        });
      }
      expect(channels.size).toBe(5);
      expect(await a.byChannel(999_999, T0)).toBeUndefined();
    });
  });
}

describeTable("LocalP2pRequests", async () => {
  const table = new LocalP2pRequests();
  return [table, table];
});

describeTable(
  "RedisP2pRequests (two nodes)",
  async () => {
    const prefix = freshPrefix();
    const spec = parseRedisSpec(prefix.url);
    const a = await RedisP2pRequests.open(spec, "node0");
    const b = await RedisP2pRequests.open(spec, "node1");
    const close = a.close.bind(a);
    a.close = async () => {
      await close();
      await prefix.drop();
    };
    return [a, b];
  },
  missingRedis,
);
