/**
 * Direct (peer-to-peer) chats in `parley chat`, end to end: real CLIs in real terminals (tmux) against a
 * real hub over TLS. One asks with /p2p, the other answers y, both chat with ticks and the status line
 * shows how the chat travels; with the direct path blocked it shows `relayed`; when one side quits the
 * other is told and goes on with stored DMs. Listeners bind to loopback only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, startHub, type TestHub } from "../helpers/hub.js";
import { STARTUP_MS, Terminal, haveTmux } from "./tmux.js";

const WIDTH = 100;
const HEIGHT = 30;

let hub: TestHub;
let work: string;
const terminals: Terminal[] = [];

function chat(name: string, env: Record<string, string> = {}): Terminal {
  const term = Terminal.open({
    name,
    command: [process.execPath, "--import", "tsx", CLI, "chat", hub.url, "--no-color"],
    cwd: ROOT,
    workDir: work,
    width: WIDTH,
    height: HEIGHT,
    env: {
      PARLEY_CONFIG_DIR: join(work, `config-${name}`),
      TERM: "xterm-256color",
      PARLEY_P2P_LISTEN: "127.0.0.1",
      // Addresses to anyone accepted: these tests are about the paths (the default keeps them for
      // verified contacts; the verification test below uses it).
      PARLEY_P2P_ADDRESSES: "all",
      ...env,
    },
  });
  terminals.push(term);
  return term;
}

async function register(term: Terminal, username: string, password: string): Promise<void> {
  await term.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
  term.press("r");
  await term.waitFor("Username:");
  term.line(username);
  await term.waitFor(/^ Password: ?$/m);
  term.line(password);
  await term.waitFor("Password again:");
  term.line(password);
  await term.waitFor("First name");
  term.press("Enter");
  await term.waitFor("Last name");
  term.press("Enter");
  await term.waitFor(`Welcome, ${username}.`);
}

/** The message pane's text with wrapped lines joined (the pane is right of the sidebar's bar). */
function paneText(screen: string): string {
  return screen
    .split("\n")
    .slice(1, HEIGHT - 4)
    .map((r) => {
      const bar = r.indexOf("│");
      return bar === -1 ? "" : r.slice(bar + 1).trim();
    })
    .join(" ")
    .replace(/\s+/g, " ");
}

function sees(term: Terminal, phrase: string | RegExp): Promise<string> {
  return term.waitFor((screen) =>
    typeof phrase === "string" ? paneText(screen).includes(phrase) : phrase.test(paneText(screen)),
  );
}

/** The status line: the row that starts with the connection state. */
function statusLine(term: Terminal): string {
  return term.rows().find((r) => /^ \[(online|connecting|reconnecting|offline)/.test(r)) ?? "";
}

function statusShows(term: Terminal, text: string): Promise<string> {
  return term.waitFor(() => statusLine(term).includes(text));
}

function count(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}

/** `asker` asks `asked` with /p2p; `asked` sees the (new) question and types y. */
async function openDirectChat(
  asker: Terminal,
  askerName: string,
  asked: Terminal,
  askedName: string,
): Promise<void> {
  const question = `${askerName} wants a direct chat — accept? (y/n)`;
  const before = count(paneText(asked.screen()), question);
  asker.line(`/p2p ${askedName}`);
  await asked.waitFor((screen) => count(paneText(screen), question) > before);
  asked.line("y");
}

describe.skipIf(!haveTmux())("direct chats in parley chat (tmux)", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "parley-e2e-p2p-"));
    hub = await startHub();
  });

  afterAll(async () => {
    for (const t of terminals) t.close();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    "request, accept, chat both ways with ticks over the direct path; the other side quitting falls back to stored DMs",
    { timeout: 240_000 },
    async () => {
      const alice = chat("alice");
      const bob = chat("bob");
      await register(alice, "alice", "correct horse 1");
      await register(bob, "bob", "battery staple 2");

      await openDirectChat(bob, "bob", alice, "alice");
      // Both land in the other's DM view, and the status line says the chat is direct.
      await statusShows(alice, "@bob [p2p direct]");
      await statusShows(bob, "@alice [p2p direct]");
      // Nobody compared safety numbers yet: encrypted, but not to a checked key, and it says so.
      await sees(alice, "Direct chat with bob (direct connection, encrypted, not verified)");
      await statusShows(alice, "@bob [p2p direct] [unverified]");

      bob.line("hello alice, just us");
      await sees(alice, "<bob> hello alice, just us");
      // bob's own line gets its tick once alice's client acknowledged it.
      await sees(bob, "<bob> hello alice, just us ✓");
      alice.line("hi bob");
      await sees(bob, "<alice> hi bob");
      await sees(alice, "<alice> hi bob ✓");
      // Nothing of it is a stored DM: the hub has no history between them.
      expect(paneText(alice.screen())).not.toContain("hi bob …");

      // bob quits: alice is told, and what she types next is stored by the hub for him.
      bob.line("/quit");
      await sees(alice, "bob ended the direct chat");
      await statusShows(alice, "[p2p ended, hub DMs]");
      alice.line("see you later");
      await sees(alice, /<alice> see you later(?! ✓)/);
      const back = chat("bob");
      await back.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
      back.press("l");
      await back.waitFor("Username:");
      back.line("bob");
      await back.waitFor(/^ Password: ?$/m);
      back.line("battery staple 2");
      // Logged in: the status line names him (the app may already show his DM with alice).
      await back.waitFor(/\[online\].*\sbob\s*$/m);
      back.line("/dm alice");
      await sees(back, "<alice> see you later");
      // The direct messages were never stored on the hub, so they are not in bob's DM history.
      expect(paneText(back.screen())).not.toContain("hello alice, just us");
    },
  );

  it(
    "a known contact's changed key is flagged, the request withdrawn, the same safety number on both sides; /trustkey goes on",
    { timeout: 240_000 },
    async () => {
      const erin = chat("erin");
      const frank = chat("frank");
      await register(erin, "erin", "correct horse 5");
      await register(frank, "frank", "battery staple 6");
      await openDirectChat(erin, "erin", frank, "frank");
      await statusShows(erin, "@frank [p2p direct]");
      erin.line("/endp2p");
      await sees(erin, "Ended the direct chat with frank");

      // frank on a new device: same account, a new config folder, so a new key.
      frank.line("/quit");
      const newDevice = chat("frank", { PARLEY_CONFIG_DIR: join(work, "config-frank-new") });
      await newDevice.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
      newDevice.press("l");
      await newDevice.waitFor("Username:");
      newDevice.line("frank");
      await newDevice.waitFor(/^ Password: ?$/m);
      newDevice.line("battery staple 6");
      await newDevice.waitFor(/\[online\].*\sfrank\s*$/m);

      erin.line("/p2p frank");
      const warned = paneText(await sees(erin, /WARNING: frank's key changed .*Safety number: [\d ]{71}/));
      // erin's client withdraws the request at once, and frank's new device says why, with the number.
      const told = paneText(
        await sees(newDevice, /erin's client does not trust this device's key yet.*Safety number: [\d ]{71}/),
      );
      const erinSees = /Safety number: (\d{5}(?: \d{5}){11})/.exec(warned)?.[1];
      const frankSees = /Safety number: (\d{5}(?: \d{5}){11})/.exec(told)?.[1];
      expect(erinSees).toMatch(/^\d{5}( \d{5}){11}$/);
      // The same 60 digits on both screens: what the two compare by phone.
      expect(frankSees).toBe(erinSees);
      expect(statusLine(erin)).not.toContain("[p2p direct]");

      erin.line("/trustkey frank");
      await sees(erin, "Trusted frank's new key");
      await openDirectChat(erin, "erin", newDevice, "frank");
      await statusShows(erin, "@frank [p2p direct]");
      erin.line("new phone?");
      await sees(newDevice, "<erin> new phone?");
      await sees(erin, "<erin> new phone? ✓");
    },
  );

  it(
    "shows `relayed` when the direct path is blocked, and the chat still works with ticks",
    { timeout: 240_000 },
    async () => {
      const carol = chat("carol");
      // dave announces an address nobody listens on: carol's direct dial is refused, the hub relays.
      const dave = chat("dave", { PARLEY_P2P_ANNOUNCE: "127.0.0.1:9" });
      await register(carol, "carol", "correct horse 3");
      await register(dave, "dave", "battery staple 4");

      await openDirectChat(carol, "carol", dave, "dave");
      await statusShows(carol, "@dave [p2p relayed]");
      await statusShows(dave, "@carol [p2p relayed]");
      carol.line("over the relay");
      await sees(dave, "<carol> over the relay");
      await sees(carol, "<carol> over the relay ✓");
      dave.line("still sealed");
      await sees(carol, "<dave> still sealed");
      await sees(dave, "<dave> still sealed ✓");
    },
  );

  it(
    "two users verify each other: the same safety number (and QR code) on both screens, then [verified], and direct",
    { timeout: 240_000 },
    async () => {
      // The default address setting: addresses only for verified contacts.
      const gina = chat("gina", { PARLEY_P2P_ADDRESSES: "verified" });
      const hank = chat("hank", { PARLEY_P2P_ADDRESSES: "verified" });
      await register(gina, "gina", "correct horse 7");
      await register(hank, "hank", "battery staple 8");

      await openDirectChat(hank, "hank", gina, "gina");
      // Strangers so far: the chat goes through the relay and says it is not verified.
      await statusShows(hank, "@gina [p2p relayed] [unverified]");
      await statusShows(gina, "@hank [p2p relayed] [unverified]");
      await sees(hank, "Direct chat with gina (relayed through the hub, encrypted, not verified)");

      const number = /Safety number: (\d{5}(?: \d{5}){11})/;
      gina.line("/verify hank");
      const atGina = number.exec(paneText(await sees(gina, number)))?.[1];
      hank.line("/verify gina");
      const atHank = number.exec(paneText(await sees(hank, number)))?.[1];
      expect(atGina).toMatch(/^\d{5}( \d{5}){11}$/);
      // What the two compare, by phone or side by side: the same 60 digits on both screens ...
      expect(atHank).toBe(atGina);
      // ... and a QR code of them, drawn with block characters.
      expect(gina.screen()).toMatch(/[█▀▄]{7}/);

      gina.line("/verify hank confirm");
      await sees(gina, "Verified hank's device");
      await statusShows(gina, "@hank [p2p relayed] [verified]");
      hank.line("/verify gina confirm");
      await sees(hank, "Verified gina's device");
      await statusShows(hank, "@gina [p2p relayed] [verified]");

      // Verified both ways: the next chat goes direct, and says so.
      hank.line("/endp2p");
      await sees(hank, "Ended the direct chat with gina");
      await openDirectChat(hank, "hank", gina, "gina");
      await statusShows(hank, "@gina [p2p direct] [verified]");
      await sees(hank, "(direct connection, end-to-end encrypted, verified)");
      hank.line("checked and direct");
      await sees(gina, "<hank> checked and direct");
      await sees(hank, "<hank> checked and direct ✓");
    },
  );
});
