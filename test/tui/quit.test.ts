/**
 * Quitting with messages the hub has not acknowledged (typed while it was unreachable): they exist only
 * in the app, so /quit says how many would be lost and leaves only when asked again. Real SDK, real hub
 * over TLS, stopped to make the messages wait.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { ChatController } from "../../src/tui/controller/controller.js";
import { startHub } from "../helpers/hub.js";
import { waitFor } from "../client/helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

interface QuitApp {
  controller: ChatController;
  client: ParleyClient;
  exits: () => number;
  stopHub: () => Promise<void>;
}

async function app(): Promise<QuitApp> {
  const hub = await startHub();
  cleanups.push(() => hub.stop());
  const dir = await mkdtemp(join(tmpdir(), "parley-tui-quit-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const client = new ParleyClient({ urls: hub.url, configDir: dir });
  let exits = 0;
  const controller = new ChatController(client, {
    bell: () => {},
    openUrl: async () => {},
    exit: () => exits++,
  });
  cleanups.push(() => controller.quit());
  controller.start();
  expect(await controller.register({ username: "quinn", password: "correct horse 9" })).toBe(true);
  await controller.submit("/create lobby");
  await waitFor("the room view", () => controller.getSnapshot().view === "room:lobby");
  return { controller, client, exits: () => exits, stopHub: () => hub.stop() };
}

const printed = (controller: ChatController): string[] =>
  Object.values(controller.getSnapshot().notices)
    .flat()
    .map((n) => n.text);

it("leaves at once when nothing is waiting to be sent", async () => {
  const { controller, exits } = await app();
  await controller.submit("/quit");
  await waitFor("the app to exit", () => exits() === 1);
});

it("warns before dropping unsent messages, and leaves on the second /quit", async () => {
  const { controller, client, exits, stopHub } = await app();
  await stopHub();
  await waitFor("the connection to drop", () => client.status.state !== "online");
  await controller.submit("typed while the hub is away");
  await controller.submit("and another");
  await waitFor("two messages in the outbox", () => client.state.outbox.length === 2);

  await controller.submit("/quit");
  await new Promise((r) => setTimeout(r, 100));
  expect(exits()).toBe(0);
  expect(printed(controller).some((t) => t.startsWith("2 messages are not delivered to the hub yet"))).toBe(
    true,
  );
  await controller.submit("/quit");
  await waitFor("the app to exit", () => exits() === 1);
});

it("others are told of a clean quit as a quit, not as a lost connection", async () => {
  const { controller, client } = await app();
  const dir = await mkdtemp(join(tmpdir(), "parley-tui-quit-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const other = new ParleyClient({ urls: client.state.hub!.url, configDir: dir });
  cleanups.push(() => other.close());
  await other.connect();
  await other.register({ username: "ollie", password: "correct horse 8" });
  await other.login("ollie", "correct horse 8");
  await other.joinRoom("lobby");
  const offline = new Promise<unknown>((resolve) =>
    other.on("event", (ev) => {
      if (ev.ev === "presence" && ev.username === "quinn" && !ev.online) resolve(ev.reason);
    }),
  );
  await controller.submit("/quit");
  // Regression: Ctrl+C or /quit reached the others as "went offline (disconnect)".
  expect(await offline).toBe("quit");
});
