/**
 * The notice of a kick says how to come back — with the password when the room has one (regression: it
 * said "/join book-club to come back" for a locked room, which the hub then refuses). Real hub; the
 * kicked user runs the app's controller on the real SDK.
 */
import { expect, it } from "vitest";
import { startHub } from "../helpers/hub.js";
import { signUp, testClient, waitFor } from "../client/helpers.js";
import { cleanUpAfterEach, later, registeredApp } from "./app-helpers.js";

cleanUpAfterEach();

it("names the password in the way back from a kick out of a locked room", async () => {
  const hub = await startHub();
  later(() => hub.stop());
  const { controller: bob, client, dir } = await registeredApp(hub.url, "bob");
  const alice = testClient(hub.url, dir);
  later(() => alice.close());
  await alice.connect();
  await signUp(alice, "alice");
  await alice.createRoom({ name: "book-club", password: "dune-and-more" });
  await alice.createRoom({ name: "lobby" });

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
