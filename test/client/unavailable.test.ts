/**
 * A hub that cannot store messages for now answers `UNAVAILABLE` with `retryAfterMs`: the SDK keeps
 * the message in its outbox, says so (`sendDelayed`), and sends it again — same cid — once the wait is
 * over. A real hub behind a WebSocket proxy that answers the first `msg.send` the way a hub with a full
 * disk does.
 */
import { afterEach, expect, it } from "vitest";
import type { ClientEventMap } from "../../src/client/index.js";
import { startHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";
import { startWsProxy } from "./ws-proxy.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

it("keeps a message refused with UNAVAILABLE in the outbox and sends it after retryAfterMs", async () => {
  const hub = await startHub({ insecure: true });
  cleanups.push(() => hub.stop());
  const proxy = await startWsProxy(hub.url);
  cleanups.push(() => proxy.close());
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const alice = testClient(proxy.url, dir);
  cleanups.push(() => alice.close());
  await alice.connect();
  await signUp(alice, "alice");
  await alice.createRoom({ name: "lobby" });

  const delayed: Array<ClientEventMap["sendDelayed"]> = [];
  const failed: Array<ClientEventMap["sendFailed"]> = [];
  alice.on("sendDelayed", (d) => delayed.push(d));
  alice.on("sendFailed", (f) => failed.push(f));
  proxy.refuse("msg.send", {
    code: "UNAVAILABLE",
    message: "the hub cannot store messages right now",
    retryAfterMs: 400,
  });

  const sending = alice.send("room:lobby", "kept until the hub can store it");
  await waitFor("the refusal", () => delayed.length === 1);
  expect(delayed[0]?.retryInMs).toBe(400);
  expect(delayed[0]?.error.code).toBe("UNAVAILABLE");
  // Still waiting in the outbox, not refused for good.
  expect(alice.state.outbox.map((e) => e.body)).toEqual(["kept until the hub can store it"]);

  const stored = await sending;
  expect(proxy.refused("msg.send")).toBe(1);
  expect(failed).toEqual([]);
  expect(alice.state.outbox).toEqual([]);
  expect(stored.cid).toBe(delayed[0]?.entry.cid);
  // Stored once, and the hub has it.
  const { messages } = await alice.call("room.history", { room: "lobby" });
  expect(messages.map((m) => m.body)).toEqual(["kept until the hub can store it"]);
});
