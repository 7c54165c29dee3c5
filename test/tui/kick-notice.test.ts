/**
 * The notice of a kick says how to come back — with the password when the room has one (regression: it
 * said "/join book-club to come back" for a locked room, which the hub then refuses). Real hub; the
 * kicked user runs the app's controller on the real SDK.
 */
import { afterEach, expect, it } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { ChatController } from "../../src/tui/controller/controller.js";
import { startHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "../client/helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

it("names the password in the way back from a kick out of a locked room", async () => {
  const hub = await startHub();
  cleanups.push(() => hub.stop());
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const alice = testClient(hub.url, dir);
  cleanups.push(() => alice.close());
  await alice.connect();
  await signUp(alice, "alice");
  await alice.createRoom({ name: "book-club", password: "dune-and-more" });
  await alice.createRoom({ name: "lobby" });

  const client = new ParleyClient({ urls: hub.url, configDir: dir });
  const bob = new ChatController(client, { bell: () => {}, openUrl: async () => {}, exit: () => {} });
  cleanups.push(() => bob.quit());
  bob.start();
  expect(await bob.register({ username: "bob", password: "correct horse 9" })).toBe(true);
  await bob.submit("/join book-club dune-and-more");
  await bob.submit("/join lobby");
  await waitFor("bob in both rooms", () => Object.keys(client.state.rooms).length === 2);
  const status = (): string[] => (bob.getSnapshot().notices["status"] ?? []).map((n) => n.text);
  // Looking at the room when kicked out of it: the app falls back to the status view, which changes the
  // state once more before the notice is made.
  bob.switchTo("room:book-club");

  await alice.call("room.kick", { room: "book-club", username: "bob", reason: "spoilers" });
  await waitFor("the kick notice", () =>
    status().some((t) => t.startsWith("You were kicked from #book-club")),
  );
  expect(status()).toContain(
    "You were kicked from #book-club by alice (spoilers); /join book-club PASSWORD to come back (it has a password)",
  );
  expect(bob.getSnapshot().flash?.text).toContain("/join book-club PASSWORD");

  await alice.call("room.kick", { room: "lobby", username: "bob" });
  await waitFor("the kick notice", () => status().some((t) => t.startsWith("You were kicked from #lobby")));
  expect(status()).toContain("You were kicked from #lobby by alice; /join lobby to come back");
});
