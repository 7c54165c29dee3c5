/**
 * `parley chat` end to end: two people, each running the real CLI in a real terminal (tmux), against a
 * real hub over TLS. The test types what a person types and asserts what a person sees on the screen.
 */
/* eslint-disable no-control-regex -- the test reads colour escape sequences off the screen on purpose */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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

function chat(
  name: string,
  args: string[] = [],
  configOf = name,
  env: Record<string, string> = {},
): Terminal {
  const term = Terminal.open({
    name,
    command: [process.execPath, "--import", "tsx", CLI, "chat", hub.url, ...args],
    cwd: ROOT,
    workDir: work,
    width: WIDTH,
    height: HEIGHT,
    env: { PARLEY_CONFIG_DIR: join(work, `config-${configOf}`), TERM: "xterm-256color", ...env },
  });
  terminals.push(term);
  return term;
}

async function register(term: Terminal, username: string, password: string, first: string): Promise<void> {
  await term.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
  term.press("r");
  await term.waitFor("Username:");
  term.line(username);
  await term.waitFor(/^ Password: ?$/m);
  term.line(password);
  await term.waitFor("Password again:");
  // The password never appears on the screen, only dots.
  expect(term.screen()).not.toContain(password);
  expect(term.screen()).toContain("•".repeat(password.length));
  term.line(password);
  await term.waitFor("First name");
  term.line(first);
  await term.waitFor("Last name");
  term.press("Enter");
  await term.waitFor(`Welcome, ${username}.`);
}

/** The sidebar row of a view: its number, title and unread count. */
function sidebarRow(term: Terminal, title: string): string {
  // Row 0 is the header line; the sidebar starts below it.
  return (
    term
      .rows()
      .slice(1)
      .find((r) => r.slice(0, 22).includes(title))
      ?.slice(0, 22)
      .trimEnd() ?? ""
  );
}

/** The message pane's text with wrapped lines joined, so a phrase can be found wherever the pane wrapped it. */
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

/** Waits until the message pane shows `phrase` (possibly wrapped over several rows). */
function sees(term: Terminal, phrase: string): Promise<string> {
  return term.waitFor((screen) => paneText(screen).includes(phrase));
}

/** The one-line notice bar (just above the status line). */
function noticeBar(term: Terminal): string {
  const rows = term.rows();
  return rows[HEIGHT - 4] ?? "";
}

describe.skipIf(!haveTmux())("parley chat in a terminal (tmux)", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "parley-e2e-"));
    hub = await startHub();
  });

  afterAll(async () => {
    for (const t of terminals) t.close();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    "two people: register, password room, formatting and links, scrolling, DM with bell and unread, mute, kick, ban, succession, log in again, /open",
    { timeout: 240_000 },
    async () => {
      const alice = chat("alice");
      // Bob's "browser" records what it is asked to open (xdg-open honours $BROWSER with no desktop).
      const browser = join(work, "browser.sh");
      await writeFile(browser, `#!/bin/sh\necho "$1" >> ${join(work, "opened")}\n`, { mode: 0o755 });
      const bob = chat("bob", ["--no-color"], "bob", { BROWSER: browser });
      await register(alice, "alice", "correct horse 1", "Alice");
      await register(bob, "bob", "battery staple 2", "Bob");
      await alice.waitFor(/\[online\]\s+status\s+alice/);

      // Alice creates a room with a password and a description.
      alice.line('/create club --password "s3cret pass" --desc "Book club"');
      await alice.waitFor("#club — 1 member, password — Book club");
      await alice.waitFor(/\[online\]\s+#club \(owner\)\s+alice/);
      expect(sidebarRow(alice, "#club")).toMatch(/^2 #club/);

      // Bob tries without the password, is told what to do, then joins.
      bob.line("/join club");
      await sees(bob, "/join: #club has a password: /join club PASSWORD");
      bob.line('/join club "s3cret pass"');
      await bob.waitFor("#club — 2 members, password — Book club");
      await bob.waitFor(/#club \(member\)\s+bob/);
      await alice.waitFor("bob joined #club");

      // Formatting and a link: the markers disappear, the link gets a number.
      const bellsBefore = bob.bells();
      alice.line("hello **bob**, see https://example.com/x_y and `co*de*` ~~old~~");
      const expected = "<alice> hello bob, see https://example.com/x_y[1] and co*de* old";
      await bob.waitFor(expected);
      await alice.waitFor(expected);
      // Alice has colour: bold on "bob", a colour on names. Bob asked for --no-color: bold but no colours.
      const aliceColours = alice.screen(true);
      expect(aliceColours).toMatch(/\u001b\[[0-9;]*1[0-9;]*mbob/);
      expect(aliceColours).toMatch(/\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;5;\d+)[0-9;]*m/);
      const bobColours = bob.screen(true);
      expect(bobColours).not.toMatch(/\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;5;\d+)m/);
      // A mention of bob's name rings his bell.
      await bob.waitForBells(bellsBefore + 1);
      bob.line("/open 7");
      await sees(bob, "links here are numbered 1 to 1");
      bob.line("/open 1");
      await sees(bob, "Opened https://example.com/x_y");
      const opened = join(work, "opened");
      await bob.waitFor(
        () => existsSync(opened) && readFileSync(opened, "utf8").includes("https://example.com/x_y"),
      );

      // A long conversation: PgUp scrolls back a page, PgDn returns to the newest.
      for (let i = 1; i <= 30; i += 1) alice.line(`note ${i}`);
      await bob.waitFor("<alice> note 30");
      bob.press("PPage");
      await bob.waitFor("more lines below: PgDn");
      expect(bob.screen()).not.toContain("<alice> note 30");
      expect(bob.screen()).toContain("<alice> note 7");
      bob.press("NPage");
      await bob.waitFor((s) => s.includes("<alice> note 30") && !s.includes("more lines below"));
      // Ctrl+N / Ctrl+P move between views (from #club the next one wraps round to status).
      bob.press("C-n");
      await bob.waitFor(/\[online\]\s+status\s+bob/);
      bob.press("C-p");
      await bob.waitFor(/\[online\]\s+#club \(member\)\s+bob/);

      // Bob DMs Alice: her bell rings, her sidebar shows the unread DM, a one-line notice tells her.
      const aliceBells = alice.bells();
      bob.line("/msg alice psst, a *secret*");
      await alice.waitForBells(aliceBells + 1);
      await alice.waitFor(/@bob\s+1/);
      expect(noticeBar(alice)).toContain("» New message from bob: psst, a *secret*");
      expect(sidebarRow(alice, "@bob")).toMatch(/^3 @bob\s+1$/);

      // Alice mutes Bob: his next DM raises the count but neither notifies nor rings.
      alice.line("/mute @bob");
      await sees(alice, "Muted bob: no notices or bell from it");
      bob.line("/msg alice second message");
      await alice.waitFor(/@bob\s+2/);
      expect(noticeBar(alice)).not.toContain("second message");
      expect(alice.bells()).toBe(aliceBells + 1);

      // Alice reads the DM with Alt+3: the count clears, the messages are there.
      alice.press("M-3");
      await alice.waitFor("<bob> second message");
      await alice.waitFor((s) => /^3 @bob\s*│/m.test(s));
      expect(alice.screen()).toContain("<bob> psst, a secret");
      alice.press("M-2");
      await alice.waitFor(/\[online\]\s+#club \(owner\)/);

      // The owner kicks Bob; he may come back.
      alice.line("/kick bob being rude");
      // #club has a password, so the way back names it.
      await sees(
        bob,
        "You were kicked from #club by alice (being rude); /join club PASSWORD to come back (it has a password)",
      );
      await alice.waitFor("bob was kicked from #club");
      await bob.waitFor(/\[online\]\s+status\s+bob/);
      bob.line('/join club "s3cret pass"');
      await bob.waitFor(/#club \(member\)\s+bob/);

      // The owner bans Bob; he cannot come back until unbanned.
      alice.line("/ban bob");
      await bob.waitFor("You were banned from #club by alice");
      bob.line('/join club "s3cret pass"');
      await sees(bob, "ask an admin of the room to /unban you");
      alice.line("/bans");
      await alice.waitFor(/bob — by alice/);
      alice.line("/unban bob");
      await alice.waitFor("bob may join #club again");
      bob.line('/join club "s3cret pass"');
      await bob.waitFor(/#club \(member\)\s+bob/);

      // The owner leaves: Bob, the longest-standing remaining member, becomes the owner.
      alice.line("/leave");
      await alice.waitFor("You left #club");
      await bob.waitFor("alice left #club");
      await sees(bob, "You are now the owner of #club (the previous owner left)");
      await bob.waitFor(/\[online\]\s+#club \(owner\)\s+bob/);

      // Tab completes names; Ctrl+U clears the line.
      bob.type("thanks al");
      bob.press("Tab");
      bob.type("!");
      await bob.waitFor("[#club] thanks alice !");
      bob.press("C-u");
      await bob.waitFor(/^\[#club\] *$/m);

      // Unknown commands get a one-line hint; /quit leaves cleanly.
      bob.line("/jion club");
      await sees(bob, "unknown command /jion — did you mean /join? /help lists the commands");
      alice.line("/quit");
      bob.line("/quit");
      await alice.waitFor(() => alice.exitStatus() !== null);
      await bob.waitFor(() => bob.exitStatus() !== null);
      expect(alice.exitStatus()).toBe(0);
      expect(bob.exitStatus()).toBe(0);

      // Bob comes back later with --user: only the password is asked; his rooms and DMs are there.
      const again = chat("bob-again", ["--user", "bob"], "bob");
      await again.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
      again.press("l");
      await again.waitFor(/^ Password: ?$/m);
      expect(again.screen()).toContain("Username: bob");
      again.line("not my password");
      await again.waitFor("wrong username or password");
      again.line("battery staple 2");
      // Straight into his first room.
      await again.waitFor(/\[online\]\s+#club \(owner\)\s+bob/);
      expect(sidebarRow(again, "#club")).toMatch(/^2 #club/);
      expect(sidebarRow(again, "@alice")).toMatch(/^3 @alice/);
      again.press("M-3");
      await again.waitFor("<bob> second message");
    },
  );
});
