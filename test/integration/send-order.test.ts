/** One client's burst of sends is pipelined by the hub and still stored in the order sent. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub({ config: { rateLimits: false } });
});
afterAll(async () => hub.stop());

describe("msg.send from one connection", () => {
  it("stores a burst in the order sent, room and DM interleaved, with failures in between", async () => {
    const a = await registerAndLogin(hub.url, "burster");
    const b = await registerAndLogin(hub.url, "listener");
    await a.call("room.create", { name: "burst" });
    await b.call("room.join", { room: "burst" });
    const replies = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 10 === 5
          ? a.request("msg.send", { room: "no-such-room", body: `x${i}`, cid: `c${i}` })
          : a.request(
              "msg.send",
              i % 3 === 0
                ? { user: "listener", body: `d${i}`, cid: `c${i}` }
                : { room: "burst", body: `r${i}`, cid: `c${i}` },
            ),
      ),
    );
    const failed = replies.filter((r) => !r.ok);
    expect(failed).toHaveLength(12);
    const room = (await a.call("room.history", { room: "burst", limit: 200 })).messages.map((m) => m.body);
    const dms = (await a.call("dm.history", { user: "listener", limit: 200 })).messages.map((m) => m.body);
    const expected = Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 10 !== 5);
    expect(room).toEqual(expected.filter((i) => i % 3 !== 0).map((i) => `r${i}`));
    expect(dms).toEqual(expected.filter((i) => i % 3 === 0).map((i) => `d${i}`));
    // The listener hears the room messages in the same order.
    await b.waitFor(
      () =>
        b.eventsNamed("message").filter((m) => m.room === "burst").length >= room.length ? true : undefined,
      10_000,
      "all room messages",
    );
    expect(
      b
        .eventsNamed("message")
        .filter((m) => m.room === "burst")
        .map((m) => m.body),
    ).toEqual(room);
    await Promise.all([a.close(), b.close()]);
  });
});
