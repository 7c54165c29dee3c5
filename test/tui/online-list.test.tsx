/**
 * The sidebar's online list converges whatever the viewer missed. Regression: a user who renamed
 * while sharing no room with the viewer stayed in the list under the old name beside the new one
 * (`alice, bob, carol, caroline`). Real hub, real SDK clients; the sidebar drawn by Ink.
 */
import React from "react";
import { render } from "ink-testing-library";
import { expect, it } from "vitest";
import type { ParleyClient } from "../../src/client/index.js";
import type { ChatController } from "../../src/tui/controller/controller.js";
import { createTheme } from "../../src/tui/render/theme.js";
import { ONLINE_HEADING, Sidebar } from "../../src/tui/views/Sidebar.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "../client/helpers.js";
import { cleanUpAfterEach, later, registeredApp } from "./app-helpers.js";

cleanUpAfterEach();

async function setup(): Promise<{ hub: TestHub; dir: string }> {
  const hub = await startHub();
  later(() => hub.stop());
  const dir = await tempConfigDir();
  later(() => removeDir(dir));
  return { hub, dir };
}

/** The viewer: the app's controller. (The others are plain SDK clients sharing `dir`.) */
async function app(hub: TestHub, _dir: string, username: string): Promise<ChatController> {
  return (await registeredApp(hub.url, username)).controller;
}

async function other(hub: TestHub, dir: string, username: string): Promise<ParleyClient> {
  const client = testClient(hub.url, dir);
  later(() => client.close());
  await client.connect();
  await signUp(client, username);
  return client;
}

/** The names under the sidebar's online heading, as Ink draws them. */
function onlineNames(controller: ChatController): string[] {
  const snapshot = controller.getSnapshot();
  const { lastFrame, unmount } = render(
    <Sidebar
      client={snapshot.client}
      views={controller.views()}
      current={snapshot.view}
      theme={createTheme({ color: false })}
      width={22}
      height={30}
    />,
  );
  const rows = (lastFrame() ?? "").split("\n").map((r) => r.trim());
  unmount();
  const heading = rows.findIndex((r) => r.startsWith(`${ONLINE_HEADING} (`));
  expect(heading).toBeGreaterThanOrEqual(0);
  const names = rows.slice(heading + 1).filter((r) => r !== "");
  expect(rows[heading]).toBe(`${ONLINE_HEADING} (${names.length})`);
  return names;
}

it("drops the old name of someone who renamed while sharing no room with you", async () => {
  const { hub, dir } = await setup();
  const alice = await app(hub, dir, "alice");
  await alice.submit("/create lobby");
  await waitFor("alice in #lobby", () => alice.getSnapshot().view === "room:lobby");
  const bob = await other(hub, dir, "bob");
  const carol = await other(hub, dir, "carol");
  await bob.joinRoom("lobby");
  await carol.joinRoom("lobby");
  await waitFor("carol in alice's list", () => onlineNames(alice).includes("carol"));
  expect(onlineNames(alice)).toEqual(["alice", "bob", "carol"]);

  // carol leaves, renames while she shares nothing with alice, and comes back.
  await carol.leaveRoom("lobby");
  await carol.call("me.rename", { username: "caroline", password: "correct-horse-battery" });
  await carol.joinRoom("lobby");
  await waitFor("caroline in alice's list", () => onlineNames(alice).includes("caroline"));
  expect(onlineNames(alice)).toEqual(["alice", "bob", "caroline"]);
});

it("lists only the people you share a room or a DM with, and drops them when they log out", async () => {
  const { hub, dir } = await setup();
  // dave is online but shares nothing with alice: the hub never tells her when he comes or goes, so
  // the list (labelled for what it is) leaves him out; /users shows everyone.
  const dave = await other(hub, dir, "dave");
  const alice = await app(hub, dir, "alice");
  await alice.submit("/create lobby");
  await waitFor("alice in #lobby", () => alice.getSnapshot().view === "room:lobby");
  expect(onlineNames(alice)).toEqual(["alice"]);

  // A DM makes dave someone alice hears about: he shows, and his logout takes him off again.
  await dave.send("dm:alice", "hi alice");
  await waitFor("the DM", () => alice.getSnapshot().client.dms["dave"] !== undefined);
  await waitFor("dave in alice's list", () => onlineNames(alice).includes("dave"));
  await dave.logout();
  await waitFor("dave gone from alice's list", () => !onlineNames(alice).includes("dave"));
  expect(onlineNames(alice)).toEqual(["alice"]);
});
