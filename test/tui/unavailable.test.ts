/**
 * When the hub cannot store messages (UNAVAILABLE, e.g. a full disk), the app says so once — "will
 * retry" — keeps the message dimmed, and it arrives when the retry goes through. A real hub behind a
 * WebSocket proxy that answers msg.send the way such a hub does.
 */
import { expect, it } from "vitest";
import { buildPane } from "../../src/tui/model/pane.js";
import { startHub } from "../helpers/hub.js";
import { waitFor } from "../client/helpers.js";
import { startWsProxy } from "../client/ws-proxy.js";
import { cleanUpAfterEach, later, registeredApp } from "./app-helpers.js";

cleanUpAfterEach();

it('says "the hub cannot store messages right now; will retry" once, and the message goes through', async () => {
  const hub = await startHub({ insecure: true });
  later(() => hub.stop());
  const proxy = await startWsProxy(hub.url);
  later(() => proxy.close());
  const { controller, client } = await registeredApp(proxy.url, "uma");
  await controller.submit("/create lobby");
  await waitFor("the room view", () => controller.getSnapshot().view === "room:lobby");

  proxy.refuse(
    "msg.send",
    { code: "UNAVAILABLE", message: "the hub cannot store messages right now", retryAfterMs: 1500 },
    2,
  );
  await controller.submit("first while the disk is full");
  await controller.submit("second while the disk is full");
  const warning = "The hub cannot store messages right now; will retry in 2 s";
  const texts = (): string[] =>
    buildPane(controller.getSnapshot(), "room:lobby").map((l) => (l.kind === "notice" ? l.text : ""));
  await waitFor("the warning", () => texts().some((t) => t.startsWith(warning)));

  await waitFor(
    "both messages stored",
    () => (client.state.rooms["lobby"]?.messages.length ?? 0) === 2 && client.state.outbox.length === 0,
    20_000,
  );
  expect(proxy.refused("msg.send")).toBe(2);
  // Said once for the outage, not once per refused message.
  expect(texts().filter((t) => t.startsWith(warning))).toHaveLength(1);
  expect(texts().some((t) => t.startsWith("Not sent"))).toBe(false);
});
