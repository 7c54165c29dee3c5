/**
 * Direct chats in the app, through its controller on the real SDK and real peer nodes, against a real
 * hub. Regressions from trying it: the "accept? (y/n)" question stayed on the notice bar after it was
 * answered; nothing showed between accepting and the chat being up; the messages of an ended chat
 * vanished when a new one with the same person started; "p2p ended, hub DMs" stayed on the status line
 * for good; a request withdrawn by a requester that quit still waited to be accepted.
 */
import { expect, it } from "vitest";
import { PeerChats, type ParleyClient } from "../../src/client/index.js";
import type { ChatController } from "../../src/tui/controller/controller.js";
import { pathLabel } from "../../src/tui/p2p/lines.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { waitFor } from "../client/helpers.js";
import { chatApp, cleanUpAfterEach, later } from "./app-helpers.js";

cleanUpAfterEach();

interface App {
  controller: ChatController;
  client: ParleyClient;
  /** Every status-line word the DM view with `peer` showed, in order. */
  labels(peer: string): string[];
  texts(view: string): string[];
}

async function app(hub: TestHub, name: string): Promise<App> {
  const { controller, client } = await chatApp(hub.url, (client, dir) => ({
    // Addresses to anyone accepted (the default keeps them for verified contacts): these tests are
    // about the paths a chat shows.
    p2p: () => PeerChats.start(client, { configDir: dir, listen: { host: "127.0.0.1" }, addresses: "all" }),
  }));
  const seen = new Map<string, string[]>();
  controller.subscribe(() => {
    for (const [peer, view] of Object.entries(controller.getSnapshot().direct)) {
      const list = seen.get(peer) ?? [];
      const label = pathLabel(view) ?? "-";
      // A view may exist before any chat (it shows how the person's device stands): no path yet is
      // not a change of path.
      if (list.at(-1) !== label && !(list.length === 0 && label === "-")) list.push(label);
      seen.set(peer, list);
    }
  });
  controller.start();
  expect(await controller.register({ username: name, password: "correct horse 9" })).toBe(true);
  return {
    controller,
    client,
    labels: (peer) => seen.get(peer) ?? [],
    texts: (view) => (controller.getSnapshot().notices[view] ?? []).map((n) => n.text),
  };
}

const QUESTION = "bob wants a direct chat — accept? (y/n)";
const label = (a: App, peer: string): string | undefined =>
  pathLabel(a.controller.getSnapshot().direct[peer]);
const directBodies = (a: App, peer: string): string[] =>
  (a.controller.getSnapshot().direct[peer]?.messages ?? []).map((m) => m.body);

/** bob asks alice with /p2p; alice answers y once the question is on her notice bar. */
async function openChat(alice: App, bob: App): Promise<void> {
  void bob.controller.submit("/p2p alice");
  await waitFor("the question", () => alice.controller.getSnapshot().flash?.text === QUESTION, 20_000);
  await alice.controller.submit("y");
  await waitFor("the chat up on both sides", () => label(alice, "bob") === "p2p direct", 20_000);
  await waitFor("bob's side", () => label(bob, "alice") === "p2p direct", 20_000);
}

it("answering clears the question, shows `connecting` until the chat is up, and keeps an ended chat's messages", async () => {
  const hub = await startHub();
  later(() => hub.stop());
  const alice = await app(hub, "alice");
  const bob = await app(hub, "bob");

  await openChat(alice, bob);
  // The question left the notice bar once answered, and the status line said so in between.
  expect(alice.controller.getSnapshot().flash?.text).not.toBe(QUESTION);
  expect(alice.labels("bob")).toEqual(["p2p connecting", "p2p direct"]);
  expect(alice.controller.getSnapshot().view).toBe("dm:bob");

  await bob.controller.submit("from the first chat");
  await waitFor("alice has it", () => directBodies(alice, "bob").includes("from the first chat"));

  // bob ends it: alice's status line says so while she looks, and moves on when she writes on.
  await bob.controller.submit("/endp2p");
  await waitFor("the fallback", () => label(alice, "bob") === "p2p ended, hub DMs", 20_000);
  await alice.controller.submit("a stored DM now");
  expect(label(alice, "bob")).toBeUndefined();

  // A new chat with the same person: the first one's messages are still there, the new ones after.
  await openChat(alice, bob);
  await bob.controller.submit("from the second chat");
  await waitFor("alice has it", () => directBodies(alice, "bob").includes("from the second chat"));
  expect(directBodies(alice, "bob")).toEqual(["from the first chat", "from the second chat"]);

  // Ended again while alice looks elsewhere: the label goes when she leaves the DM view.
  await bob.controller.submit("/endp2p");
  await waitFor("the fallback", () => label(alice, "bob") === "p2p ended, hub DMs", 20_000);
  alice.controller.switchTo("status");
  expect(label(alice, "bob")).toBeUndefined();
  expect(directBodies(alice, "bob")).toEqual(["from the first chat", "from the second chat"]);
});

it("a requester that quits withdraws the request: the question goes, there is nothing to accept", async () => {
  const hub = await startHub();
  later(() => hub.stop());
  const alice = await app(hub, "alice");
  const bob = await app(hub, "bob");

  void bob.controller.submit("/p2p alice");
  await waitFor("the question", () => alice.controller.getSnapshot().flash?.text === QUESTION, 20_000);
  await bob.controller.quit();
  await waitFor("the withdrawal", () =>
    alice.texts("status").includes("bob withdrew the direct-chat request"),
  );
  expect(alice.controller.getSnapshot().flash?.text).not.toBe(QUESTION);
  const before = alice.texts("status").length;
  await alice.controller.submit("/accept");
  expect(alice.texts("status").slice(before)).toEqual(["/accept: nobody is asking for a direct chat"]);
  expect(label(alice, "bob")).toBeUndefined();
});
