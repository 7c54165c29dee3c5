/**
 * Edit, delete, reply, react and search in `parley chat`, end to end: two people in real terminals
 * (tmux) against a real hub. Each step types what a person types (↑ in an empty input to select, the
 * slash commands) and checks what the other person then sees.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type TestHub } from "../helpers/hub.js";
import { terminalKit } from "./terminal-kit.js";
import { haveTmux, type Terminal } from "./tmux.js";

const WIDTH = 110;
const HEIGHT = 30;

let hub: TestHub;
let work: string;
const { chat, register, paneText, sees, closeAll } = terminalKit({
  width: WIDTH,
  height: HEIGHT,
  hubUrl: () => hub.url,
  workDir: () => work,
});

describe.skipIf(!haveTmux())(
  "editing, deleting, replying, reacting and searching in parley chat (tmux)",
  () => {
    let alice: Terminal;
    let bob: Terminal;

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), "parley-e2e-msgs-"));
      hub = await startHub();
      alice = chat("alice");
      bob = chat("bob");
      await register(alice, "alice", "correct horse 1");
      await register(bob, "bob", "battery staple 2");
      alice.line("/create book");
      await alice.waitFor(/#book \(owner\)/);
      bob.line("/join book");
      await bob.waitFor(/#book \(member\)/);
      alice.line("Dune is great");
      await sees(bob, "<alice> Dune is great");
    }, 120_000);

    afterAll(async () => {
      closeAll();
      await hub?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("↑ selects a message and shows its number; /edit changes it, marked (edited) for everyone", async () => {
      alice.press("Up");
      await sees(alice, "▶1 <alice> Dune is great");
      alice.line("/edit Dune is a classic");
      await sees(bob, "<alice> Dune is a classic (edited)");
      await sees(alice, "<alice> Dune is a classic (edited)");
      // The command used the selection up: the number is gone.
      expect(paneText(alice.screen())).not.toContain("▶1");
    }, 60_000);

    it("/reply answers the selected message with a one-line quote of it", async () => {
      bob.press("Up");
      await sees(bob, "▶1 <alice> Dune is a classic");
      bob.line("/reply agreed, read it twice");
      await sees(alice, "┌ alice: Dune is a classic <bob> agreed, read it twice");
    }, 60_000);

    it("/react N adds a reaction shown under the message as 👍 1, the count rising with each person", async () => {
      alice.line("/react 2 👍");
      await sees(bob, "<alice> Dune is a classic (edited) 👍 1");
      bob.line("/react 2 👍");
      await sees(alice, "<alice> Dune is a classic (edited) 👍 2*");
      // The same again takes it back.
      alice.line("/react 2 👍");
      await sees(bob, "<alice> Dune is a classic (edited) 👍 1*");
    }, 60_000);

    it("/delete erases a message for everyone: (message deleted), and the replies' quotes say so", async () => {
      bob.line("oops, wrong room");
      await sees(alice, "<bob> oops, wrong room");
      bob.press("Up");
      await sees(bob, "▶1 <bob> oops, wrong room");
      bob.line("/delete");
      await sees(alice, "<bob> (message deleted)");
      expect(paneText(alice.screen())).not.toContain("oops, wrong room");
      alice.line("/delete 3");
      await sees(bob, "┌ alice: (message deleted) <bob> agreed, read it twice");
    }, 60_000);

    it("/search opens results with the words marked; Enter shows the message in its conversation", async () => {
      bob.line("Arrakis is the desert planet");
      await sees(alice, "<bob> Arrakis is the desert planet");
      for (let i = 0; i < 5; i++) alice.line(`filler ${i}`);
      await sees(alice, "<alice> filler 4");
      alice.press("M-1");
      await alice.waitFor(/\[online\]\s+status/);
      alice.line('/search "desert planet"');
      await alice.waitFor("1. #book");
      expect(alice.screen()).toContain("«desert planet»");
      alice.press("Enter");
      await alice.waitFor(/\[online\]\s+#book/);
      await sees(alice, "<bob> Arrakis is the desert planet");
      expect(paneText(alice.screen())).toMatch(/▶\d+ <bob> Arrakis is the desert planet/);
      alice.line("/search nosuchword");
      await sees(alice, "No messages match nosuchword");
    }, 60_000);
  },
);
