/**
 * RedisPresence against the real Redis: several instances stand for hub nodes sharing one prefix.
 * Short heartbeat timings keep the dead-node cases fast; the defaults are exercised by the cluster tests.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { parseRedisSpec } from "../../src/hub/bus/redis-options.js";
import { RedisPresence } from "../../src/hub/bus/redis-presence.js";
import { REDIS_URL, freshPrefix, missingServices } from "./services.js";

const missing = await missingServices("redis");

const FAST = { intervalMs: 100, ttlMs: 400 };

/** What a SIGKILL does to a node: its connection drops and nothing renews its heartbeat any more. */
function crash(presence: RedisPresence): void {
  const internals = presence as unknown as { closed: boolean; timer: NodeJS.Timeout; redis: Redis };
  internals.closed = true;
  clearInterval(internals.timer);
  internals.redis.disconnect();
}

function nextExpired(presence: RedisPresence, ms = 5_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("nothing expired")), ms);
    const off = presence.onExpired((ids) => {
      clearTimeout(timer);
      off();
      resolve(ids);
    });
  });
}

describe.skipIf(missing !== undefined)(`RedisPresence${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function nodes(n: number, options = FAST) {
    const { url, prefix, drop } = freshPrefix();
    const spec = parseRedisSpec(url);
    const list = await Promise.all(
      Array.from({ length: n }, (_, i) => RedisPresence.open(spec, `node${i}`, options)),
    );
    cleanups.push(async () => {
      await Promise.all(list.map((p) => p.close()));
      await drop();
    });
    return { list, prefix };
  }

  it("counts a user's connections across nodes: first on the first, last on the last", async () => {
    const { list } = await nodes(2);
    const [a, b] = list as [RedisPresence, RedisPresence];
    expect(await a.connect(1, "a1")).toEqual({ first: true });
    expect(await b.connect(1, "b1")).toEqual({ first: false });
    expect(await a.connect(2, "a2")).toEqual({ first: true });
    expect(await b.isOnline(1)).toBe(true);
    expect([...(await b.onlineAmong([1, 2, 3]))].sort()).toEqual([1, 2]);
    expect((await a.onlineUsers()).sort()).toEqual([1, 2]);
    expect(await a.disconnect(1, "a1")).toEqual({ last: false });
    expect(await a.disconnect(1, "a1")).toEqual({ last: false }); // twice is harmless
    expect(await b.disconnect(1, "b1")).toEqual({ last: true });
    expect(await a.isOnline(1)).toBe(false);
    expect(await a.onlineUsers()).toEqual([2]);
    expect(await a.onlineAmong([])).toEqual(new Set());
  });

  it("reports a dead node's users offline once, unless they are connected elsewhere", async () => {
    const { list } = await nodes(3);
    const [dead, b, c] = list as [RedisPresence, RedisPresence, RedisPresence];
    await dead.connect(1, "d1");
    await dead.connect(1, "d1b");
    await dead.connect(2, "d2");
    await dead.connect(3, "d3");
    await b.connect(3, "b3"); // also connected elsewhere: stays online
    const reports: number[][] = [];
    b.onExpired((ids) => reports.push(ids));
    c.onExpired((ids) => reports.push(ids));
    const started = Date.now();
    crash(dead);
    await new Promise((r) => setTimeout(r, FAST.ttlMs + 4 * FAST.intervalMs));
    expect(reports.length).toBe(1); // exactly one janitor reports
    expect(reports[0]!.sort()).toEqual([1, 2]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await b.onlineUsers()).sort()).toEqual([3]);
    expect(await c.isOnline(1)).toBe(false);
  });

  it("re-registers its connections when Redis lost them (a restart without persistence)", async () => {
    const { list, prefix } = await nodes(2);
    const [a, b] = list as [RedisPresence, RedisPresence];
    await a.connect(1, "a1");
    await b.connect(2, "b2");
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => void admin.disconnect());
    const keys = await admin.keys(`${prefix}:*`);
    await admin.del(...keys);
    expect(await a.isOnline(1)).toBe(false);
    // The next heartbeat finds the node unknown and syncs its connections back.
    await new Promise((r) => setTimeout(r, 3 * FAST.intervalMs));
    expect((await a.onlineUsers()).sort()).toEqual([1, 2]);
    expect(await b.disconnect(2, "b2")).toEqual({ last: true });
  });

  it("answers from its own connections while Redis is unreachable, then re-syncs", async () => {
    const { list } = await nodes(2);
    const [a, b] = list as [RedisPresence, RedisPresence];
    await b.connect(9, "b9");
    const internals = a as unknown as { redis: Redis };
    // Cut a's connection and keep it from reconnecting for a moment.
    const ended = new Promise((r) => internals.redis.once("end", r));
    internals.redis.disconnect(false);
    await ended;
    expect(await a.connect(1, "a1")).toEqual({ first: true });
    expect(await a.isOnline(1)).toBe(true);
    expect(await a.onlineUsers()).toEqual([1]);
    await internals.redis.connect();
    await new Promise((r) => setTimeout(r, 3 * FAST.intervalMs));
    expect((await b.onlineUsers()).sort()).toEqual([1, 9]);
  });

  it("lets a gracefully closed node's leftover users expire promptly", async () => {
    const { list } = await nodes(2);
    const [a, b] = list as [RedisPresence, RedisPresence];
    await a.connect(4, "a4");
    const expired = nextExpired(b);
    await a.close();
    expect(await expired).toEqual([4]);
  });
});
