/**
 * RedisBus against the real Redis: two buses stand for two hub nodes. Each test uses its own key
 * prefix (so its own channel); skips naming what to start when Redis is down, except under CI.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { BusMessage } from "../../src/hub/bus/bus.js";
import { encodeFrame } from "../../src/hub/bus/redis-codec.js";
import { RedisBus } from "../../src/hub/bus/redis-bus.js";
import { parseRedisSpec } from "../../src/hub/bus/redis-options.js";
import { REDIS_URL, freshPrefix, missingServices } from "./services.js";

const missing = await missingServices("redis");

/** Resolves once `count` messages arrived, or rejects after `ms`. */
function collect(bus: RedisBus, count: number, ms = 5_000): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${count} messages`)), ms);
    bus.subscribe((m) => {
      got.push(m);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

function nextGap(bus: RedisBus, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no gap reported")), ms);
    const off = bus.onGap(() => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe.skipIf(missing !== undefined)(`RedisBus${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function cluster(n: number, heartbeatMs?: number) {
    const { url, drop } = freshPrefix();
    const spec = parseRedisSpec(url);
    const tag = Math.random().toString(36).slice(2, 8);
    const buses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        RedisBus.open(spec, `t${tag}-n${i}`, heartbeatMs ? { heartbeatMs } : {}),
      ),
    );
    cleanups.push(async () => {
      await Promise.all(buses.map((b) => b.close()));
      await drop();
    });
    return { buses, spec, tag };
  }

  it("delivers every node's messages to every node, the publisher's own included, in one order", async () => {
    const { buses } = await cluster(3);
    const received = buses.map((bus) => collect(bus, 60));
    await Promise.all(
      buses.map(async (bus, node) => {
        for (let i = 0; i < 20; i++) {
          await bus.publish({ kind: "invalidate", room: node * 100 + i });
        }
      }),
    );
    const [a, b, c] = await Promise.all(received);
    // Same total order everywhere (one channel), and each publisher's messages in publish order.
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    for (let node = 0; node < 3; node++) {
      const mine = a!.map((m) => (m as { room: number }).room).filter((r) => Math.floor(r / 100) === node);
      expect(mine).toEqual(Array.from({ length: 20 }, (_, i) => node * 100 + i));
    }
  });

  it("carries relay frames' bytes unchanged", async () => {
    const { buses } = await cluster(2);
    const data = new Uint8Array(4096).map((_, i) => (i * 7) % 256);
    const got = collect(buses[1]!, 1);
    await buses[0]!.publish({ kind: "relay", toConn: "c1", channel: 42, data });
    const [message] = await got;
    expect(message).toEqual({ kind: "relay", toConn: "c1", channel: 42, data });
  });

  it("keeps other clusters' messages out (prefix = channel)", async () => {
    const one = await cluster(1);
    const two = await cluster(1);
    const heard: BusMessage[] = [];
    two.buses[0]!.subscribe((m) => heard.push(m));
    const got = collect(one.buses[0]!, 1);
    await one.buses[0]!.publish({ kind: "invalidate" });
    await got;
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual([]);
  });

  it("reports a gap when its subscriber connection is cut, after it is subscribed again", async () => {
    const { buses, tag } = await cluster(2);
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => void admin.disconnect());
    const gap = nextGap(buses[1]!);
    // Only this test's connection: CLIENT KILL by the name the bus gave it.
    const list = (await admin.client("LIST")) as string;
    const line = list.split("\n").find((l) => l.includes(` name=parley-bus-sub:t${tag}-n1 `));
    const id = line && /\bid=(\d+)/.exec(line)?.[1];
    expect(id).toBeDefined();
    await admin.client("KILL", "ID", id!);
    await gap;
    // Subscribed again: messages flow after the gap.
    const got = collect(buses[1]!, 1);
    await buses[0]!.publish({ kind: "invalidate", user: 5 });
    expect(await got).toEqual([{ kind: "invalidate", user: 5 }]);
  });

  it("reports a gap when a publisher's numbering jumps (a message it sent was lost)", async () => {
    const { buses, spec } = await cluster(1);
    const raw = new Redis(REDIS_URL);
    cleanups.push(async () => void raw.disconnect());
    const channel = `${spec.prefix}:bus`;
    const got = collect(buses[0]!, 2);
    const gap = nextGap(buses[0]!);
    await raw.publish(channel, encodeFrame("other/1", 1, { kind: "invalidate", room: 1 }));
    await raw.publish(channel, encodeFrame("other/1", 3, { kind: "invalidate", room: 3 }));
    await gap;
    expect(await got).toEqual([
      { kind: "invalidate", room: 1 },
      { kind: "invalidate", room: 3 },
    ]);
  });

  it("notices a lost last message by the publisher's heartbeat", async () => {
    const { buses } = await cluster(2, 100);
    const [a, b] = buses as [RedisBus, RedisBus];
    const got = collect(b, 1);
    await a.publish({ kind: "invalidate", room: 1 });
    await got;
    // Bypass `a`'s connection for one number: as if its publish of message 2 had failed.
    (a as unknown as { pubSeq: number }).pubSeq += 1;
    await nextGap(b, 3_000);
  });

  it("ignores a malformed frame and keeps going", async () => {
    const { buses, spec } = await cluster(1);
    const raw = new Redis(REDIS_URL);
    cleanups.push(async () => void raw.disconnect());
    const got = collect(buses[0]!, 1);
    await raw.publish(`${spec.prefix}:bus`, Buffer.from([1, 9, 0]));
    await buses[0]!.publish({ kind: "invalidate", room: 9 });
    expect(await got).toEqual([{ kind: "invalidate", room: 9 }]);
  });

  it("fails to open with a message naming the Redis it could not reach", async () => {
    const spec = parseRedisSpec("redis://127.0.0.1:1/?prefix=x");
    await expect(RedisBus.open(spec, "n", { connectTimeoutMs: 1_000 })).rejects.toThrow(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
