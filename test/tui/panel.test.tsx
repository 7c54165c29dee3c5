/**
 * A listing command typed in a conversation (/users in a DM view) shows in a panel over it and in the
 * status view, not inside the conversation (regression: the listing became part of the DM view). Ink
 * through ink-testing-library, a real hub.
 */
import { expect, it } from "vitest";
import { startHub } from "../helpers/hub.js";
import { signUp, testClient, waitFor } from "../client/helpers.js";
import { chatApp, cleanUpAfterEach, drawApp, later } from "./app-helpers.js";

cleanUpAfterEach();

it("shows /users typed in a DM view in a panel and the status view, never in the DM", async () => {
  const hub = await startHub();
  later(() => hub.stop());
  const { controller, client, dir } = await chatApp(hub.url);
  const bob = testClient(hub.url, dir);
  later(() => bob.close());
  await bob.connect();
  await signUp(bob, "bob");
  const ui = drawApp(controller);
  controller.start();
  expect(await controller.register({ username: "alice", password: "correct horse 1" })).toBe(true);
  const { screen, shows } = ui;
  const texts = (view: string): string[] => (controller.getSnapshot().notices[view] ?? []).map((n) => n.text);

  ui.stdin.write("/dm bob\r");
  await waitFor("the DM view", () => controller.getSnapshot().view === "dm:bob");
  ui.stdin.write("/users\r");
  await shows("── /users — Esc closes");
  await shows("2 online:");
  expect(screen()).toContain("bob — online");
  expect(texts("dm:bob")).toEqual([]);
  expect(texts("status")).toEqual(expect.arrayContaining(["2 online:", "  bob — online"]));

  // Esc closes it; the DM is as it was.
  ui.stdin.write("\u001b");
  await waitFor("the panel to close", () => !screen().includes("Esc closes"));
  expect(controller.getSnapshot().view).toBe("dm:bob");

  // The next thing typed closes it too.
  ui.stdin.write("/rooms\r");
  await shows("── /rooms — Esc closes");
  ui.stdin.write("hello bob\r");
  await waitFor("the panel to close", () => !screen().includes("Esc closes"));
  await waitFor("the message", () => client.state.dms["bob"]?.messages.length === 1);
  expect(texts("dm:bob")).toEqual([]);
});
